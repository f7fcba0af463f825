import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ENV, type Env } from '@switchyard/config';
import { HotRedis, LimitsStore } from '@switchyard/redis';

/**
 * The gateway's hot-path Redis client and the limits store on it. Connected at boot and not awaited: a gateway
 * serves keys without limits while Redis is away, and refuses (503) only the requests whose limits it cannot check.
 */
@Injectable()
export class GatewayLimitsStore extends LimitsStore implements OnApplicationShutdown {
  private readonly logger = new Logger('Limits');

  constructor(@Inject(ENV) env: Env) {
    const holdMs = env.SWITCHYARD_LIMIT_HOLD_TTL_S * 1000;
    const redis = new HotRedis({
      url: env.REDIS_URL,
      keyPrefix: env.SWITCHYARD_REDIS_PREFIX,
      name: 'switchyard-gateway',
      // Longer than the routing client's: an answer that arrives late still decided the request (see cancel).
      commandTimeoutMs: 1000,
      onAvailabilityChange: (up, reason) =>
        up
          ? this.logger.log('Redis answers: limits and budgets are checked again')
          : this.logger.warn(
              `Redis is unavailable (${reason ?? 'unknown'}): requests of keys with limits or budgets get 503 until it is back. Check REDIS_URL.`,
            ),
    });
    super(redis, { reservationTtlMs: holdMs, parallelSlotTtlMs: holdMs });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.close();
  }
}
