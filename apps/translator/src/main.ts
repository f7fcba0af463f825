import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'translator';
import { Logger } from '@nestjs/common';
import { nestLogLevels } from '@switchyard/config';
import { createNatsMicroservice } from '@switchyard/nats';
import { DeploymentCatalog } from './deployment-catalog.service';
import { TranslatorModule } from './translator.module';

async function bootstrap(): Promise<void> {
  const app = await createNatsMicroservice(TranslatorModule, { logger: nestLogLevels() });
  app.enableShutdownHooks();
  await app.listen();
  new Logger('translator').log(
    `ready: running attempts from NATS against provider upstreams (${app.get(DeploymentCatalog).size} deployment(s))`,
  );
}

bootstrap().catch((e: Error) => {
  console.error(`translator failed to start: ${e.message}`);
  process.exit(1);
});
