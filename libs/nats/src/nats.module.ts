import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { subjects, type Subjects } from '@switchyard/contracts';
import { ENV, redactUrl, redactUrlsIn, type Env } from '@switchyard/config';
import { INSTANCE_ID, NATS, NATS_CLIENT, SUBJECTS } from './nats.module.tokens';
import { NatsClient } from './transport/nats.client';
import { NatsTransports } from './transport/nats-microservice';

/** The service this process runs (gateway, router, ...): names its connection and its reply subjects. */
export function serviceName(): string {
  return process.env.SWITCHYARD_SERVICE ?? 'svc';
}

export { INSTANCE_ID, NATS, NATS_CLIENT, SUBJECTS } from './nats.module.tokens';

export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  try {
    // noAsyncTraces: the client would otherwise build an Error (with a stack trace) for every request it
    // makes, JetStream publishes included, just in case it fails; on the hot path that costs more than the publish.
    return await connect({
      servers: url.split(','),
      name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      noAsyncTraces: true,
    });
  } catch (e) {
    throw new Error(
      // The URL may carry a user and password or a token: never in a message.
      `Cannot connect to NATS at ${redactUrl(url)}: ${redactUrlsIn((e as Error).message)}. Start nats-server with JetStream (-js) or set NATS_URL.`,
    );
  }
}

@Global()
@Module({
  providers: [
    {
      provide: INSTANCE_ID,
      useFactory: (env: Env) => env.SWITCHYARD_INSTANCE_ID ?? randomBytes(6).toString('hex'),
      inject: [ENV],
    },
    { provide: SUBJECTS, useFactory: (env: Env): Subjects => subjects(env.SWITCHYARD_NATS_PREFIX), inject: [ENV] },
    {
      provide: NATS,
      useFactory: (env: Env, id: string) => connectNats(env.NATS_URL, `switchyard-${serviceName()}-${id}`),
      inject: [ENV, INSTANCE_ID],
    },
    {
      provide: NATS_CLIENT,
      useFactory: (nc: NatsConnection, s: Subjects, id: string) => {
        const logger = new Logger('NatsClient');
        return new NatsClient(nc, s.prefix, `${s.prefix}.${serviceName()}.reply`, id, (e, subject) =>
          logger.error(`handling a reply on ${subject} failed: ${e.message}`),
        );
      },
      inject: [NATS, SUBJECTS, INSTANCE_ID],
    },
    NatsTransports,
  ],
  exports: [NATS, SUBJECTS, INSTANCE_ID, NATS_CLIENT, NatsTransports],
})
export class NatsModule implements OnApplicationShutdown {
  private readonly logger = new Logger('NatsModule');
  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  async onApplicationShutdown(): Promise<void> {
    try {
      await this.nc.drain();
    } catch (e) {
      this.logger.warn(`NATS drain failed: ${(e as Error).message}`);
    }
  }
}
