import type { KeyModelBudgetRow } from './database.types';
import { limitScopeOf, type LimitScope } from './limits';

/** One model's budget on a key (LiteLLM's model_max_budget entry), with its spend in the current period. */
export interface ModelBudget {
  /** The model name as configured: requests are matched against it (see resolveModelBudget). */
  model: string;
  maxBudgetNanos: bigint;
  spendNanos: bigint;
  budgetDuration: string;
  budgetResetAt: Date;
}

/** The id of a key's per-model budget level: `<key id>/<model>` (the `key_model` level's id). */
export function keyModelId(keyId: string, model: string): string {
  return `${keyId}/${model}`;
}

export function toModelBudget(row: KeyModelBudgetRow): ModelBudget {
  return {
    model: row.model,
    maxBudgetNanos: BigInt(row.max_budget_nanos),
    spendNanos: BigInt(row.spend_nanos),
    budgetDuration: row.budget_duration,
    budgetResetAt: row.budget_reset_at,
  };
}

/**
 * The model_max_budget entry that governs a request for `model`, as LiteLLM resolves it: the model as the request
 * names it (the model group), else that name without its `provider/` prefix (`gpt-4o` governs `openai/gpt-4o`).
 */
export function resolveModelBudget<T extends { model: string }>(model: string, budgets: readonly T[]): T | undefined {
  if (budgets.length === 0) return undefined;
  const bare = model.slice(model.lastIndexOf('/') + 1);
  return budgets.find((b) => b.model === model) ?? (bare !== model ? budgets.find((b) => b.model === bare) : undefined);
}

/** The `key_model` budget level of a key's per-model budget, as the gateway enforces it. */
export function modelBudgetScope(keyId: string, b: ModelBudget): LimitScope {
  return limitScopeOf('key_model', keyModelId(keyId, b.model), {
    max_budget_nanos: b.maxBudgetNanos.toString(),
    soft_budget_nanos: null,
    spend_nanos: b.spendNanos.toString(),
    budget_duration: b.budgetDuration,
    budget_reset_at: b.budgetResetAt,
    rpm_limit: null,
    tpm_limit: null,
    max_parallel_requests: null,
  });
}
