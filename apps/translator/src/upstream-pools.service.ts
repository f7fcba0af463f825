import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'undici';
import { TRANSLATOR_OPTIONS, type TranslatorOptions } from './translator.options';

/**
 * One undici keep-alive Pool per upstream origin, created on first use and reused by every request,
 * so steady-state calls skip TCP and TLS handshakes.
 */
@Injectable()
export class UpstreamPools implements OnApplicationShutdown {
  private readonly logger = new Logger('UpstreamPools');
  private readonly pools = new Map<string, Pool>();

  constructor(@Inject(TRANSLATOR_OPTIONS) private readonly options: TranslatorOptions) {}

  get(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: this.options.upstreamConnections,
        pipelining: 1,
        keepAliveTimeout: this.options.keepAliveMs,
        keepAliveMaxTimeout: 10 * 60_000,
        // Deadlines are enforced per request through an AbortSignal; undici's own timers stay out of the way.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.pools.set(origin, pool);
    }
    return pool;
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
