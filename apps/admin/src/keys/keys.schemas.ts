import { z } from 'zod';
import { UsdAmountSchema } from '../common/money';
import { textSchema } from '../common/text.schemas';
import { MetadataSchema, ModelListSchema, NanosSchema } from '../teams/teams.schemas';

export const CreateKeySchema = z.strictObject({
  team_id: z.string().nullable().optional(),
  /** Models the key may use; empty or absent means all. */
  models: ModelListSchema.optional(),
  /** USD. */
  max_budget: UsdAmountSchema.nullable().optional(),
  metadata: MetadataSchema.optional(),
  key_alias: textSchema(1, 256).nullable().optional(),
  /** Lifetime: "30d", "12h", "15m", "45s" or seconds. Exclusive with expires_at. */
  duration: z
    .union([z.string().max(32), z.number()])
    .nullable()
    .optional(),
  /** ISO 8601 date-time with offset. Exclusive with duration. */
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});
export type CreateKeyInput = z.infer<typeof CreateKeySchema>;

export const KeyJsonSchema = z.object({
  id: z.string(),
  key_prefix: z.string(),
  key_alias: z.string().nullable(),
  team_id: z.string().nullable(),
  models: z.array(z.string()),
  max_budget: z.number().nullable().describe('USD, for display; max_budget_nanos is exact'),
  max_budget_nanos: NanosSchema.nullable(),
  spend: z.number().describe('USD, for display; spend_nanos is exact'),
  spend_nanos: NanosSchema,
  metadata: MetadataSchema,
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
