import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { CONFIG, ENV, type Env, type SwitchyardConfig } from '@switchyard/config';
import { parseRoutingStateField, ROUTING_STATE_KEYS as KEYS } from '@switchyard/contracts';
import { HotRedis } from '@switchyard/redis';
import type { DeploymentListJson, DeploymentStateJson } from './deployments.schemas';

/** Sums of the numbers routers share per deployment, from their hashes (`<id>#<what>` fields). */
type Numbers = Map<string, Record<string, number>>;

function addFields(into: Numbers, hash: Record<string, string>, only?: string): void {
  for (const [field, raw] of Object.entries(hash)) {
    // An in-flight hash is keyed by deployment id alone (`only` names its number); the others by routingStateField.
    const parsed = only === undefined ? parseRoutingStateField(field) : { deploymentId: field, what: only };
    if (parsed === undefined) continue;
    const { deploymentId: id, what } = parsed;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    const entry = into.get(id) ?? {};
    entry[what] = (entry[what] ?? 0) + value;
    into.set(id, entry);
  }
}

/**
 * The configured deployments with the live state every router shares through Redis: requests in flight, recent
 * latency and error rate, cooldowns and this minute's usage. Read on demand (one pipelined round trip, then one per
 * live router's hashes); Redis unreachable → the configured fields only, said so in `live_state`.
 */
@Injectable()
export class DeploymentsService implements OnModuleDestroy {
  private readonly logger = new Logger('Deployments');
  private readonly redis: HotRedis;

  constructor(
    @Inject(CONFIG) private readonly config: SwitchyardConfig,
    @Inject(ENV) env: Env,
  ) {
    this.redis = new HotRedis({
      url: env.REDIS_URL,
      keyPrefix: env.SWITCHYARD_REDIS_PREFIX,
      name: 'switchyard-admin',
      commandTimeoutMs: 1_000,
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.close();
  }

  async list(now = Date.now()): Promise<DeploymentListJson> {
    const shared: Numbers = new Map();
    let cooldowns: Record<string, string> = {};
    let routers: string[] = [];
    let live = true;
    try {
      // Connects lazily: the first request after boot waits (briefly) for the connection.
      if (!this.redis.isAvailable) await this.redis.waitUntilReady(1_000);
      const [c, r, usage] = await this.redis.pipeline((p) => {
        p.commands.hgetall(KEYS.cooldowns);
        p.commands.zrangebyscore(KEYS.routers, now - 10_000, '+inf');
        p.commands.hgetall(KEYS.usage(Math.floor(now / 60_000)));
      });
      cooldowns = (c?.[1] as Record<string, string> | undefined) ?? {};
      routers = (r?.[1] as string[] | undefined) ?? [];
      addFields(shared, (usage?.[1] as Record<string, string> | undefined) ?? {});
      if (routers.length > 0) {
        const hashes = await this.redis.pipeline((p) => {
          for (const id of routers) {
            p.commands.hgetall(`${KEYS.inFlight}${id}`);
            p.commands.hgetall(`${KEYS.latency}${id}`);
          }
        });
        hashes.forEach(([, hash], i) =>
          addFields(shared, (hash as Record<string, string> | null) ?? {}, i % 2 === 0 ? 'inflight' : undefined),
        );
      }
    } catch (e) {
      live = false;
      this.logger.warn(
        `GET /v1/deployments: Redis could not be read (${(e as Error).message}); answering without live state`,
      );
    }
    const data = this.config.deployments.map((d): DeploymentStateJson => {
      const n = shared.get(d.id) ?? {};
      const requests = (n.ok ?? 0) + (n.err ?? 0);
      const until = Number(cooldowns[d.id] ?? 0);
      return {
        id: d.id,
        model_name: d.modelName,
        provider: d.provider,
        model: d.model,
        weight: d.weight,
        rpm: d.rpm ?? null,
        tpm: d.tpm ?? null,
        order: d.order ?? null,
        in_flight: n.inflight ?? 0,
        latency_ms: n.n ? Math.round((n.s ?? 0) / n.n) : null,
        requests_1m: requests,
        errors_1m: n.err ?? 0,
        error_rate: requests > 0 ? Math.round(((n.err ?? 0) / requests) * 10_000) / 10_000 : null,
        cooldown_until: until > now ? new Date(until).toISOString() : null,
        usage_this_minute: { requests: n.r ?? 0, tokens: n.t ?? 0 },
      };
    });
    return { data, routers: routers.length, live_state: live };
  }
}
