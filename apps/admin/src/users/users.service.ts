import { Inject, Injectable } from '@nestjs/common';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import {
  OrganizationsRepository,
  TeamsRepository,
  UsersRepository,
  type TeamMembership,
  type UserRecord,
} from '@switchyard/db';
import { KeyEventsPublisher } from '@switchyard/nats';
import { AuditService } from '../audit/audit.service';
import { seesEverything, type Caller } from '../auth/caller';
import { currentRequest } from '../auth/request-context';
import { ApiException } from '../common/api.exception';
import { limitInputOf, limitsJson } from '../common/limits.schemas';
import { budgetToNanos, nanosToUsdOrNull } from '../common/money';
import { parseInput } from '../common/parse-input';
import { toPage } from '../common/page.schemas';
import { organizationNotFound, teamNotFound } from '../teams/teams.service';
import {
  CreateUserSchema,
  UpdateUserSchema,
  UserListQuerySchema,
  type UserJson,
  type UserListJson,
} from './users.schemas';

export function toUserJson(u: UserRecord, teams: TeamMembership[]): UserJson {
  return {
    user_id: u.id,
    user_email: u.userEmail,
    user_role: u.userRole,
    organization_id: u.organizationId,
    models: u.models,
    metadata: u.metadata,
    max_budget: nanosToUsdOrNull(u.limits.maxBudgetNanos),
    max_budget_nanos: u.limits.maxBudgetNanos?.toString() ?? null,
    spend: nanosToUsd(u.limits.spendNanos),
    spend_nanos: u.limits.spendNanos.toString(),
    ...limitsJson(u.limits),
    teams: teams.map((m) => ({ team_id: m.teamId, role: m.role })),
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}

/** Fields whose change alters what the user's keys may do: gateways reload those keys. */
const LIMITING_FIELDS = new Set([
  'organization_id',
  'models',
  'max_budget',
  'budget_duration',
  'soft_budget',
  'rpm_limit',
  'tpm_limit',
  'max_parallel_requests',
]);

/** Users (LiteLLM's internal users): global role, organisation, budget and limits over all their keys. */
@Injectable()
export class UsersService {
  constructor(
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(TeamsRepository) private readonly teams: TeamsRepository,
    @Inject(OrganizationsRepository) private readonly organizations: OrganizationsRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(KeyEventsPublisher) private readonly keyEvents: KeyEventsPublisher,
  ) {}

  async create(body: unknown): Promise<UserJson> {
    const input = parseInput(CreateUserSchema, body);
    if (input.organization_id) await this.requireOrganization(input.organization_id);
    for (const teamId of input.teams ?? []) {
      if (!(await this.teams.get(teamId))) throw new ApiException({ ...teamNotFound(teamId), param: 'teams' });
    }
    const user = await this.users.create({
      id: input.user_id,
      userEmail: input.user_email ?? null,
      userRole: input.user_role,
      organizationId: input.organization_id ?? null,
      models: input.models ?? [],
      metadata: input.metadata ?? {},
      limits: { maxBudgetNanos: budgetToNanos(input.max_budget), ...limitInputOf(input) },
    });
    if (!user) {
      throw new ApiException({
        ...Errors.invalidRequest(
          `A user with user_id "${input.user_id}" already exists (or existed). Choose another user_id, or change that user with PATCH /v1/users/{id}.`,
          'user_id',
        ),
        status: 409,
        code: 'user_exists',
      });
    }
    if (input.organization_id) await this.organizations.setMemberRole(input.organization_id, user.id, 'member');
    for (const teamId of input.teams ?? []) await this.users.setTeamRole(teamId, user.id, 'user');
    const json = await this.json(user);
    await this.audit.record({ action: 'user.created', entity: 'user', entityId: user.id, before: null, after: json });
    return json;
  }

  /** A page of the users the caller may see (all for proxy admins; else themselves and those they administer). */
  async list(query: unknown): Promise<UserListJson> {
    const q = parseInput(UserListQuerySchema, query, 'query');
    const caller = currentRequest().caller;
    const rows = await this.users.list({
      role: q.user_role,
      organizationId: q.organization_id,
      teamId: q.team_id,
      email: q.user_email,
      ids: caller && !seesEverything(caller) ? await this.visibleTo(caller) : undefined,
      after: q.cursor,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const teams = new Map(
      await Promise.all(page.map(async (u) => [u.id, await this.users.teamMemberships(u.id)] as const)),
    );
    return toPage(
      rows,
      q.limit,
      (u) => toUserJson(u, teams.get(u.id) ?? []),
      (u) => u.id,
    );
  }

  async get(id: unknown): Promise<UserJson> {
    return this.json(await this.require(id));
  }

  async update(id: unknown, body: unknown): Promise<UserJson> {
    const before = await this.require(id);
    const input = parseInput(UpdateUserSchema, body);
    if (input.organization_id) await this.requireOrganization(input.organization_id);
    const user = await this.users.update(before.id, {
      userEmail: input.user_email,
      userRole: input.user_role,
      organizationId: input.organization_id,
      models: input.models,
      metadata: input.metadata,
      limits: {
        ...limitInputOf(input),
        ...(input.max_budget !== undefined && { maxBudgetNanos: budgetToNanos(input.max_budget) }),
      },
    });
    if (!user) throw new ApiException(userNotFound(before.id));
    if (input.organization_id) await this.organizations.setMemberRole(input.organization_id, user.id, 'member');
    if (Object.keys(input).some((f) => LIMITING_FIELDS.has(f)))
      await this.keyEvents.publishScopeChanged({ level: 'user', id: user.id, reason: 'updated' });
    const beforeJson = await this.json(before);
    const json = await this.json(user);
    await this.audit.record({
      action: 'user.updated',
      entity: 'user',
      entityId: user.id,
      details: { changed: Object.keys(input) },
      before: beforeJson,
      after: json,
    });
    return json;
  }

  /** Deletes the user: their memberships go, their keys are revoked on every gateway at once. */
  async delete(id: unknown): Promise<{ user_id: string; deleted: true; revoked_keys: number }> {
    const before = await this.require(id);
    const beforeJson = await this.json(before);
    const revoked = await this.users.softDelete(before.id);
    if (!revoked) throw new ApiException(userNotFound(before.id));
    await this.keyEvents.publish(revoked.map((k) => ({ keyId: k.id, keyHash: k.keyHash, reason: 'revoked' as const })));
    await this.keyEvents.publishScopeChanged({ level: 'user', id: before.id, reason: 'deleted' });
    await this.audit.record({
      action: 'user.deleted',
      entity: 'user',
      entityId: before.id,
      details: { revoked_key_ids: revoked.map((k) => k.id) },
      before: beforeJson,
      after: null,
    });
    return { user_id: before.id, deleted: true, revoked_keys: revoked.length };
  }

  async json(user: UserRecord): Promise<UserJson> {
    return toUserJson(user, await this.users.teamMemberships(user.id));
  }

  async require(id: unknown, param: string | null = null): Promise<UserRecord> {
    const user = typeof id === 'string' && id !== '' ? await this.users.get(id) : undefined;
    if (!user) throw new ApiException({ ...userNotFound(typeof id === 'string' ? id : ''), param });
    return user;
  }

  private async requireOrganization(id: string): Promise<void> {
    if (!(await this.organizations.get(id)))
      throw new ApiException({ ...organizationNotFound(id), param: 'organization_id' });
  }

  /** Themselves, the members of teams they administer and of organisations they administer. */
  private async visibleTo(caller: Caller): Promise<string[]> {
    if (caller.kind === 'master') return [];
    const ids = new Set([caller.userId]);
    for (const [teamId, role] of caller.teams) {
      if (role === 'admin') for (const m of await this.users.teamMembers(teamId)) ids.add(m.userId);
    }
    for (const [orgId, role] of caller.organizations) {
      if (role === 'org_admin') for (const m of await this.organizations.members(orgId)) ids.add(m.userId);
    }
    return [...ids];
  }
}

export function userNotFound(id: string) {
  // User ids are chosen by callers (emails, SSO subjects), so one is named back only when it cannot be a key.
  return Errors.notFound(
    id.startsWith('sk-') || id.length > 256
      ? 'No user has that id. List users with GET /v1/users.'
      : `User "${id}" does not exist or was deleted. List users with GET /v1/users.`,
  );
}
