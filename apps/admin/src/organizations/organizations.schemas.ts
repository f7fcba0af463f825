import { z } from 'zod';
import { BudgetDurationSchema, LimitFieldsSchema, LimitsJsonSchema, SoftBudgetSchema } from '../common/limits.schemas';
import { UsdAmountSchema } from '../common/money';
import { pageSchema, PageQuerySchema } from '../common/page.schemas';
import { MetadataSchema, textSchema } from '../common/text.schemas';
import { ModelListSchema, NanosSchema } from '../teams/teams.schemas';

/** An organisation's settings (LiteLLM's names); absent fields are kept on update, null removes a limit. */
const organizationSettings = {
  organization_alias: textSchema(1, 256).nullable().optional(),
  /** Models the organisation's teams and users may use; empty or absent means all. */
  models: ModelListSchema.optional(),
  metadata: MetadataSchema.optional(),
  /** USD, shared by every team and user of the organisation. */
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  ...LimitFieldsSchema,
};
export const CreateOrganizationSchema = z.strictObject(organizationSettings);
export const UpdateOrganizationSchema = z.strictObject(organizationSettings);

/** Organisation roles; LiteLLM's member roles internal_user and internal_user_viewer are taken as `member`. */
export const OrganizationRoleSchema = z
  .enum(['org_admin', 'member', 'internal_user', 'internal_user_viewer'])
  .transform((r) => (r === 'org_admin' ? 'org_admin' : 'member'));

export const OrganizationMemberInputSchema = z.strictObject({
  user_id: textSchema(1, 256),
  role: OrganizationRoleSchema.default('member'),
});

export const OrganizationListQuerySchema = z.strictObject({
  organization_alias: textSchema(1, 256).optional(),
  ...PageQuerySchema,
});

export const OrganizationMemberSchema = z.object({
  user_id: z.string(),
  role: z.enum(['org_admin', 'member']),
  created_at: z.string(),
});
export type OrganizationMemberJson = z.infer<typeof OrganizationMemberSchema>;

export const OrganizationJsonSchema = z.object({
  id: z.string(),
  organization_alias: z.string().nullable(),
  models: z.array(z.string()),
  metadata: MetadataSchema,
  max_budget: z.number().nullable().describe('USD, for display; max_budget_nanos is exact'),
  max_budget_nanos: NanosSchema.nullable(),
  spend: z.number().describe('USD, for display; spend_nanos is exact'),
  spend_nanos: NanosSchema,
  ...LimitsJsonSchema,
  members: z.array(OrganizationMemberSchema),
  created_at: z.string(),
  updated_at: z.string(),
});
export type OrganizationJson = z.infer<typeof OrganizationJsonSchema>;
export const OrganizationListSchema = pageSchema(OrganizationJsonSchema);
export type OrganizationListJson = z.infer<typeof OrganizationListSchema>;
export const OrganizationDeletedSchema = z.object({ id: z.string(), deleted: z.literal(true) });
