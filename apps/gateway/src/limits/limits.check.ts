import { Inject, Injectable, Logger } from '@nestjs/common';
import { ENV, type Env } from '@switchyard/config';
import type { GatewayError } from '@switchyard/contracts';
import { modelBudgetScope, resolveModelBudget, scopeLimits, type LimitScope } from '@switchyard/db';
import { usdDecimalToNanos } from '@switchyard/pricing';
import { limitsBase, type LevelLimits } from '@switchyard/redis';
import type { AdmissionCheck, AdmissionContext } from '../pipeline/admission-check';
import { GatewayLimitsStore } from './limits-store.provider';
import { rateLimitHeaders } from './rate-limit-headers';
import { worstCaseCost } from './worst-case-cost';

const LEVEL_NAMES: Record<LimitScope['level'], string> = {
  key: 'key',
  key_model: 'key',
  user: 'user',
  team: 'team',
  organization: 'organization',
  end_user: 'end user',
};

/**
 * Budgets and rate limits of every level that applies to the request (key, per-model on the key, user, team,
 * organisation, end user), checked and taken in one Redis script: all or nothing, exact across gateway instances.
 * A key with no limit anywhere costs no Redis round trip.
 */
@Injectable()
export class LimitsCheck implements AdmissionCheck {
  readonly name = 'limits';
  private readonly logger = new Logger('Limits');
  private readonly capNanos: bigint;

  constructor(
    @Inject(GatewayLimitsStore) private readonly store: GatewayLimitsStore,
    @Inject(ENV) env: Env,
  ) {
    this.capNanos = usdDecimalToNanos(
      env.SWITCHYARD_BUDGET_RESERVATION_MAX_USD,
      'SWITCHYARD_BUDGET_RESERVATION_MAX_USD',
    );
  }

  async check(ctx: AdmissionContext): Promise<GatewayError | undefined> {
    const scopes = scopesOf(ctx);
    if (scopes.length === 0) return undefined;
    const levels = scopes.map(toLevel);
    const worst = worstCaseCost(ctx.summary, ctx.deployments, this.capNanos);
    let r;
    try {
      r = await this.store.admit(ctx.requestId, levels, worst.costNanos, worst.tokens);
    } catch (e) {
      // A timeout leaves it unknown whether the script ran: undo whatever it may have taken, then refuse (503).
      void this.store
        .cancel(
          ctx.requestId,
          levels.map((l) => l.base),
        )
        .catch(() => undefined);
      throw e;
    }
    if (r.ok) {
      Object.assign(ctx.headers, rateLimitHeaders(r.requests, r.tokens));
      const parallel = levels.filter((l) => l.maxParallelRequests !== null).map((l) => l.base);
      if (parallel.length > 0) {
        ctx.onEnd(() =>
          this.store
            .release(ctx.requestId, parallel)
            .catch((e: Error) =>
              this.logger.warn(`could not free the parallel slots of ${ctx.requestId} (${e.message}); they expire`),
            ),
        );
      }
      return undefined;
    }
    const scope = scopes[r.scopeIndex]!;
    const who = describe(scope, ctx);
    if (r.what === 'budget') return budgetExceeded(scope, who, BigInt(r.current), BigInt(r.limit), BigInt(r.extra));
    const retryAfter = Math.max(1, Math.ceil(r.extra / 1000));
    if (r.what === 'rpm' || r.what === 'tpm') {
      const tokens = r.what === 'tpm';
      const limitName = `${scope.level === 'key_model' ? 'model_' : ''}${tokens ? 'tpm' : 'rpm'}_limit`;
      Object.assign(
        ctx.headers,
        rateLimitHeaders(
          tokens ? undefined : { limit: Number(r.limit), remaining: 0, resetMs: r.extra },
          tokens ? { limit: Number(r.limit), remaining: 0, resetMs: r.extra } : undefined,
        ),
      );
      return rateLimited(
        `Rate limit exceeded: ${who} allows ${r.limit} ${tokens ? 'tokens' : 'requests'} per minute (${limitName}) and has used ${r.current} in the last minute. Retry in ${retryAfter} s, or ask an admin to raise ${limitName}.`,
        retryAfter,
      );
    }
    return rateLimited(
      `Rate limit exceeded: ${who} allows ${r.limit} requests at once (max_parallel_requests) and ${r.current} are running. Retry when one ends, or ask an admin to raise max_parallel_requests.`,
      retryAfter,
    );
  }
}

