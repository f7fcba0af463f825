import { z } from 'zod';
import {
  BudgetDurationSchema,
  LimitFieldsSchema,
  LimitsJsonSchema,
  ModelLimitMapSchema,
  ModelMaxBudgetJsonSchema,
  ModelMaxBudgetSchema,
  SoftBudgetSchema,
} from '../common/limits.schemas';
import { UsdAmountSchema } from '../common/money';
import { textSchema } from '../common/text.schemas';
import { MetadataSchema, ModelListSchema, NanosSchema } from '../teams/teams.schemas';

export const CreateKeySchema = z.strictObject({
  team_id: z.string().nullable().optional(),
  /** The user the key belongs to: their budget and limits apply, and their role governs what it may do here. */
  user_id: textSchema(1, 256).nullable().optional(),
  /** Models the key may use; empty or absent means all. */
  models: ModelListSchema.optional(),
  /** USD. */
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  metadata: MetadataSchema.optional(),
  key_alias: textSchema(1, 256).nullable().optional(),
  /** Lifetime: "30d", "12h", "15m", "45s" or seconds. Exclusive with expires_at. */
  duration: z
    .union([z.string().max(32), z.number()])
    .nullable()
    .optional(),
  /** ISO 8601 date-time with offset. Exclusive with duration. */
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
  ...LimitFieldsSchema,
  /** Requests per minute per model on this key: {"<model>": n}. */
  model_rpm_limit: ModelLimitMapSchema.optional(),
  /** Tokens per minute per model on this key: {"<model>": n}. */
  model_tpm_limit: ModelLimitMapSchema.optional(),
  /** Budgets per model on this key: {"<model>": {"budget_limit": <USD>, "time_period": "1d"}} (LiteLLM's form). */
  model_max_budget: ModelMaxBudgetSchema.optional(),
  /** A blocked key is refused by every gateway (401) until unblocked. */
  blocked: z.boolean().optional(),
});
export type CreateKeyInput = z.infer<typeof CreateKeySchema>;

/** What PATCH /v1/keys/{id} may change; absent fields are kept, null removes a limit. */
export const UpdateKeySchema = z.strictObject({
  key_alias: textSchema(1, 256).nullable().optional(),
  models: ModelListSchema.optional(),
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  metadata: MetadataSchema.optional(),
  ...LimitFieldsSchema,
  model_rpm_limit: ModelLimitMapSchema.optional(),
  model_tpm_limit: ModelLimitMapSchema.optional(),
  /** Replaces the per-model budgets; a model kept with the same time_period keeps its spend. */
  model_max_budget: ModelMaxBudgetSchema.optional(),
  blocked: z.boolean().optional(),
});
export type UpdateKeyInput = z.infer<typeof UpdateKeySchema>;

export const KeyJsonSchema = z.object({
  id: z.string(),
  key_prefix: z.string(),
  key_alias: z.string().nullable(),
  team_id: z.string().nullable(),
  user_id: z.string().nullable(),
  models: z.array(z.string()),
  max_budget: z.number().nullable().describe('USD, for display; max_budget_nanos is exact'),
  max_budget_nanos: NanosSchema.nullable(),
  spend: z.number().describe('USD, for display; spend_nanos is exact'),
  spend_nanos: NanosSchema,
  metadata: MetadataSchema,
  ...LimitsJsonSchema,
  model_rpm_limit: z.record(z.string(), z.number()),
  model_tpm_limit: z.record(z.string(), z.number()),
  model_max_budget: ModelMaxBudgetJsonSchema,
  blocked: z.boolean(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
  created_at: z.string(),
});
export type KeyJson = z.infer<typeof KeyJsonSchema>;
export const CreatedKeyJsonSchema = KeyJsonSchema.extend({
  key: z.string().describe('The secret. Returned only once, here; store it now.'),
});
export type CreatedKeyJson = z.infer<typeof CreatedKeyJsonSchema>;
export const KeyListSchema = z.object({ data: z.array(KeyJsonSchema) });

/**
 * POST /v1/keys/{id}/regenerate (and LiteLLM's /key/regenerate): a new secret for the key; optionally new values
 * for the fields PATCH takes, and LiteLLM's grace_period ("24h", "30m", seconds) during which the old secret still
 * works. Without grace_period the old secret stops at once.
 */
export const RegenerateKeySchema = UpdateKeySchema.extend({
  grace_period: z
    .union([z.string().max(32), z.number()])
    .nullable()
    .optional(),
});
export type RegenerateKeyInput = z.infer<typeof RegenerateKeySchema>;

export const RegeneratedKeyJsonSchema = CreatedKeyJsonSchema.extend({
  previous_key_valid_until: z
    .string()
    .nullable()
    .describe('Until when the old secret still works (grace_period); null: it stopped at once'),
});
export type RegeneratedKeyJson = z.infer<typeof RegeneratedKeyJsonSchema>;
