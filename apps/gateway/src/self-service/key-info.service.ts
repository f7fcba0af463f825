import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  ANALYTICS_DATABASE,
  CLICKHOUSE,
  keyUsageWindows,
  type ClickHouseClient,
  type KeyUsageWindows,
} from '@switchyard/analytics';
import { Errors, nanosToUsd, type GatewayError } from '@switchyard/contracts';
import { KeysRepository, type KeyRecord, type LimitScope } from '@switchyard/db';
import { limitsBase } from '@switchyard/redis';
import { AdminForwardService } from '../admin-forward/admin-forward.service';
import { AuthService } from '../auth/auth.service';
import { GatewayLimitsStore } from '../limits/limits-store.provider';
import { sendError } from '../http/send-error';

/** A key's budget as the limits machinery enforces it, read fresh (Postgres committed spend, Redis reservations). */
export interface KeyStanding {
  /** Null: the master key. */
  key: KeyRecord | null;
  /** Spend Postgres has committed for the current budget period. */
  spentNanos: bigint;
  /** Held now by requests in flight (their worst-case cost, until spend settles them). */
  reservedNanos: bigint;
  usage: KeyUsageWindows;
  /**
   * Every budget that applies to the key (its own, its user's, team's, organisation's), key first, each with its
   * spend read now and what requests in flight hold against it: what remains is the smallest of what each leaves.
   */
  budgets: { scope: LimitScope; reservedNanos: bigint }[];
}

/** OpenRouter's GET /api/v1/key answer, with Switchyard's exact amounts and limits added. */
export interface OpenRouterKeyJson {
  label: string;
  /** USD; null: no budget. */
  limit: number | null;
  limit_remaining: number | null;
  /** OpenRouter's names for the period ("daily", "weekly", "monthly"), else the budget_duration; null: never. */
  limit_reset: string | null;
  include_byok_in_limit: boolean;
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  byok_usage: number;
  byok_usage_daily: number;
  byok_usage_weekly: number;
  byok_usage_monthly: number;
  is_free_tier: boolean;
  is_provisioning_key: boolean;
  expires_at: string | null;
  /** OpenRouter's deprecated field: the key's rpm_limit per minute, -1 when unlimited. */
  rate_limit: { requests: number; interval: string; note: string };
  limit_nanos: string | null;
  limit_remaining_nanos: string | null;
  /** The budget limit_remaining is the remainder of ("key", "user <id>", "team <id>", "organization <id>"). */
  limit_remaining_of: string | null;
  limit_reset_at: string | null;
  usage_nanos: string;
  reserved_nanos: string;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
}

const RESET_NAMES: Record<string, string> = { '1d': 'daily', '7d': 'weekly', '1mo': 'monthly' };

/**
 * Self-service for a caller with its own key: GET /v1/key (OpenRouter's shape) and LiteLLM's GET /key/info
 * without `?key=`. Not on the request path: each call reads Postgres, Redis and ClickHouse once.
 */
@Injectable()
export class KeyInfoService {
  private readonly logger = new Logger('KeyInfo');

  constructor(
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(GatewayLimitsStore) private readonly limits: GatewayLimitsStore,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(ANALYTICS_DATABASE) private readonly database: string,
    @Inject(AdminForwardService) private readonly admin: AdminForwardService,
  ) {}

  async openRouterKey(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const standing = await this.standing(req);
    if ('error' in standing) return sendError(reply, standing.error);
    void reply.send({ data: toOpenRouterKey(standing) });
  }

  /**
   * LiteLLM's /key/info. With `?key=` or the master key it is the admin route (forwarded, authorised there);
   * a virtual key without `?key=` is answered here, about itself.
   */
  async litellmKeyInfo(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = req.query as Record<string, unknown> | undefined;
    if (query?.['key'] !== undefined) return this.admin.forward(req, reply);
    const auth = await this.auth.authenticate(req.headers, req.ip);
    if (auth.ok && auth.principal.kind === 'master') return this.admin.forward(req, reply);
    const standing = await this.standing(req, auth);
    if ('error' in standing) return sendError(reply, standing.error);
    const key = standing.key!;
    void reply.send({ key: key.id, info: toLitellmInfo(standing) });
  }

  private async standing(
    req: FastifyRequest,
    known?: Awaited<ReturnType<AuthService['authenticate']>>,
  ): Promise<KeyStanding | { error: GatewayError }> {
    const auth = known ?? (await this.auth.authenticate(req.headers, req.ip));
    if (!auth.ok) return { error: auth.error };
    const keyId = auth.principal.keyId;
    let key: KeyRecord | undefined;
    if (keyId !== null) {
      try {
        key = await this.keys.get(keyId);
      } catch (e) {
        this.logger.error(`key ${keyId}: ${(e as Error).message}`);
        return { error: Errors.unavailable('The key store is unavailable. Retry in a moment.') };
      }
      // Deleted between authentication (cache) and now: as for any unknown key.
      if (!key) return { error: Errors.unauthorized('This API key no longer exists. Ask an admin for a new key.') };
    }
    const budgets: KeyStanding['budgets'] = [];
    if (key) {
      let scopes: LimitScope[];
      try {
        scopes = (await this.keys.levelsAbove(key)).scopes;
      } catch (e) {
        this.logger.error(`levels of key ${key.id}: ${(e as Error).message}`);
        return { error: Errors.unavailable('The key store is unavailable. Retry in a moment.') };
      }
      try {
        for (const scope of scopes) {
          if (scope.maxBudgetNanos === null) continue;
          budgets.push({ scope, reservedNanos: await this.limits.reservedNanos(limitsBase(scope.level, scope.id)) });
        }
      } catch (e) {
        this.logger.warn(`reservations of key ${key.id}: ${(e as Error).message}`);
        return { error: Errors.unavailable('The budget store (Redis) is unavailable. Retry in a moment.') };
      }
    }
    const reservedNanos = budgets.find((b) => b.scope.level === 'key')?.reservedNanos ?? 0n;
    let usage: KeyUsageWindows;
    try {
      usage = await keyUsageWindows(this.clickhouse, this.database, key?.id ?? '');
    } catch (e) {
      this.logger.error(`usage of key ${key?.id ?? 'master'}: ${(e as Error).message}`);
      return { error: Errors.unavailable('The usage store is unavailable. Retry in a moment.') };
    }
    return { key: key ?? null, spentNanos: key?.spendNanos ?? usage.totalNanos, reservedNanos, usage, budgets };
  }
}

