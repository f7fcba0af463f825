import 'reflect-metadata';
process.env.SWITCHYARD_SERVICE = 'gateway';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from '@nats-io/transport-node';
import { bootListenPolicy, loadEnv, loadRoutingConfig, nestLogLevels } from '@switchyard/config';
import { endConnectionsAfterGrace, httpEdgeSettings, nodeServerOptions } from '@switchyard/http';
import { FRAME_HEADER_ROOM } from '@switchyard/contracts';
import { connectNatsTransport, NATS } from '@switchyard/nats';
import { RequestPipeline } from './pipeline/request-pipeline.service';
import { GatewayModule } from './gateway.module';
import { clientErrorHandler, frameworkError, limitConnectionsPerClient } from './http/http-edge';
import { registerJsonBodyParser } from './http/json-body.parser';
import { OpenAIExceptionFilter } from './http/openai-exception.filter';

/**
 * The body travels to the router as one NATS message, so it can be no larger than the server's
 * max_payload (1 MiB by default) less room for headers. Say so at boot rather than fail per request.
 */
function effectiveBodyLimit(configured: number | undefined, nc: NatsConnection): number {
  const busLimit = nc.info!.max_payload - FRAME_HEADER_ROOM;
  if (configured === undefined) return busLimit;
  if (configured <= busLimit) return configured;
  new Logger('gateway').warn(
    `SWITCHYARD_MAX_BODY_BYTES=${configured} exceeds what NATS carries in one message (max_payload ${nc.info!.max_payload}); ` +
      `accepting bodies up to ${busLimit} bytes. Raise max_payload in the NATS server config to accept larger requests.`,
  );
  return busLimit;
}

async function bootstrap(): Promise<void> {
  const env = loadEnv();
  const { host } = bootListenPolicy(
    'GATEWAY_HOST',
    loadRoutingConfig(env.SWITCHYARD_CONFIG).masterKeySetting,
    new Logger('gateway'),
  );
  const edge = httpEdgeSettings(env);
  const adapter = new FastifyAdapter({
    bodyLimit: env.SWITCHYARD_MAX_BODY_BYTES ?? 64 * 1024 * 1024,
    http: nodeServerOptions(edge),
    keepAliveTimeout: edge.keepAliveTimeoutMs,
    requestTimeout: edge.requestTimeoutMs,
    clientErrorHandler: clientErrorHandler(edge),
    frameworkErrors: frameworkError,
    logger: false,
  });
  limitConnectionsPerClient(adapter.getInstance(), edge.maxConnectionsPerClient);
  // A stalled upload or a long stream must not keep a stopping gateway alive past the grace period.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () =>
      endConnectionsAfterGrace(adapter.getInstance().server, edge.shutdownGraceMs, (open) =>
        new Logger('gateway').warn(`shutdown: closing ${open} connection(s) still open after the grace period`),
      ),
    );
  }
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule, adapter, {
    logger: nestLogLevels(env),
  });
  app.enableShutdownHooks();
  const bodyLimit = effectiveBodyLimit(env.SWITCHYARD_MAX_BODY_BYTES, app.get<NatsConnection>(NATS));
  const pipeline = app.get(RequestPipeline);
  app.useGlobalFilters(new OpenAIExceptionFilter(bodyLimit, (req, error) => pipeline.recordRejection(req, error)));
  // Nest installs Fastify's default body parsers during init; ours replace them afterwards. Their
  // errors (400 bad JSON, 413 too large) reach OpenAIExceptionFilter through Nest's error handler.
  // NATS handlers (key change events) are served by our transport, next to the HTTP routes.
  connectNatsTransport(app);
  await app.startAllMicroservices();
  await app.init();
  registerJsonBodyParser(app.getHttpAdapter().getInstance(), bodyLimit);
  await app.listen(env.GATEWAY_PORT, host);
  new Logger('gateway').log(`ready: OpenAI-compatible API on http://${host}:${env.GATEWAY_PORT}/v1`);
}

bootstrap().catch((e: Error) => {
  console.error(`gateway failed to start: ${e.message}`);
  process.exit(1);
});
