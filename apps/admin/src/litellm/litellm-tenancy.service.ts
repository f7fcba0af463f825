import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { Errors } from '@switchyard/contracts';
import { TeamsRepository, UsersRepository } from '@switchyard/db';
import { teamAllows } from '../auth/access.policy';
import { currentRequest } from '../auth/request-context';
import { ApiException } from '../common/api.exception';
import { parseInput } from '../common/parse-input';
import { textSchema } from '../common/text.schemas';
import { toKeyJson } from '../keys/keys.service';
import type { CreatedKeyJson, KeyJson } from '../keys/keys.schemas';
import { KeysService } from '../keys/keys.service';
import {
  CreateOrganizationSchema,
  UpdateOrganizationSchema,
  type OrganizationJson,
} from '../organizations/organizations.schemas';
import { OrganizationsService } from '../organizations/organizations.service';
import { TeamMembersService } from '../teams/team-members.service';
import { TeamRoleSchema, type TeamMemberJson } from '../teams/team-members.schemas';
import type { TeamJson } from '../teams/teams.schemas';
import { TeamsService } from '../teams/teams.service';
import { CreateUserSchema, UpdateUserSchema, type UserJson } from '../users/users.schemas';
import { UsersService } from '../users/users.service';
import { pickLitellmFields as pick } from './litellm-body';

/** LiteLLM's member form: {"role": ..., "user_id": ..., "user_email": ...}; one, or a list. */
const MemberSchema = z
  .object({
    role: z.string().optional(),
    user_id: textSchema(1, 256).optional(),
    user_email: textSchema(1, 320).optional(),
  })
  .refine((m) => m.user_id !== undefined || m.user_email !== undefined, 'name the member by user_id or user_email');
const MembersSchema = z.union([MemberSchema, z.array(MemberSchema).min(1).max(100)]).transform((m) => [m].flat());

const TeamMemberAddSchema = z.object({ team_id: z.string().min(1), member: MembersSchema });
const TeamMemberRefSchema = z
  .object({
    team_id: z.string().min(1),
    user_id: z.string().min(1).optional(),
    user_email: z.string().min(1).optional(),
  })
  .refine((m) => m.user_id !== undefined || m.user_email !== undefined, {
    message: 'name the member by user_id or user_email',
    path: ['user_id'],
  });
const TeamMemberUpdateSchema = z.object({
  team_id: z.string().min(1),
  user_id: z.string().min(1),
  role: TeamRoleSchema,
});
const TeamIdsSchema = z.object({ team_ids: z.array(z.string().min(1)).min(1).max(100) });
const UserIdsSchema = z.object({ user_ids: z.array(z.string().min(1)).min(1).max(100) });
const UserIdSchema = z.object({ user_id: z.string().min(1) });
const OrganizationIdSchema = z.object({ organization_id: z.string().min(1) });
const OrgMemberAddSchema = z.object({ organization_id: z.string().min(1), member: MembersSchema });
const OrgMemberRefSchema = z.object({ organization_id: z.string().min(1), user_id: z.string().min(1) });
const NewUserExtrasSchema = z.object({
  /** LiteLLM makes a key for the new user unless told not to. */
  auto_create_key: z.boolean().default(true),
  key_alias: textSchema(1, 256).nullable().optional(),
});

type LitellmTeam = TeamJson & {
  team_id: string;
  members_with_roles: { user_id: string; user_email: string | null; role: string }[];
};

/** LiteLLM's team, user and organisation routes, with its field names, mapped onto the /v1 services. */
@Injectable()
export class LitellmTenancyService {
  constructor(
    @Inject(TeamsService) private readonly teams: TeamsService,
    @Inject(TeamMembersService) private readonly members: TeamMembersService,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(OrganizationsService) private readonly organizations: OrganizationsService,
    @Inject(KeysService) private readonly keys: KeysService,
    @Inject(UsersRepository) private readonly usersRepo: UsersRepository,
    @Inject(TeamsRepository) private readonly teamsRepo: TeamsRepository,
  ) {}

  private async litellmTeam(team: TeamJson): Promise<LitellmTeam> {
    const members = await this.usersRepo.teamMembers(team.id);
    return {
      ...team,
      team_id: team.id,
      members_with_roles: members.map((m) => ({ user_id: m.userId, user_email: m.userEmail, role: m.role })),
    };
  }