/** What the tightest budget that applies to the key leaves (never below zero), and which one that is. */
function remaining(s: KeyStanding): { nanos: bigint; of: string } | null {
  let best: { nanos: bigint; of: string } | null = null;
  for (const { scope, reservedNanos } of s.budgets) {
    const left = scope.maxBudgetNanos! - scope.spendNanos - reservedNanos;
    const nanos = left > 0n ? left : 0n;
    if (best === null || nanos < best.nanos)
      best = { nanos, of: scope.level === 'key' ? 'key' : `${scope.level} ${scope.id}` };
  }
  return best;
}

function remainingNanos(s: KeyStanding): bigint | null {
  return remaining(s)?.nanos ?? null;
}

function remainingOf(s: KeyStanding): string | null {
  return remaining(s)?.of ?? null;
}

export function toOpenRouterKey(s: KeyStanding): OpenRouterKeyJson {
  const k = s.key;
  const limit = k?.limits.maxBudgetNanos ?? null;
  const remaining = remainingNanos(s);
  const duration = k?.limits.budgetDuration ?? null;
  const rpm = k?.limits.rpmLimit ?? null;
  return {
    label: k === null ? 'master key' : (k.keyAlias ?? `${k.keyPrefix}…`),
    limit: limit === null ? null : nanosToUsd(limit),
    limit_remaining: remaining === null ? null : nanosToUsd(remaining),
    limit_reset: duration === null ? null : (RESET_NAMES[duration] ?? duration),
    include_byok_in_limit: false,
    usage: nanosToUsd(s.spentNanos),
    usage_daily: nanosToUsd(s.usage.dailyNanos),
    usage_weekly: nanosToUsd(s.usage.weeklyNanos),
    usage_monthly: nanosToUsd(s.usage.monthlyNanos),
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    is_free_tier: false,
    is_provisioning_key: k === null,
    expires_at: k?.expiresAt?.toISOString() ?? null,
    rate_limit: {
      requests: rpm ?? -1,
      interval: '1m',
      note: 'OpenRouter deprecated this field; rpm_limit, tpm_limit and max_parallel_requests are the limits.',
    },
    limit_nanos: limit?.toString() ?? null,
    limit_remaining_nanos: remaining?.toString() ?? null,
    limit_remaining_of: remainingOf(s),
    limit_reset_at: k?.limits.budgetResetAt?.toISOString() ?? null,
    usage_nanos: s.spentNanos.toString(),
    reserved_nanos: s.reservedNanos.toString(),
    rpm_limit: rpm,
    tpm_limit: k?.limits.tpmLimit ?? null,
    max_parallel_requests: k?.limits.maxParallelRequests ?? null,
  };
}

/** LiteLLM's `info` of /key/info, for the caller's own key: never the secret nor its hash. */
export function toLitellmInfo(s: KeyStanding): Record<string, unknown> {
  const k = s.key!;
  const remaining = remainingNanos(s);
  const soft = k.limits.softBudgetNanos;
  return {
    key_name: `${k.keyPrefix}…`,
    key_alias: k.keyAlias,
    spend: nanosToUsd(s.spentNanos),
    spend_nanos: s.spentNanos.toString(),
    reserved_nanos: s.reservedNanos.toString(),
    max_budget: k.limits.maxBudgetNanos === null ? null : nanosToUsd(k.limits.maxBudgetNanos),
    max_budget_nanos: k.limits.maxBudgetNanos?.toString() ?? null,
    remaining_budget: remaining === null ? null : nanosToUsd(remaining),
    remaining_budget_nanos: remaining?.toString() ?? null,
    remaining_budget_of: remainingOf(s),
    soft_budget: soft === null ? null : nanosToUsd(soft),
    budget_duration: k.limits.budgetDuration,
    budget_reset_at: k.limits.budgetResetAt?.toISOString() ?? null,
    rpm_limit: k.limits.rpmLimit,
    tpm_limit: k.limits.tpmLimit,
    max_parallel_requests: k.limits.maxParallelRequests,
    model_rpm_limit: k.modelRpmLimit,
    model_tpm_limit: k.modelTpmLimit,
    model_max_budget: Object.fromEntries(
      k.modelMaxBudget.map((b) => [
        b.model,
        {
          budget_limit: nanosToUsd(b.maxBudgetNanos),
          time_period: b.budgetDuration,
          current_spend: nanosToUsd(b.spendNanos),
          budget_reset_at: b.budgetResetAt.toISOString(),
        },
      ]),
    ),
    models: k.models,
    team_id: k.teamId,
    user_id: k.userId,
    metadata: k.metadata,
    blocked: k.blocked,
    expires: k.expiresAt?.toISOString() ?? null,
    created_at: k.createdAt.toISOString(),
  };
}