/** The levels that limit something for this request, key first. */
function scopesOf(ctx: AdmissionContext): LimitScope[] {
  const limits = ctx.principal.limits;
  const out: LimitScope[] = [];
  if (limits) {
    for (const s of limits.scopes) if (scopeLimits(s)) out.push(s);
    const model = ctx.summary.model;
    const keyId = ctx.principal.keyId;
    // model_max_budget: the entry governing the requested model (LiteLLM's matching), a budget level of its own.
    const budget = keyId ? resolveModelBudget(model, limits.modelMaxBudget) : undefined;
    if (budget) out.push(modelBudgetScope(keyId!, budget));
    const rpm = limits.modelRpmLimit[model];
    const tpm = limits.modelTpmLimit[model];
    if ((rpm !== undefined || tpm !== undefined) && ctx.principal.keyId) {
      out.push({
        level: 'key_model',
        id: `${ctx.principal.keyId}/${model}`,
        maxBudgetNanos: null,
        softBudgetNanos: null,
        spendNanos: 0n,
        budgetDuration: null,
        budgetResetAt: null,
        rpmLimit: rpm ?? null,
        tpmLimit: tpm ?? null,
        maxParallelRequests: null,
      });
    }
  }
  if (ctx.endUser && scopeLimits(ctx.endUser)) out.push(ctx.endUser);
  return out;
}

function toLevel(s: LimitScope): LevelLimits {
  return {
    base: limitsBase(s.level, s.id),
    maxBudgetNanos: s.maxBudgetNanos,
    rpmLimit: s.rpmLimit,
    tpmLimit: s.tpmLimit,
    maxParallelRequests: s.maxParallelRequests,
    seedSpendNanos: s.spendNanos,
    seedPeriodMs: s.budgetResetAt?.getTime() ?? 0,
  };
}

/** Names the level without any secret: ids and aliases only. */
function describe(s: LimitScope, ctx: AdmissionContext): string {
  if (s.level === 'key' || s.level === 'key_model') {
    const alias = ctx.principal.limits?.keyAlias;
    const slash = s.id.indexOf('/');
    const keyId = slash < 0 ? s.id : s.id.slice(0, slash);
    const key = `key ${alias ? `"${alias}" (${keyId})` : keyId}`;
    return s.level === 'key_model' ? `${key} for model "${s.id.slice(slash + 1)}"` : key;
  }
  return `${LEVEL_NAMES[s.level]} ${s.id}`;
}

/** Exact USD from nano-USD: `$0.0004875`, `$12.50`. */
export function usd(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  const fraction = (abs % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '').padEnd(2, '0');
  return `${sign}$${abs / 1_000_000_000n}.${fraction}`;
}

function budgetExceeded(s: LimitScope, who: string, spent: bigint, limit: bigint, reserved: bigint): GatewayError {
  const resets =
    s.budgetResetAt !== null
      ? `It resets at ${s.budgetResetAt.toISOString()} (budget_duration ${s.budgetDuration ?? 'unset'}).`
      : 'It does not reset (no budget_duration): ask an admin to raise max_budget.';
  const inFlight = reserved > 0n ? ` (plus ${usd(reserved)} reserved by requests in flight)` : '';
  return {
    kind: 'permission',
    status: 402,
    type: 'insufficient_quota',
    code: 'budget_exceeded',
    param: null,
    retryable: false,
    message: `Budget exceeded: ${who} has spent ${usd(spent)}${inFlight} of its ${s.level === 'key_model' ? 'model_max_budget' : 'max_budget'} ${usd(limit)}, which this request's worst-case cost does not fit. ${resets}`,
  };
}

function rateLimited(message: string, retryAfter: number): GatewayError {
  return {
    kind: 'rate_limited',
    status: 429,
    message,
    type: 'rate_limit_error',
    param: null,
    code: 'rate_limit_exceeded',
    retryAfter,
  };
}
