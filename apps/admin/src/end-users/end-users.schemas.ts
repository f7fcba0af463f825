import { z } from 'zod';
import { BudgetDurationSchema, LimitFieldsSchema, SoftBudgetSchema, LimitsJsonSchema } from '../common/limits.schemas';
import { UsdAmountSchema } from '../common/money';
import { MetadataSchema, textSchema } from '../common/text.schemas';
import { NanosSchema } from '../teams/teams.schemas';

/** An end user (LiteLLM's customer) by the id requests name it with (`user`, or x-switchyard-end-user). */
export const UpsertEndUserSchema = z.strictObject({
  user_id: textSchema(1, 256),
  alias: textSchema(1, 256).nullable().optional(),
  /** USD. */
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  ...LimitFieldsSchema,
  /**
   * A reusable budget (POST /budget/new) whose limits this end user takes, following its changes; exclusive with
   * the limit fields. null: unlinked (the end user keeps the limits it had, as its own).
   */
  budget_id: textSchema(1, 256).nullable().optional(),
  /** A blocked end user's requests are refused (403). */
  blocked: z.boolean().optional(),
  metadata: MetadataSchema.optional(),
});

export const EndUserJsonSchema = z.object({
  user_id: z.string(),
  alias: z.string().nullable(),
  blocked: z.boolean(),
  budget_id: z.string().nullable(),
  max_budget: z.number().nullable(),
  max_budget_nanos: NanosSchema.nullable(),
  spend: z.number(),
  spend_nanos: NanosSchema,
  ...LimitsJsonSchema,
  metadata: MetadataSchema,
  created_at: z.string(),
});
export type EndUserJson = z.infer<typeof EndUserJsonSchema>;