  /** GET /team/info?team_id=: the team, its members and (for those who oversee it) its keys. */
  async teamInfo(teamId: unknown): Promise<{
    team_id: string;
    team_info: LitellmTeam;
    keys: KeyJson[];
    team_memberships: { team_id: string; user_id: string; role: string }[];
  }> {
    if (typeof teamId !== 'string' || teamId === '')
      throw new ApiException(Errors.invalidRequest('Name the team: ?team_id=<id>.', 'team_id'));
    const team = await this.teams.require(teamId, 'team_id');
    const info = await this.litellmTeam(await this.teams.get(team.id));
    const caller = currentRequest().caller;
    const oversees = caller === undefined || teamAllows(caller, 'oversee', team);
    const keys = oversees ? (await this.keys.list(team.id)).data : [];
    return {
      team_id: team.id,
      team_info: info,
      keys,
      team_memberships: info.members_with_roles.map((m) => ({ team_id: team.id, user_id: m.user_id, role: m.role })),
    };
  }

  /** GET /team/list: the teams the caller may see, each with members_with_roles. */
  async teamList(): Promise<LitellmTeam[]> {
    return Promise.all((await this.teams.list()).data.map((t) => this.litellmTeam(t)));
  }

  /** POST /team/delete {"team_ids": [...]}: every team must exist, else nothing is deleted. */
  async teamDelete(body: unknown): Promise<{ deleted_teams: string[]; revoked_keys: number }> {
    const { team_ids } = parseInput(TeamIdsSchema, pick(body, ['team_ids']));
    for (const id of team_ids) await this.teams.require(id, 'team_ids');
    let revoked = 0;
    for (const id of team_ids) revoked += (await this.teams.delete(id)).revoked_keys;
    return { deleted_teams: team_ids, revoked_keys: revoked };
  }

  /**
   * POST /team/member_add {"team_id", "member": {role, user_id | user_email} or a list}: a member named only by an
   * email no user has becomes a new internal_user with that email, as LiteLLM does.
   */
  async teamMemberAdd(
    body: unknown,
  ): Promise<LitellmTeam & { updated_users: UserJson[]; updated_team_memberships: TeamMemberJson[] }> {
    const input = parseInput(TeamMemberAddSchema, pick(body, ['team_id', 'member']));
    const team = await this.teams.require(input.team_id, 'team_id');
    const updated: TeamMemberJson[] = [];
    const users: UserJson[] = [];
    for (const m of input.member) {
      const role = parseInput(TeamRoleSchema.default('user'), m.role, 'member.role');
      const userId = m.user_id ?? (await this.userIdByEmail(m.user_email!));
      updated.push(await this.members.set(team.id, userId, role, false));
      users.push(await this.users.get(userId));
    }
    return {
      ...(await this.litellmTeam(await this.teams.get(team.id))),
      updated_users: users,
      updated_team_memberships: updated,
    };
  }

  /** POST /team/member_delete {"team_id", "user_id" | "user_email"}: the team as it is now. */
  async teamMemberDelete(body: unknown): Promise<LitellmTeam> {
    const input = parseInput(TeamMemberRefSchema, pick(body, ['team_id', 'user_id', 'user_email']));
    const team = await this.teams.require(input.team_id, 'team_id');
    const userId = input.user_id ?? (await this.usersRepo.getByEmail(input.user_email!))?.id ?? '';
    await this.members.remove(team.id, userId);
    return this.litellmTeam(await this.teams.get(team.id));
  }

  /** POST /team/member_update {"team_id", "user_id", "role"}. */
  async teamMemberUpdate(body: unknown): Promise<TeamMemberJson> {
    const input = parseInput(TeamMemberUpdateSchema, pick(body, ['team_id', 'user_id', 'role']));
    return this.members.set(input.team_id, input.user_id, input.role, true);
  }

  /** POST /user/new: the user, and (unless auto_create_key is false) a key for them, whose secret is shown once. */
  async userNew(
    body: unknown,
  ): Promise<UserJson & Partial<Pick<CreatedKeyJson, 'key'>> & { key_id?: string; expires: string | null }> {
    const extras = parseInput(NewUserExtrasSchema, pick(body, ['auto_create_key', 'key_alias']));
    const user = await this.users.create(pick(body, Object.keys(CreateUserSchema.shape)));
    if (!extras.auto_create_key) return { ...user, expires: null };
    const key = await this.keys.create({ user_id: user.user_id, key_alias: extras.key_alias ?? null });
    return { ...user, key: key.key, key_id: key.id, expires: key.expires_at };
  }

