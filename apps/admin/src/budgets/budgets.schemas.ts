import { z } from 'zod';
import { BudgetDurationSchema, LimitFieldsSchema, SoftBudgetSchema } from '../common/limits.schemas';
import { UsdAmountSchema } from '../common/money';
import { textSchema } from '../common/text.schemas';

/** LiteLLM's /budget/new fields this gateway enforces (on the end users linked to the budget). */
const BudgetFields = {
  /** USD. */
  max_budget: UsdAmountSchema.nullable().optional(),
  soft_budget: SoftBudgetSchema,
  budget_duration: BudgetDurationSchema,
  ...LimitFieldsSchema,
};

export const CreateBudgetSchema = z.strictObject({
  /** Chosen by the caller, else generated. */
  budget_id: textSchema(1, 256).optional(),
  ...BudgetFields,
});
export const UpdateBudgetSchema = z.strictObject(BudgetFields);
/** LiteLLM's /budget/update: the budget_id in the body. */
export const LitellmUpdateBudgetSchema = UpdateBudgetSchema.extend({ budget_id: textSchema(1, 256) });
export const BudgetInfoSchema = z.strictObject({ budgets: z.array(textSchema(1, 256)).min(1).max(1000) });
export const DeleteBudgetSchema = z.strictObject({ id: textSchema(1, 256) });

export const BudgetJsonSchema = z.object({
  budget_id: z.string(),
  max_budget: z.number().nullable(),
  max_budget_nanos: z.string().nullable(),
  soft_budget: z.number().nullable(),
  soft_budget_nanos: z.string().nullable(),
  budget_duration: z.string().nullable(),
  rpm_limit: z.number().nullable(),
  tpm_limit: z.number().nullable(),
  max_parallel_requests: z.number().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type BudgetJson = z.infer<typeof BudgetJsonSchema>;
export const BudgetListSchema = z.array(BudgetJsonSchema);
