import { z } from 'zod';
import { budgetToNanos, nanosToUsdOrNull, UsdAmountSchema } from './money';
import { isBudgetDuration, nextBudgetReset, type LimitInput, type LimitScope } from '@switchyard/db';

const count = (max: number) => z.number().int('must be a whole number').min(0, 'must be ≥ 0').max(max);

/** Rate limits every level takes (LiteLLM's names); null removes a limit. */
export const LimitFieldsSchema = {
  /** Requests per minute, over a sliding minute, across every gateway instance. */
  rpm_limit: count(100_000_000).nullable().optional(),
  /** Tokens per minute (prompt estimate plus max_tokens at admission, corrected to real usage). */
  tpm_limit: count(Number.MAX_SAFE_INTEGER).nullable().optional(),
  /** Requests running at once. */
  max_parallel_requests: count(1_000_000).nullable().optional(),
};

/**
 * LiteLLM's budget_duration: spend returns to zero every period (`30s`, `15m`, `1h`, `1d`, `7d`, `30d`, `1mo`), the
 * first period starting when it is set. null: the budget never resets.
 */
export const BudgetDurationSchema = z
  .string()
  .max(16)
  .refine(isBudgetDuration, 'must be a positive whole number with a unit: s, m, h, d or mo (for example "30d", "1mo")')
  .nullable()
  .optional();

/**
 * USD. Crossing it sends one alert per budget period (general_settings.alerting: ["webhook"] to WEBHOOK_URL);
 * requests are not refused for it.
 */
export const SoftBudgetSchema = UsdAmountSchema.nullable().optional();

/** Per-model limits on a key: {"<model>": <per minute>}. */
export const ModelLimitMapSchema = z
  .record(z.string().min(1).max(256), count(100_000_000))
  .refine((m) => Object.keys(m).length <= 1000, 'at most 1000 models');

export function limitInputOf(
  input: {
    rpm_limit?: number | null;
    tpm_limit?: number | null;
    max_parallel_requests?: number | null;
    budget_duration?: string | null;
    soft_budget?: number | null;
  },
  now = new Date(),
): LimitInput {
  const duration = input.budget_duration;
  return {
    ...(input.soft_budget !== undefined && { softBudgetNanos: budgetToNanos(input.soft_budget) }),
    // A new or changed duration starts a new period now; the spend job resets spend at budget_reset_at.
    ...(duration !== undefined && {
      budgetDuration: duration,
      budgetResetAt: duration === null ? null : nextBudgetReset(duration, now),
    }),
    ...(input.rpm_limit !== undefined && { rpmLimit: input.rpm_limit }),
    ...(input.tpm_limit !== undefined && { tpmLimit: input.tpm_limit }),
    ...(input.max_parallel_requests !== undefined && { maxParallelRequests: input.max_parallel_requests }),
  };
}

export const LimitsJsonSchema = {
  soft_budget: z.number().nullable().describe('USD, for display; soft_budget_nanos is exact'),
  soft_budget_nanos: z.string().nullable(),
  budget_duration: z.string().nullable(),
  budget_reset_at: z
    .string()
    .nullable()
    .describe('When spend next returns to zero (ISO 8601); null without a duration'),
  rpm_limit: z.number().nullable(),
  tpm_limit: z.number().nullable(),
  max_parallel_requests: z.number().nullable(),
};

export function limitsJson(s: LimitScope): {
  soft_budget: number | null;
  soft_budget_nanos: string | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  rpm_limit: number | null;
  tpm_limit: number | null;
  max_parallel_requests: number | null;
} {
  return {
    soft_budget: nanosToUsdOrNull(s.softBudgetNanos),
    soft_budget_nanos: s.softBudgetNanos?.toString() ?? null,
    budget_duration: s.budgetDuration,
    budget_reset_at: s.budgetResetAt?.toISOString() ?? null,
    rpm_limit: s.rpmLimit,
    tpm_limit: s.tpmLimit,
    max_parallel_requests: s.maxParallelRequests,
  };
}
