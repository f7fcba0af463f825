import { Injectable, type INestApplication, type INestMicroservice, type OnModuleDestroy } from '@nestjs/common';
import type { NestApplicationContextOptions } from '@nestjs/common/interfaces/nest-application-context-options.interface';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@switchyard/contracts';
import { NATS, SUBJECTS } from '../nats.module.tokens';
import { NatsTransport } from './nats.transport';

/**
 * The NATS transports of this process. When the application shuts down, they stop taking messages first
 * (module destroy runs before the before-shutdown hooks), so a service's own shutdown hook can wait for
 * work in flight while replicas in its queue group take the new messages.
 */
@Injectable()
export class NatsTransports implements OnModuleDestroy {
  private readonly transports = new Set<NatsTransport>();

  add(t: NatsTransport): void {
    this.transports.add(t);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.transports].map((t) => t.drain()));
  }
}

function bindTransport(app: INestApplication | INestMicroservice, transport: NatsTransport): NatsTransport {
  transport.bind(app.get<NatsConnection>(NATS), app.get<Subjects>(SUBJECTS).prefix);
  app.get(NatsTransports).add(transport);
  return transport;
}

/**
 * A service that only speaks NATS (router, translator, spend): a Nest microservice on our transport,
 * bound to the module's NATS connection. Call `listen()` to start serving its handlers.
 */
export async function createNatsMicroservice(
  module: Parameters<typeof NestFactory.createMicroservice>[0],
  options: NestApplicationContextOptions = {},
): Promise<INestMicroservice> {
  const transport = new NatsTransport();
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(module, { ...options, strategy: transport });
  bindTransport(app, transport);
  return app;
}

/**
 * An HTTP service that also has NATS handlers (gateway): connects our transport as a hybrid microservice.
 * Call `app.startAllMicroservices()` to start serving them.
 */
export function connectNatsTransport(app: INestApplication): NatsTransport {
  const transport = bindTransport(app, new NatsTransport());
  app.connectMicroservice<MicroserviceOptions>({ strategy: transport }, { inheritAppConfig: true });
  return transport;
}
