import { z } from 'zod';
import { UsdAmountSchema } from '../common/money';

export const ModelListSchema = z.array(z.string().min(1).max(256)).max(1000);
export const MetadataSchema = z.record(z.string(), z.unknown());

export const CreateTeamSchema = z.strictObject({
  team_alias: z.string().min(1).max(256).nullable().optional(),
  /** USD. */
  max_budget: UsdAmountSchema.nullable().optional(),
  /** Models members of the team may use; empty or absent means all. */
  models: ModelListSchema.optional(),
  metadata: MetadataSchema.optional(),
});
export type CreateTeamInput = z.infer<typeof CreateTeamSchema>;

export const TeamJsonSchema = z.object({
  id: z.string(),
  team_alias: z.string().nullable(),
  max_budget: z.number().nullable(),
  spend: z.number(),
  models: z.array(z.string()),
  metadata: MetadataSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
export type TeamJson = z.infer<typeof TeamJsonSchema>;
export const TeamListSchema = z.object({ data: z.array(TeamJsonSchema) });
export const TeamDeletedSchema = z.object({ id: z.string(), deleted: z.literal(true), revoked_keys: z.number() });
