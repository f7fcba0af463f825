import { z } from 'zod';
import { budgetToNanos, nanosToUsdOrNull, UsdAmountSchema } from './money';
import { isBudgetDuration, nextBudgetReset, type LimitInput, type LimitScope, type ModelBudget } from '@switchyard/db';
import { nanosToUsd, usdToNanos } from '@switchyard/contracts';
import { usdDecimalToNanos } from '@switchyard/pricing';

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

const USD_TEXT = /^\d{1,10}(\.\d{1,9})?$/;

/** A USD amount as LiteLLM clients send budget_limit: a number, or the same as a decimal string ("0.50"). */
const UsdNumberOrTextSchema = z.union([
  UsdAmountSchema,
  z
    .string()
    .regex(USD_TEXT, 'must be a decimal USD amount such as "10" or "0.25" (at most 9 fraction digits)')
    .refine((s) => Number(s) <= 1e9, 'must be at most 1e9 USD'),
]);

/**
 * One entry of LiteLLM's model_max_budget: {"budget_limit": <USD>, "time_period": "1d"} (LiteLLM's aliases
 * max_budget and budget_duration are taken too). Per-model rate limits are model_rpm_limit / model_tpm_limit.
 */
const ModelBudgetEntrySchema = z
  .strictObject({
    budget_limit: UsdNumberOrTextSchema.optional(),
    max_budget: UsdNumberOrTextSchema.optional(),
    time_period: z.string().max(16).optional(),
    budget_duration: z.string().max(16).optional(),
  })
  .superRefine((e, ctx) => {
    if ((e.budget_limit === undefined) === (e.max_budget === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give the budget as "budget_limit" (USD), once',
        path: ['budget_limit'],
      });
    const period = e.time_period ?? e.budget_duration;
    if (e.time_period !== undefined && e.budget_duration !== undefined)
      ctx.addIssue({ code: 'custom', message: 'give "time_period" once', path: ['time_period'] });
    else if (period === undefined || !isBudgetDuration(period))
      ctx.addIssue({
        code: 'custom',
        message:
          'needs "time_period": a positive whole number with a unit s, m, h, d or mo (for example "1d", "30d", "1mo"), after which the model\'s spend returns to zero',
        path: ['time_period'],
      });
  });

/**
 * LiteLLM's model_max_budget on a key: {"<model>": {"budget_limit": <USD>, "time_period": "1d"}}. The model is
 * matched as LiteLLM matches it: the requested model, else its name without the `provider/` prefix.
 */
export const ModelMaxBudgetSchema = z
  .record(z.string().min(1).max(256), ModelBudgetEntrySchema)
  .refine((m) => Object.keys(m).length <= 100, 'at most 100 models');
export type ModelMaxBudgetInput = z.infer<typeof ModelMaxBudgetSchema>;

/** The validated model_max_budget as the repository stores it. */
export function modelBudgetInputsOf(
  m: ModelMaxBudgetInput,
): { model: string; maxBudgetNanos: bigint; budgetDuration: string }[] {
  return Object.entries(m).map(([model, e]) => {
    const limit = (e.budget_limit ?? e.max_budget)!;
    return {
      model,
      maxBudgetNanos: typeof limit === 'number' ? usdToNanos(limit) : usdDecimalToNanos(limit, 'budget_limit'),
      budgetDuration: (e.time_period ?? e.budget_duration)!,
    };
  });
}

export const ModelMaxBudgetJsonSchema = z.record(
  z.string(),
  z.object({
    budget_limit: z.number().describe('USD, for display; budget_limit_nanos is exact'),
    budget_limit_nanos: z.string(),
    time_period: z.string(),
    spend: z.number(),
    spend_nanos: z.string(),
    budget_reset_at: z.string(),
  }),
);

/** A key's per-model budgets in LiteLLM's shape, with their spend and reset. */
export function modelMaxBudgetJson(budgets: readonly ModelBudget[]): z.infer<typeof ModelMaxBudgetJsonSchema> {
  return Object.fromEntries(
    budgets.map((b) => [
      b.model,
      {
        budget_limit: nanosToUsd(b.maxBudgetNanos),
        budget_limit_nanos: b.maxBudgetNanos.toString(),
        time_period: b.budgetDuration,
        spend: nanosToUsd(b.spendNanos),
        spend_nanos: b.spendNanos.toString(),
        budget_reset_at: b.budgetResetAt.toISOString(),
      },
    ]),
  );
}
