import type { LimitColumns } from './database.types';
import type { Selectable } from 'kysely';

/** The levels a request is limited and charged at. `key_model` is one model on one key (model_rpm_limit...). */
export const LIMIT_LEVELS = ['key', 'key_model', 'user', 'team', 'organization', 'end_user'] as const;
export type LimitLevel = (typeof LIMIT_LEVELS)[number];

/** One level's budget and rate limits, as the gateway enforces them. Null: no limit. */
export interface LimitScope {
  level: LimitLevel;
  id: string;
  maxBudgetNanos: bigint | null;
  softBudgetNanos: bigint | null;
  /** Spend in Postgres when the row was read (seeds Redis when Redis has no total for this level). */
  spendNanos: bigint;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
}

/** The columns a limit scope is read from, whichever table. */
export type LimitRow = Selectable<LimitColumns>;

export function limitScopeOf(level: LimitLevel, id: string, row: LimitRow): LimitScope {
  return {
    level,
    id,
    maxBudgetNanos: row.max_budget_nanos === null ? null : BigInt(row.max_budget_nanos),
    softBudgetNanos: row.soft_budget_nanos === null ? null : BigInt(row.soft_budget_nanos),
    spendNanos: BigInt(row.spend_nanos),
    budgetDuration: row.budget_duration,
    budgetResetAt: row.budget_reset_at,
    rpmLimit: row.rpm_limit,
    tpmLimit: row.tpm_limit === null ? null : Number(row.tpm_limit),
    maxParallelRequests: row.max_parallel_requests,
  };
}

/** True when the scope limits anything the gateway enforces per request. */
export function scopeLimits(s: LimitScope): boolean {
  return s.maxBudgetNanos !== null || s.rpmLimit !== null || s.tpmLimit !== null || s.maxParallelRequests !== null;
}

/** Limit values as the admin API and repositories take them (absent: keep; null: no limit). */
export interface LimitInput {
  maxBudgetNanos?: bigint | null;
  softBudgetNanos?: bigint | null;
  budgetDuration?: string | null;
  budgetResetAt?: Date | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
}

/** The columns to write for `input` (absent fields left out). */
export function limitColumnsOf(input: LimitInput): Partial<{
  max_budget_nanos: string | null;
  soft_budget_nanos: string | null;
  budget_duration: string | null;
  budget_reset_at: Date | null;
  rpm_limit: number | null;
  tpm_limit: string | null;
  max_parallel_requests: number | null;
}> {
  const big = (v: bigint | null) => (v === null ? null : v.toString());
  return {
    ...(input.maxBudgetNanos !== undefined && { max_budget_nanos: big(input.maxBudgetNanos) }),
    ...(input.softBudgetNanos !== undefined && { soft_budget_nanos: big(input.softBudgetNanos) }),
    ...(input.budgetDuration !== undefined && { budget_duration: input.budgetDuration }),
    ...(input.budgetResetAt !== undefined && { budget_reset_at: input.budgetResetAt }),
    ...(input.rpmLimit !== undefined && { rpm_limit: input.rpmLimit }),
    ...(input.tpmLimit !== undefined && { tpm_limit: input.tpmLimit === null ? null : String(input.tpmLimit) }),
    ...(input.maxParallelRequests !== undefined && { max_parallel_requests: input.maxParallelRequests }),
  };
}

const BUDGET_DURATION = /^(\d{1,6})(s|m|h|d|mo)$/;

/** True for LiteLLM's budget_duration forms: `30s`, `15m`, `1h`, `1d`, `7d`, `30d`, `1mo`. */
export function isBudgetDuration(s: string): boolean {
  const m = BUDGET_DURATION.exec(s);
  return m !== null && Number(m[1]) > 0;
}

/** When a budget with this duration that starts at `from` resets (months are calendar months, in UTC). */
export function nextBudgetReset(duration: string, from: Date): Date {
  const m = BUDGET_DURATION.exec(duration);
  if (!m || Number(m[1]) <= 0) throw new RangeError(`Invalid budget_duration "${duration}".`);
  const n = Number(m[1]);
  if (m[2] === 'mo') {
    const d = new Date(from.getTime());
    d.setUTCMonth(d.getUTCMonth() + n);
    return d;
  }
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  return new Date(from.getTime() + n * unit);
}
