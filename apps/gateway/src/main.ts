import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'gateway';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadEnv } from '@switchyard/config';
import { GatewayModule } from './gateway.module';
import { registerJsonBodyParser } from './http/json-body.parser';
import { sendError } from './http/send-error';
import { toGatewayError } from './http/openai-exception.filter';

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const adapter = new FastifyAdapter({ bodyLimit: env.SWITCHYARD_MAX_BODY_BYTES, keepAliveTimeout: 65_000, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, { logger: ['error', 'warn', 'log'] });
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify, env.SWITCHYARD_MAX_BODY_BYTES);
  // Body parsing fails before any Nest handler runs: map those errors (400, 413) here too.
  const logger = new Logger('Exceptions');
  fastify.setErrorHandler((err, req, reply) => sendError(reply, toGatewayError(err, req, logger)));
  app.enableShutdownHooks();
  await app.listen(env.GATEWAY_PORT, env.GATEWAY_HOST);
  new Logger('gateway').log(`ready: OpenAI-compatible API on http://${env.GATEWAY_HOST}:${env.GATEWAY_PORT}/v1`);
}

bootstrap().catch((e: Error) => {
  console.error(`gateway failed to start: ${e.message}`);
  process.exit(1);
});