  /** GET /user/info?user_id=: the user (the caller when absent), their keys and their teams. */
  async userInfo(
    userId: unknown,
  ): Promise<{ user_id: string; user_info: UserJson; keys: KeyJson[]; teams: TeamJson[] }> {
    const caller = currentRequest().caller;
    const id =
      typeof userId === 'string' && userId !== '' ? userId : caller?.kind === 'user' ? caller.userId : undefined;
    if (id === undefined) throw new ApiException(Errors.invalidRequest('Name the user: ?user_id=<id>.', 'user_id'));
    const user = await this.users.get(id);
    const keys = (await this.usersRepo.keys(user.user_id)).map(toKeyJson);
    const teams = await Promise.all(user.teams.map((t) => this.teams.get(t.team_id)));
    return { user_id: user.user_id, user_info: user, keys, teams };
  }

  /** POST /user/update {"user_id", ...}. */
  async userUpdate(body: unknown): Promise<UserJson> {
    const { user_id } = parseInput(UserIdSchema, pick(body, ['user_id']));
    return this.users.update(user_id, pick(body, Object.keys(UpdateUserSchema.shape)));
  }

  /** POST /user/delete {"user_ids": [...]}: every user must exist, else nothing is deleted. */
  async userDelete(body: unknown): Promise<{ deleted_users: string[]; revoked_keys: number }> {
    const { user_ids } = parseInput(UserIdsSchema, pick(body, ['user_ids']));
    for (const id of user_ids) await this.users.require(id, 'user_ids');
    let revoked = 0;
    for (const id of user_ids) revoked += (await this.users.delete(id)).revoked_keys;
    return { deleted_users: user_ids, revoked_keys: revoked };
  }

  async organizationNew(body: unknown): Promise<OrganizationJson & { organization_id: string }> {
    const org = await this.organizations.create(pick(body, Object.keys(CreateOrganizationSchema.shape)));
    return { ...org, organization_id: org.id };
  }

  async organizationUpdate(body: unknown): Promise<OrganizationJson & { organization_id: string }> {
    const { organization_id } = parseInput(OrganizationIdSchema, pick(body, ['organization_id']));
    const org = await this.organizations.update(
      organization_id,
      pick(body, Object.keys(UpdateOrganizationSchema.shape)),
    );
    return { ...org, organization_id: org.id };
  }

  /** GET /organization/info?organization_id=: the organisation, its members and its teams. */
  async organizationInfo(
    organizationId: unknown,
  ): Promise<OrganizationJson & { organization_id: string; teams: TeamJson[] }> {
    const org = await this.organizations.get(organizationId);
    const teams = (await this.teamsRepo.list({ organizationId: org.id })).map((t) => t.id);
    return { ...org, organization_id: org.id, teams: await Promise.all(teams.map((id) => this.teams.get(id))) };
  }

  async organizationList(): Promise<(OrganizationJson & { organization_id: string })[]> {
    const all: (OrganizationJson & { organization_id: string })[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.organizations.list({ limit: 1000, ...(cursor && { cursor }) });
      all.push(...page.data.map((o) => ({ ...o, organization_id: o.id })));
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return all;
  }

  /** POST /organization/member_add {"organization_id", "member": {role, user_id | user_email} or a list}. */
  async organizationMemberAdd(body: unknown): Promise<{
    organization_id: string;
    updated_users: UserJson[];
    updated_organization_memberships: { organization_id: string; user_id: string; user_role: string }[];
  }> {
    const input = parseInput(OrgMemberAddSchema, pick(body, ['organization_id', 'member']));
    const org = await this.organizations.require(input.organization_id, 'organization_id');
    const users: UserJson[] = [];
    const memberships: { organization_id: string; user_id: string; user_role: string }[] = [];
    for (const m of input.member) {
      const userId = m.user_id ?? (await this.userIdByEmail(m.user_email!));
      const member = await this.organizations.setMember(org.id, { user_id: userId, role: m.role ?? 'member' });
      memberships.push({ organization_id: org.id, user_id: member.user_id, user_role: member.role });
      users.push(await this.users.get(userId));
    }
    return { organization_id: org.id, updated_users: users, updated_organization_memberships: memberships };
  }

  /** POST /organization/member_delete {"organization_id", "user_id"}. */
  organizationMemberDelete(body: unknown): ReturnType<OrganizationsService['removeMember']> {
    const input = parseInput(OrgMemberRefSchema, pick(body, ['organization_id', 'user_id']));
    return this.organizations.removeMember(input.organization_id, input.user_id);
  }

  /** The user with this email, made (internal_user) when none has it, as LiteLLM's member_add does. */
  private async userIdByEmail(email: string): Promise<string> {
    const found = await this.usersRepo.getByEmail(email);
    if (found) return found.id;
    return (await this.users.create({ user_email: email })).user_id;
  }
}
