import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { FAKE_ORIGIN } from '@switchyard/providers';
import { Pool, type Dispatcher } from 'undici';
import { TRANSLATOR_OPTIONS, type TranslatorOptions } from '../translator.options';
import { InProcessOrigin } from './in-process-origin';

/**
 * One undici keep-alive Pool per deployment and origin, created on first use and reused by every request,
 * so steady-state calls skip TCP and TLS handshakes. Deployments sharing an origin get separate pools: a
 * deployment that hangs fills only its own (SWITCHYARD_UPSTREAM_CONNECTIONS sockets), and the others on
 * that origin keep answering. The fake provider's origin is served in process.
 */
@Injectable()
export class UpstreamPools implements OnApplicationShutdown {
  private readonly logger = new Logger('UpstreamPools');
  private readonly pools = new Map<string, Dispatcher>();

  constructor(@Inject(TRANSLATOR_OPTIONS) private readonly options: TranslatorOptions) {}

  get(origin: string, deploymentId: string): Dispatcher {
    const key = `${deploymentId}\u0000${origin}`;
    let pool = this.pools.get(key);
    if (pool === undefined) {
      pool = origin === FAKE_ORIGIN ? new InProcessOrigin() : this.pool(origin);
      this.pools.set(key, pool);
    }
    return pool;
  }

  private pool(origin: string): Pool {
    return new Pool(origin, {
      connections: this.options.upstreamConnections,
      pipelining: 1,
      keepAliveTimeout: this.options.keepAliveMs,
      keepAliveMaxTimeout: 10 * 60_000,
      // Deadlines are enforced per request through an AbortSignal; undici's own timers stay out of the way.
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      pools.map((p) =>
        p.close().catch((e: Error) => this.logger.warn(`closing an upstream pool failed: ${e.message}`)),
      ),
    );
  }
}
