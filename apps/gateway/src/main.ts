import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'gateway';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadEnv } from '@switchyard/config';
import { GatewayModule } from './gateway.module';
import { registerJsonBodyParser } from './http/json-body.parser';

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const adapter = new FastifyAdapter({ bodyLimit: env.SWITCHYARD_MAX_BODY_BYTES, keepAliveTimeout: 65_000, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, { logger: ['error', 'warn', 'log'] });
  app.enableShutdownHooks();
  // Nest installs Fastify's default body parsers during init; ours replace them afterwards. Their
  // errors (400 bad JSON, 413 too large) reach OpenAIExceptionFilter through Nest's error handler.
  await app.init();
  registerJsonBodyParser(app.getHttpAdapter().getInstance(), env.SWITCHYARD_MAX_BODY_BYTES);
  await app.listen(env.GATEWAY_PORT, env.GATEWAY_HOST);
  new Logger('gateway').log(`ready: OpenAI-compatible API on http://${env.GATEWAY_HOST}:${env.GATEWAY_PORT}/v1`);
}

bootstrap().catch((e: Error) => {
  console.error(`gateway failed to start: ${e.message}`);
  process.exit(1);
});
