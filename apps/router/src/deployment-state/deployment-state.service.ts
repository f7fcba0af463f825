import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { CONFIG, ENV, type Env, type SwitchyardConfig } from '@switchyard/config';
import {
  parseRoutingStateField,
  ROUTING_STATE_KEYS as STATE_KEYS,
  routingStateField as field,
} from '@switchyard/contracts';
import { HotRedis } from '@switchyard/redis';
import {
  cooldownMsFor,
  coolsDownAtOnce,
  countsAgainstDeployment,
  FAIL_WINDOW_MS,
  FailureWindow,
  LatencyWindow,
  OutcomeWindow,
  type CooldownRules,
  type CooldownView,
  type DeploymentFailure,
  type MinuteUsage,
  type UsageView,
} from '@switchyard/routing';
import {
  countUsageScript,
  loadCooldownsScript,
  recordFailureScript,
  syncRouterNumbersScript,
} from './deployment-state.scripts';

const NO_USAGE: MinuteUsage = { requests: 0, tokens: 0 };

/**
 * Deployment health shared by every router instance, without a Redis round trip on the path of a request:
 * decisions read a local view (a map); failures update that view at once and go to Redis off the request path
 * (one script call, not awaited), where failures are counted across instances (allowed_fails) and a cooldown is
 * published to every instance. The view also reloads every cooldown in the background, which heals what a lost
 * message or an outage missed. When Redis is unreachable, routing goes on from this instance's own view (logged
 * once, and once more when Redis is back). Requests in flight per deployment are shared the same way (each router
 * publishes its own counts and reads the others' in the background refresh), for strategies that balance load.
 */
@Injectable()
export class DeploymentState implements CooldownView, UsageView, OnModuleInit, OnApplicationShutdown {
  static readonly REFRESH_MS = 1_000;
  private readonly logger = new Logger('DeploymentState');
  /** How long a router's in-flight counts count after its last sync. */
  static readonly IN_FLIGHT_TTL_MS = 3_000;
  private readonly cooldowns = new Map<string, number>();
  /** This router's attempts in flight per deployment, and the other routers' as of the last sync. */
  private readonly ownInFlight = new Map<string, number>();
  private othersInFlight = new Map<string, number>();
  private readonly ownLatency = new LatencyWindow();
  /** This router's attempts per deployment in about the last minute (GET /v1/deployments reads every router's). */
  private readonly outcomes = new OutcomeWindow();
  private othersLatency = new Map<string, { sum: number; count: number }>();
  private readonly instanceId = randomUUID();
  private readonly failures = new FailureWindow();
  /**
   * Usage per deployment in the current minute (usage-based routing only): every router's as of the last refresh,
   * plus this router's own since that refresh was sent.
   */
  private readonly trackUsage: boolean;
  private usageMinute = 0;
  private sharedUsage = new Map<string, MinuteUsage>();
  private ownUsage = new Map<string, MinuteUsage>();
  private readonly rules: CooldownRules;
  private readonly redis: HotRedis;
  private timer?: NodeJS.Timeout;
  private everUp = false;

  constructor(@Inject(ENV) env: Env, @Inject(CONFIG) config: SwitchyardConfig) {
    this.rules = config.routerSettings.cooldowns;
    this.trackUsage = config.routerSettings.routingStrategy === 'usage-based-routing-v2';
    this.redis = new HotRedis({
      url: env.REDIS_URL,
      keyPrefix: env.SWITCHYARD_REDIS_PREFIX,
      name: 'switchyard-router',
      commandTimeoutMs: 250,
      onAvailabilityChange: (up, reason) => this.onAvailability(up, reason),
    });
  }

  async onModuleInit(): Promise<void> {
    // Not awaited: a router starts and routes without Redis; the subscription is made once Redis answers.
    this.redis
      .subscribe(STATE_KEYS.channel, (message) => this.onMessage(message))
      .catch((e: Error) => this.logger.warn(`could not subscribe to cooldown notices: ${e.message}`));
    this.redis.waitUntilReady(2_000).catch((e: Error) => {
      if (!this.everUp) this.onAvailability(false, e.message);
    });
    this.timer = setInterval(() => void this.refresh(), DeploymentState.REFRESH_MS);
    this.timer.unref();
    void this.refresh();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    // This router's counts stop counting now rather than when they expire.
    await this.redis
      .pipeline((p) => {
        p.commands.del(`${STATE_KEYS.inFlight}${this.instanceId}`, `${STATE_KEYS.latency}${this.instanceId}`);
        p.commands.zrem(STATE_KEYS.routers, this.instanceId);
      })
      .catch(() => undefined);
    await this.redis.close();
  }

  /** Epoch ms until which the deployment cools down, as this instance knows it (0 when it does not). */
  cooldownUntil(deploymentId: string): number {
    return this.cooldowns.get(deploymentId) ?? 0;
  }

