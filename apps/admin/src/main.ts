process.env.SWITCHYARD_SERVICE = 'admin';

import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { bootListenPolicy, ENV, loadEnv, loadRoutingConfig, nestLogLevels, type Env } from '@switchyard/config';
import { httpEdgeSettings } from '@switchyard/http';
import { AdminModule } from './admin.module';
import { hardenAdminServer } from './common/http-edge';
import { requireJsonBody } from './common/require-json.middleware';
import { setupDocs } from './docs/swagger';
import { requestContext } from './auth/request-context';

async function bootstrap(): Promise<void> {
  const { host } = bootListenPolicy(
    'ADMIN_HOST',
    loadRoutingConfig(loadEnv().SWITCHYARD_CONFIG).masterKeySetting,
    new Logger('admin'),
  );
  const app = await NestFactory.create<NestExpressApplication>(AdminModule, {
    bodyParser: false,
    abortOnError: false,
    logger: nestLogLevels(),
  });
  const env = app.get<Env>(ENV);
  app.use(
    hardenAdminServer(app.getHttpServer(), httpEdgeSettings(env), (open) =>
      new Logger('admin').warn(`shutdown: closing ${open} connection(s) still open after the grace period`),
    ),
  );
  app.use(requireJsonBody);
  // Admin bodies are small JSON documents; 1 MiB unless the operator says otherwise.
  app.useBodyParser('json', { limit: env.SWITCHYARD_MAX_BODY_BYTES ?? 1024 * 1024 });
  // After the body parser, so the request's state (its caller, for the audit log) reaches the handlers.
  app.use(requestContext);
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  setupDocs(app);
  await app.listen(env.ADMIN_PORT, host);
  new Logger('admin').log(`admin ready on http://${host}:${env.ADMIN_PORT} (docs at /docs)`);
}

bootstrap().catch((e: unknown) => {
  console.error(`admin failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
