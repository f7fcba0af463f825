import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'router';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestLogLevels } from '@switchyard/config';
import { RouterModule } from './router.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(RouterModule, { logger: nestLogLevels() });
  app.enableShutdownHooks();
  await app.init();
  new Logger('router').log('ready: routing chat requests from NATS');
}

bootstrap().catch((e: Error) => {
  console.error(`router failed to start: ${e.message}`);
  process.exit(1);
});