  /** Attempts in flight on a deployment across every router (others' as of the last sync, within a second). */
  inFlight(deploymentId: string): number {
    return (this.ownInFlight.get(deploymentId) ?? 0) + (this.othersInFlight.get(deploymentId) ?? 0);
  }

  /** Recent average latency of a deployment over every router's last samples; undefined when none was measured. */
  latencyMs(deploymentId: string): number | undefined {
    const own = this.ownLatency.totalOf(deploymentId);
    const others = this.othersLatency.get(deploymentId);
    const count = own.count + (others?.count ?? 0);
    return count === 0 ? undefined : (own.sum + (others?.sum ?? 0)) / count;
  }

  /** An attempt's outcome, for the recent error rate the admin API reports. */
  recordOutcome(deploymentId: string, ok: boolean, now = Date.now()): void {
    this.outcomes.record(deploymentId, ok, now);
  }

  /** A successful attempt's latency (time to first token for streams). */
  recordLatency(deploymentId: string, ms: number): void {
    this.ownLatency.record(deploymentId, ms);
  }

  /** An attempt was handed to a translator. */
  started(deploymentId: string): void {
    this.ownInFlight.set(deploymentId, (this.ownInFlight.get(deploymentId) ?? 0) + 1);
    if (this.trackUsage) this.countUsage(deploymentId, 'r', 1);
  }

  /** Requests and tokens a deployment served in the current minute, across routers (within a second). */
  minuteUsage(deploymentId: string, now = Date.now()): MinuteUsage {
    this.rollMinute(now);
    const shared = this.sharedUsage.get(deploymentId) ?? NO_USAGE;
    const own = this.ownUsage.get(deploymentId) ?? NO_USAGE;
    return { requests: shared.requests + own.requests, tokens: shared.tokens + own.tokens };
  }

  /** Tokens an attempt used (usage-based routing counts them against the deployment's tpm). */
  recordTokens(deploymentId: string, tokens: number): void {
    if (this.trackUsage && Number.isFinite(tokens) && tokens > 0)
      this.countUsage(deploymentId, 't', Math.round(tokens));
  }

  /** Counts locally at once; adds to the minute's shared hash without waiting for Redis. */
  private countUsage(deploymentId: string, what: 'r' | 't', n: number, now = Date.now()): void {
    this.rollMinute(now);
    const own = this.ownUsage.get(deploymentId) ?? { requests: 0, tokens: 0 };
    if (what === 'r') own.requests += n;
    else own.tokens += n;
    this.ownUsage.set(deploymentId, own);
    if (!this.redis.isAvailable) return;
    this.redis
      .eval(countUsageScript, [STATE_KEYS.usage(this.usageMinute)], [field(deploymentId, what), n, 120_000])
      .catch((e: Error) => this.logger.debug(`could not share usage of ${deploymentId}: ${e.message}`));
  }

  /** A new minute starts every deployment's usage from zero. */
  private rollMinute(now: number): void {
    const minute = Math.floor(now / 60_000);
    if (minute === this.usageMinute) return;
    this.usageMinute = minute;
    this.sharedUsage = new Map();
    this.ownUsage = new Map();
  }

  /** An attempt reported its outcome (or nobody waits for it any more). */
  finished(deploymentId: string): void {
    const n = (this.ownInFlight.get(deploymentId) ?? 0) - 1;
    if (n > 0) this.ownInFlight.set(deploymentId, n);
    else this.ownInFlight.delete(deploymentId);
  }

  /**
   * Records a failed attempt of a deployment: counts it, cools the deployment down when the rules say so (in the
   * local view at once), and shares both through Redis without waiting for it. Returns the local cooldown's end.
   */
  recordFailure(deploymentId: string, failure: DeploymentFailure, now = Date.now()): number {
    if (this.rules.disabled || !countsAgainstDeployment(failure)) return 0;
    const fails = this.failures.record(deploymentId, now);
    const ms = cooldownMsFor(failure, fails, this.rules);
    if (ms !== undefined) this.coolDown(deploymentId, now + ms);
    if (this.redis.isAvailable) {
      const immediateMs = coolsDownAtOnce(failure) ? (cooldownMsFor(failure, 1, this.rules) ?? 0) : 0;
      this.redis
        .eval(
          recordFailureScript,
          [STATE_KEYS.fails(deploymentId), STATE_KEYS.cooldowns],
          [
            deploymentId,
            now,
            FAIL_WINDOW_MS,
            this.rules.allowedFails,
            immediateMs,
            this.rules.cooldownTimeMs,
            this.redis.channel(STATE_KEYS.channel),
          ],
        )
        .then(
          ([, until]) => {
            if (until > 0) this.coolDown(deploymentId, until);
          },
          (e: Error) => this.logger.debug(`could not share a failure of ${deploymentId}: ${e.message}`),
        );
    }
    return this.cooldownUntil(deploymentId);
  }

