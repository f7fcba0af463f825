import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'translator';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { nestLogLevels } from '@switchyard/config';
import { TranslatorModule } from './translator.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.createApplicationContext(TranslatorModule, { logger: nestLogLevels() });
  app.enableShutdownHooks();
  await app.init();
  new Logger('translator').log('ready: running chat attempts from NATS against provider upstreams');
}

bootstrap().catch((e: Error) => {
  console.error(`translator failed to start: ${e.message}`);
  process.exit(1);
});
