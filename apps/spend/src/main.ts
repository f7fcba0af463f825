import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'spend';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadEnv } from '@switchyard/config';
import { subjects } from '@switchyard/contracts';
import { SpendModule } from './spend.module';

// LOG_LEVEL names the most verbose level to print.
const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const app = await NestFactory.createApplicationContext(SpendModule, {
    logger: LEVELS.slice(0, LEVELS.indexOf(env.LOG_LEVEL) + 1),
  });
  app.enableShutdownHooks();
  await app.init();
  const s = subjects(env.SWITCHYARD_NATS_PREFIX);
  new Logger('spend').log(
    `ready: consuming ${s.usageStream}/${s.usageConsumer} into ClickHouse database ${env.CLICKHOUSE_DATABASE}; jobs on Redis prefix ${env.SWITCHYARD_REDIS_PREFIX} (no HTTP port)`,
  );
}

bootstrap().catch((e: Error) => {
  console.error(`spend failed to start: ${e.message}`);
  process.exit(1);
});