  /** Reloads every cooldown from Redis, dropping ended ones there (background; a failure leaves the local view as it is). */
  async refresh(): Promise<void> {
    const now = Date.now();
    this.failures.prune(now);
    for (const [id, until] of this.cooldowns) if (until <= now) this.cooldowns.delete(id);
    if (!this.redis.isAvailable) {
      // Other routers' numbers can no longer be known: this router balances on its own.
      this.othersInFlight = new Map();
      this.othersLatency = new Map();
      return;
    }
    try {
      for (const [id, until] of await this.redis.eval(loadCooldownsScript, [STATE_KEYS.cooldowns], [now])) {
        this.coolDown(id, until);
      }
    } catch (e) {
      this.logger.debug(`could not reload cooldowns: ${(e as Error).message}`);
    }
    if (this.trackUsage) await this.refreshUsage(now);
    try {
      const counts = [...this.ownInFlight].flat();
      const others = await this.redis.eval(
        syncRouterNumbersScript,
        [STATE_KEYS.routers],
        [this.redis.key(STATE_KEYS.inFlight), this.instanceId, now, DeploymentState.IN_FLIGHT_TTL_MS, ...counts],
      );
      this.othersInFlight = new Map(others);
      const latencies = [
        ...this.ownLatency.totals().flatMap(([id, t]) => [field(id, 's'), Math.round(t.sum), field(id, 'n'), t.count]),
        ...this.outcomes.totals(now).flatMap(([id, c]) => [field(id, 'ok'), c.ok, field(id, 'err'), c.failed]),
      ];
      const shared = await this.redis.eval(
        syncRouterNumbersScript,
        [STATE_KEYS.routers],
        [this.redis.key(STATE_KEYS.latency), this.instanceId, now, DeploymentState.IN_FLIGHT_TTL_MS, ...latencies],
      );
      const othersLatency = new Map<string, { sum: number; count: number }>();
      for (const [name, value] of shared) {
        const parsed = parseRoutingStateField(name);
        // Attempt counts (`ok`, `err`) are read by the admin API only.
        if (parsed === undefined || (parsed.what !== 's' && parsed.what !== 'n')) continue;
        const { deploymentId: id, what } = parsed;
        const t = othersLatency.get(id) ?? { sum: 0, count: 0 };
        if (what === 's') t.sum = value;
        else t.count = value;
        othersLatency.set(id, t);
      }
      this.othersLatency = othersLatency;
    } catch (e) {
      this.logger.debug(`could not share requests in flight and latency: ${(e as Error).message}`);
    }
  }

  /**
   * Reloads the minute's usage from Redis. Counts this router sent before the read are in it (one connection keeps
   * commands in order); those made while the read is on its way stay in the local part.
   */
  private async refreshUsage(now: number): Promise<void> {
    this.rollMinute(now);
    const minute = this.usageMinute;
    const pending = this.ownUsage;
    this.ownUsage = new Map();
    try {
      const all = await this.redis.commands.hgetall(STATE_KEYS.usage(minute));
      if (minute !== this.usageMinute) return;
      const shared = new Map<string, MinuteUsage>();
      for (const [name, value] of Object.entries(all)) {
        const parsed = parseRoutingStateField(name);
        if (parsed === undefined) continue;
        const u = shared.get(parsed.deploymentId) ?? { requests: 0, tokens: 0 };
        if (parsed.what === 'r') u.requests = Number(value);
        else u.tokens = Number(value);
        shared.set(parsed.deploymentId, u);
      }
      this.sharedUsage = shared;
    } catch (e) {
      // Not read: what this router counted stays counted locally.
      if (minute === this.usageMinute) {
        for (const [id, u] of pending) {
          const own = this.ownUsage.get(id) ?? { requests: 0, tokens: 0 };
          this.ownUsage.set(id, { requests: own.requests + u.requests, tokens: own.tokens + u.tokens });
        }
      }
      this.logger.debug(`could not read deployment usage: ${(e as Error).message}`);
    }
  }

  private coolDown(deploymentId: string, until: number): void {
    if (until > (this.cooldowns.get(deploymentId) ?? 0)) this.cooldowns.set(deploymentId, until);
  }

  private onMessage(message: string): void {
    const space = message.lastIndexOf(' ');
    const until = Number(message.slice(space + 1));
    if (space > 0 && Number.isFinite(until)) this.coolDown(message.slice(0, space), until);
  }

  private onAvailability(up: boolean, reason?: string): void {
    if (up) {
      if (this.everUp) this.logger.log('Redis is back: deployment cooldowns are shared with the other routers again');
      this.everUp = true;
      void this.refresh();
    } else {
      this.logger.warn(
        `Redis is unreachable (${reason ?? 'disconnected'}): routing goes on from this router's own view of ` +
          'deployment cooldowns, not shared with other routers, until Redis is back',
      );
    }
  }
}
