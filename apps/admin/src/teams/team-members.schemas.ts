import { z } from 'zod';
import { TEAM_ROLES } from '@switchyard/db';
import { textSchema } from '../common/text.schemas';

export const TeamRoleSchema = z.enum(TEAM_ROLES).describe("admin: manages the team's members and keys; user: uses it");

export const AddTeamMemberSchema = z.strictObject({
  user_id: textSchema(1, 256),
  role: TeamRoleSchema.default('user'),
});
export const UpdateTeamMemberSchema = z.strictObject({ role: TeamRoleSchema });

export const TeamMemberJsonSchema = z.object({
  team_id: z.string(),
  user_id: z.string(),
  user_email: z.string().nullable(),
  role: TeamRoleSchema,
  created_at: z.string(),
});
export type TeamMemberJson = z.infer<typeof TeamMemberJsonSchema>;
export const TeamMemberListSchema = z.object({ data: z.array(TeamMemberJsonSchema) });
export const TeamMemberDeletedSchema = z.object({ team_id: z.string(), user_id: z.string(), deleted: z.literal(true) });
