import { Inject, Injectable } from '@nestjs/common';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import {
  OrganizationsRepository,
  UsersRepository,
  type OrganizationMembership,
  type OrganizationRecord,
} from '@switchyard/db';
import { KeyEventsPublisher } from '@switchyard/nats';
import { AuditService } from '../audit/audit.service';
import { seesEverything } from '../auth/caller';
import { currentRequest } from '../auth/request-context';
import { ApiException } from '../common/api.exception';
import { limitInputOf, limitsJson } from '../common/limits.schemas';
import { budgetToNanos, nanosToUsdOrNull } from '../common/money';
import { isUuid, parseInput } from '../common/parse-input';
import { toPage } from '../common/page.schemas';
import { organizationNotFound } from '../teams/teams.service';
import { userNotFound } from '../users/users.service';
import {
  CreateOrganizationSchema,
  OrganizationListQuerySchema,
  OrganizationMemberInputSchema,
  UpdateOrganizationSchema,
  type OrganizationJson,
  type OrganizationListJson,
  type OrganizationMemberJson,
} from './organizations.schemas';

export function toOrganizationJson(o: OrganizationRecord, members: OrganizationMembership[]): OrganizationJson {
  return {
    id: o.id,
    organization_alias: o.organizationAlias,
    models: o.models,
    metadata: o.metadata,
    max_budget: nanosToUsdOrNull(o.limits.maxBudgetNanos),
    max_budget_nanos: o.limits.maxBudgetNanos?.toString() ?? null,
    spend: nanosToUsd(o.limits.spendNanos),
    spend_nanos: o.limits.spendNanos.toString(),
    ...limitsJson(o.limits),
    members: members.map(toMemberJson),
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

function toMemberJson(m: OrganizationMembership): OrganizationMemberJson {
  return { user_id: m.userId, role: m.role, created_at: m.createdAt.toISOString() };
}

/** Organisations: the level above teams, with a budget and limits shared by every team and user in it. */
@Injectable()
export class OrganizationsService {
  constructor(
    @Inject(OrganizationsRepository) private readonly organizations: OrganizationsRepository,
    @Inject(UsersRepository) private readonly users: UsersRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(KeyEventsPublisher) private readonly keyEvents: KeyEventsPublisher,
  ) {}

  async create(body: unknown): Promise<OrganizationJson> {
    const input = parseInput(CreateOrganizationSchema, body);
    const org = await this.organizations.create({
      organizationAlias: input.organization_alias ?? null,
      models: input.models ?? [],
      metadata: input.metadata ?? {},
      limits: { maxBudgetNanos: budgetToNanos(input.max_budget), ...limitInputOf(input) },
    });
    const json = toOrganizationJson(org, []);
    await this.audit.record({
      action: 'organization.created',
      entity: 'organization',
      entityId: org.id,
      before: null,
      after: json,
    });
    return json;
  }

  /** A page of the organisations the caller may see (all for proxy admins; else those they belong to). */
  async list(query: unknown): Promise<OrganizationListJson> {
    const q = parseInput(OrganizationListQuerySchema, query, 'query');
    const caller = currentRequest().caller;
    const rows = await this.organizations.list({
      alias: q.organization_alias,
      ids: caller && !seesEverything(caller) && caller.kind === 'user' ? [...caller.organizations.keys()] : undefined,
      after: q.cursor !== undefined && isUuid(q.cursor) ? q.cursor : undefined,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const members = new Map(
      await Promise.all(page.map(async (o) => [o.id, await this.organizations.members(o.id)] as const)),
    );
    return toPage(
      rows,
      q.limit,
      (o) => toOrganizationJson(o, members.get(o.id) ?? []),
      (o) => o.id,
    );
  }

  async get(id: unknown): Promise<OrganizationJson> {
    return this.json(await this.require(id));
  }

  async update(id: unknown, body: unknown): Promise<OrganizationJson> {
    const before = await this.require(id);
    const input = parseInput(UpdateOrganizationSchema, body);
    const org = await this.organizations.update(before.id, {
      organizationAlias: input.organization_alias,
      models: input.models,
      metadata: input.metadata,
      limits: {
        ...limitInputOf(input),
        ...(input.max_budget !== undefined && { maxBudgetNanos: budgetToNanos(input.max_budget) }),
      },
    });
    if (!org) throw new ApiException(organizationNotFound(before.id));
    if (Object.keys(input).some((f) => f !== 'organization_alias' && f !== 'metadata'))
      await this.keyEvents.publishScopeChanged({ level: 'organization', id: org.id, reason: 'updated' });
    const beforeJson = await this.json(before);
    const json = await this.json(org);
    await this.audit.record({
      action: 'organization.updated',
      entity: 'organization',
      entityId: org.id,
      details: { changed: Object.keys(input) },
      before: beforeJson,
      after: json,
    });
    return json;
  }

  /** Deletes an organisation that no team belongs to any more (409 otherwise); its members are released. */
  async delete(id: unknown): Promise<{ id: string; deleted: true }> {
    const before = await this.require(id);
    const beforeJson = await this.json(before);
    const done = await this.organizations.softDelete(before.id);
    if (done === undefined) throw new ApiException(organizationNotFound(before.id));
    if (done === 'has_teams') {
      throw new ApiException({
        ...Errors.invalidRequest(
          `Organisation ${before.id} still has teams. Delete them, or move them to another organisation (PATCH /v1/teams/{id} with organization_id), then retry.`,
        ),
        status: 409,
        code: 'organization_has_teams',
      });
    }
    await this.keyEvents.publishScopeChanged({ level: 'organization', id: before.id, reason: 'deleted' });
    await this.audit.record({
      action: 'organization.deleted',
      entity: 'organization',
      entityId: before.id,
      before: beforeJson,
      after: null,
    });
    return { id: before.id, deleted: true };
  }

  /** Adds a user to the organisation with a role, or changes their role there. */
  async setMember(id: unknown, body: unknown): Promise<OrganizationMemberJson> {
    const org = await this.require(id);
    const input = parseInput(OrganizationMemberInputSchema, body);
    const user = await this.users.get(input.user_id);
    if (!user) throw new ApiException({ ...userNotFound(input.user_id), param: 'user_id' });
    const before = (await this.organizations.members(org.id)).find((m) => m.userId === user.id);
    const member = await this.organizations.setMemberRole(org.id, user.id, input.role);
    // The user's organisation (for spend and limits) may have been set by joining: their keys reload.
    if (user.organizationId === null)
      await this.keyEvents.publishScopeChanged({ level: 'user', id: user.id, reason: 'updated' });
    await this.audit.record({
      action: before ? 'organization.member_updated' : 'organization.member_added',
      entity: 'organization',
      entityId: org.id,
      details: { user_id: user.id },
      before: before ? toMemberJson(before) : null,
      after: toMemberJson(member),
    });
    return toMemberJson(member);
  }

  async removeMember(
    id: unknown,
    userId: unknown,
  ): Promise<{ organization_id: string; user_id: string; deleted: true }> {
    const org = await this.require(id);
    const removed = typeof userId === 'string' ? await this.organizations.removeMember(org.id, userId) : undefined;
    if (!removed) {
      throw new ApiException({
        ...Errors.notFound(
          `That user is not a member of organisation ${org.id}. See its members with GET /v1/organizations/${org.id}.`,
        ),
        param: 'user_id',
      });
    }
    await this.keyEvents.publishScopeChanged({ level: 'user', id: removed.userId, reason: 'updated' });
    await this.audit.record({
      action: 'organization.member_removed',
      entity: 'organization',
      entityId: org.id,
      details: { user_id: removed.userId },
      before: toMemberJson(removed),
      after: null,
    });
    return { organization_id: org.id, user_id: removed.userId, deleted: true };
  }

  async json(org: OrganizationRecord): Promise<OrganizationJson> {
    return toOrganizationJson(org, await this.organizations.members(org.id));
  }

  async require(id: unknown, param: string | null = null): Promise<OrganizationRecord> {
    const org = isUuid(id) ? await this.organizations.get(id) : undefined;
    if (!org) throw new ApiException({ ...organizationNotFound(typeof id === 'string' ? id : ''), param });
    return org;
  }
}
