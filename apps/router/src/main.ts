import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'router';
import { Logger } from '@nestjs/common';
import { nestLogLevels } from '@switchyard/config';
import { createNatsMicroservice } from '@switchyard/nats';
import { RouterModule } from './router.module';

async function bootstrap(): Promise<void> {
  const app = await createNatsMicroservice(RouterModule, { logger: nestLogLevels() });
  app.enableShutdownHooks();
  await app.listen();
  new Logger('router').log('ready: routing requests from NATS');
}

bootstrap().catch((e: Error) => {
  console.error(`router failed to start: ${e.message}`);
  process.exit(1);
});
