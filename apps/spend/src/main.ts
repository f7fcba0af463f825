import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'spend';
import { Logger } from '@nestjs/common';
import { loadEnv, nestLogLevels } from '@switchyard/config';
import { subjects } from '@switchyard/contracts';
import { createNatsMicroservice } from '@switchyard/nats';
import { SpendModule } from './spend.module';

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const app = await createNatsMicroservice(SpendModule, { logger: nestLogLevels(env) });
  app.enableShutdownHooks();
  await app.listen();
  const s = subjects(env.SWITCHYARD_NATS_PREFIX);
  new Logger('spend').log(
    `ready: consuming ${s.usageStream}/${s.usageConsumer} into ClickHouse database ${env.CLICKHOUSE_DATABASE}; jobs on Redis prefix ${env.SWITCHYARD_REDIS_PREFIX} (no HTTP port)`,
  );
}

bootstrap().catch((e: Error) => {
  console.error(`spend failed to start: ${e.message}`);
  process.exit(1);
});
