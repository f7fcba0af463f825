import { z } from 'zod';
import { BudgetDurationSchema, LimitFieldsSchema, SoftBudgetSchema, LimitsJsonSchema } from '../common/limits.schemas';
import { UsdAmountSchema } from '../common/money';
import { MetadataSchema, textSchema } from '../common/text.schemas';

export { MetadataSchema };
export const ModelListSchema = z.array(textSchema(1, 256)).max(1000);
/** Exact amounts in nano-dollars (1e-9 USD), as decimal strings: JSON numbers cannot hold every bigint. */
export const NanosSchema = z
  .string()
  .regex(/^-?\d+$/)
  .describe('Nano-dollars (1e-9 USD) as a decimal string; exact');

export const CreateTeamSchema = z.strictObject({
  team_alias: textSchema(1, 256).nullable().optional(),
  /** The organisation the team belongs to: its admins manage the team, its budget and limits apply too. */
  organization_id: z.uuid().nullable().optional(),
  /** USD. */
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  /** Models members of the team may use; empty or absent means all. */
  models: ModelListSchema.optional(),
  metadata: MetadataSchema.optional(),
  ...LimitFieldsSchema,
  /** A blocked team's keys are refused by every gateway (401). */
  blocked: z.boolean().optional(),
});
export type CreateTeamInput = z.infer<typeof CreateTeamSchema>;

/** What a team update may change; absent fields are kept. */
export const UpdateTeamSchema = z.strictObject({
  team_alias: textSchema(1, 256).nullable().optional(),
  organization_id: z.uuid().nullable().optional(),
  /**
   * Models members of the team may use; empty means all. Narrowing it limits existing keys at once
   * (a key may use what both its own list and its team's allow).
   */
  models: ModelListSchema.optional(),
  metadata: MetadataSchema.optional(),
  /** USD; shared by every key of the team. */
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  ...LimitFieldsSchema,
  blocked: z.boolean().optional(),
});
export type UpdateTeamInput = z.infer<typeof UpdateTeamSchema>;

export const TeamJsonSchema = z.object({
  id: z.string(),
  team_alias: z.string().nullable(),
  organization_id: z.string().nullable(),
  max_budget: z.number().nullable().describe('USD, for display; max_budget_nanos is exact'),
  max_budget_nanos: NanosSchema.nullable(),
  spend: z.number().describe('USD, for display; spend_nanos is exact'),
  spend_nanos: NanosSchema,
  models: z.array(z.string()),
  metadata: MetadataSchema,
  ...LimitsJsonSchema,
  blocked: z.boolean(),
  created_at: z.string(),
  updated_at: z.string(),
});
export type TeamJson = z.infer<typeof TeamJsonSchema>;
export const TeamListSchema = z.object({ data: z.array(TeamJsonSchema) });
export const TeamDeletedSchema = z.object({ id: z.string(), deleted: z.literal(true), revoked_keys: z.number() });
