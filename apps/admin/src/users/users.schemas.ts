import { z } from 'zod';
import { USER_ROLES, TEAM_ROLES } from '@switchyard/db';
import { BudgetDurationSchema, LimitFieldsSchema, LimitsJsonSchema, SoftBudgetSchema } from '../common/limits.schemas';
import { UsdAmountSchema } from '../common/money';
import { pageSchema, PageQuerySchema } from '../common/page.schemas';
import { MetadataSchema, textSchema } from '../common/text.schemas';
import { ModelListSchema, NanosSchema } from '../teams/teams.schemas';

const UserRoleSchema = z.enum(USER_ROLES).describe('global role: see the README, "Roles"');

/** Budget, limits and models a user may be given (LiteLLM's names); null removes a limit. */
const userSettings = {
  user_email: textSchema(1, 320).nullable().optional(),
  user_role: UserRoleSchema.optional(),
  /** The organisation the user's spend counts against. */
  organization_id: z.uuid().nullable().optional(),
  /** Models the user's keys may use; empty or absent means all. */
  models: ModelListSchema.optional(),
  metadata: MetadataSchema.optional(),
  /** USD, shared by every key of the user. */
  max_budget: UsdAmountSchema.nullable().optional(),
  budget_duration: BudgetDurationSchema,
  soft_budget: SoftBudgetSchema,
  ...LimitFieldsSchema,
};

export const CreateUserSchema = z.strictObject({
  /** LiteLLM's user_id: an email, an SSO subject, ...; a uuid is generated when absent. */
  user_id: textSchema(1, 256).optional(),
  ...userSettings,
  /** Teams the user joins, with the team role `user`. */
  teams: z.array(z.uuid()).max(100).optional(),
});
export type CreateUserInput = z.infer<typeof CreateUserSchema>;

export const UpdateUserSchema = z.strictObject(userSettings);

export const UserListQuerySchema = z.strictObject({
  user_role: UserRoleSchema.optional(),
  organization_id: z.uuid().optional(),
  team_id: z.uuid().optional(),
  user_email: textSchema(1, 320).optional(),
  ...PageQuerySchema,
});

export const UserTeamSchema = z.object({ team_id: z.string(), role: z.enum(TEAM_ROLES) });

export const UserJsonSchema = z.object({
  user_id: z.string(),
  user_email: z.string().nullable(),
  user_role: UserRoleSchema,
  organization_id: z.string().nullable(),
  models: z.array(z.string()),
  metadata: MetadataSchema,
  max_budget: z.number().nullable().describe('USD, for display; max_budget_nanos is exact'),
  max_budget_nanos: NanosSchema.nullable(),
  spend: z.number().describe('USD, for display; spend_nanos is exact'),
  spend_nanos: NanosSchema,
  ...LimitsJsonSchema,
  teams: z.array(UserTeamSchema).describe('the teams the user belongs to, with their role in each'),
  created_at: z.string(),
  updated_at: z.string(),
});
export type UserJson = z.infer<typeof UserJsonSchema>;
export const UserListSchema = pageSchema(UserJsonSchema);
export type UserListJson = z.infer<typeof UserListSchema>;
export const UserDeletedSchema = z.object({ user_id: z.string(), deleted: z.literal(true), revoked_keys: z.number() });
