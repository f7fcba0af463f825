import { Inject, Injectable } from '@nestjs/common';
import { Errors, nanosToUsd } from '@switchyard/contracts';
import { KeysRepository, OrganizationsRepository, TeamsRepository, UnitOfWork, type TeamRecord } from '@switchyard/db';
import { seesEverything } from '../auth/caller';
import { currentRequest } from '../auth/request-context';
import { AuditService } from '../audit/audit.service';
import { ApiException } from '../common/api.exception';
import { limitInputOf, limitsJson } from '../common/limits.schemas';
import { budgetToNanos, nanosToUsdOrNull } from '../common/money';
import { isUuid, parseInput } from '../common/parse-input';
import { KeyEventsPublisher } from '@switchyard/nats';
import { CreateTeamSchema, UpdateTeamSchema, type TeamJson } from './teams.schemas';

export function toTeamJson(t: TeamRecord): TeamJson {
  return {
    id: t.id,
    team_alias: t.teamAlias,
    organization_id: t.organizationId,
    max_budget: nanosToUsdOrNull(t.maxBudgetNanos),
    max_budget_nanos: t.maxBudgetNanos?.toString() ?? null,
    spend: nanosToUsd(t.spendNanos),
    spend_nanos: t.spendNanos.toString(),
    models: t.models,
    metadata: t.metadata,
    ...limitsJson(t.limits),
    blocked: t.blocked,
    created_at: t.createdAt.toISOString(),
    updated_at: t.updatedAt.toISOString(),
  };
}

@Injectable()
export class TeamsService {
  constructor(
    @Inject(TeamsRepository) private readonly teams: TeamsRepository,
    @Inject(KeysRepository) private readonly keys: KeysRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(KeyEventsPublisher) private readonly keyEvents: KeyEventsPublisher,
    @Inject(UnitOfWork) private readonly uow: UnitOfWork,
    @Inject(OrganizationsRepository) private readonly organizations: OrganizationsRepository,
  ) {}

  async create(body: unknown): Promise<TeamJson> {
    const input = parseInput(CreateTeamSchema, body);
    if (input.organization_id) await this.requireOrganization(input.organization_id);
    let team = await this.teams.create({
      teamAlias: input.team_alias ?? null,
      organizationId: input.organization_id ?? null,
      maxBudgetNanos: budgetToNanos(input.max_budget),
      models: input.models ?? [],
      metadata: input.metadata ?? {},
      limits: limitInputOf(input),
    });
    if (input.blocked) team = (await this.teams.update(team.id, { blocked: true })) ?? team;
    await this.audit.record({
      action: 'team.created',
      entity: 'team',
      entityId: team.id,
      details: { team_alias: team.teamAlias },
      before: null,
      after: toTeamJson(team),
    });
    return toTeamJson(team);
  }

  /** The teams the caller may see: all for proxy admins; else those they belong to and those of organisations they administer. */
  async list(): Promise<{ data: TeamJson[] }> {
    const caller = currentRequest().caller;
    if (caller === undefined || seesEverything(caller) || caller.kind === 'master')
      return { data: (await this.teams.list()).map(toTeamJson) };
    const ids = new Set(caller.teams.keys());
    for (const [orgId, role] of caller.organizations) {
      if (role === 'org_admin') for (const t of await this.teams.list({ organizationId: orgId })) ids.add(t.id);
    }
    return { data: (await this.teams.list({ ids: [...ids] })).map(toTeamJson) };
  }

  async get(id: string): Promise<TeamJson> {
    return toTeamJson(await this.require(id));
  }

  /**
   * Updates the team. A change of its models reaches every gateway at once (one team event: each drops the
   * team's cached keys and reloads them with the new limit on their next request).
   */
  async update(id: string, body: unknown): Promise<TeamJson> {
    if (!isUuid(id)) throw new ApiException(teamNotFound(id));
    const input = parseInput(UpdateTeamSchema, body);
    const before = await this.require(id);
    if (input.organization_id) await this.requireOrganization(input.organization_id);
    const team = await this.teams.update(id, {
      teamAlias: input.team_alias,
      organizationId: input.organization_id,
      models: input.models,
      metadata: input.metadata,
      blocked: input.blocked,
      limits: {
        ...limitInputOf(input),
        ...(input.max_budget !== undefined && { maxBudgetNanos: budgetToNanos(input.max_budget) }),
      },
    });
    if (!team) throw new ApiException(teamNotFound(id));
    // Models, limits and blocking are read with the keys: every gateway reloads the team's keys.
    if (Object.keys(input).some((f) => f !== 'team_alias' && f !== 'metadata'))
      await this.keyEvents.publishTeamChanged({ teamId: id, reason: 'updated' });
    await this.audit.record({
      action: 'team.updated',
      entity: 'team',
      entityId: id,
      details: { fields: Object.keys(input) },
      before: toTeamJson(before),
      after: toTeamJson(team),
    });
    return toTeamJson(team);
  }

  /**
   * Deletes the team and revokes its keys; gateways are told to drop those keys at once.
   * One transaction marks the team deleted first (its row lock makes concurrent key creations wait, then
   * fail) and then revokes every key committed before it. A concurrent deletion of the same team waits
   * for that commit and then finds nothing to delete: 404, with nothing revoked by it, so every revoked
   * key is announced exactly by the deletion that revoked it.
   */
  async delete(id: string): Promise<{ id: string; deleted: true; revoked_keys: number }> {
    if (!isUuid(id)) throw new ApiException(teamNotFound(id));
    const at = new Date();
    const done = await this.uow.run(async (trx) => {
      const deleted = await this.teams.softDelete(id, at, trx);
      if (!deleted) return undefined;
      return { deleted, revoked: await this.keys.revokeByTeam(id, at, trx) };
    });
    if (!done) throw new ApiException(teamNotFound(id));
    const { deleted, revoked } = done;
    await this.keyEvents.publish(revoked.map((k) => ({ keyId: k.id, keyHash: k.keyHash, reason: 'revoked' as const })));
    await this.audit.record({
      action: 'team.deleted',
      entity: 'team',
      entityId: id,
      details: { revoked_key_ids: revoked.map((k) => k.id) },
      before: toTeamJson({ ...deleted, deletedAt: null }),
      after: null,
    });
    return { id, deleted: true, revoked_keys: revoked.length };
  }

  private async requireOrganization(id: string): Promise<void> {
    if (!(await this.organizations.get(id)))
      throw new ApiException({ ...organizationNotFound(id), param: 'organization_id' });
  }

  /** The live team, or a 404 (also for ids that are not uuids). */
  async require(id: string, param: string | null = null): Promise<TeamRecord> {
    const team = isUuid(id) ? await this.teams.get(id) : undefined;
    if (!team) throw new ApiException({ ...teamNotFound(id), param });
    return team;
  }
}

export function organizationNotFound(id: string) {
  return Errors.notFound(
    isUuid(id)
      ? `Organisation ${id} does not exist or was deleted. List organisations with GET /v1/organizations.`
      : 'No organisation has that id: organisation ids are uuids, as returned by POST /v1/organizations.',
  );
}

/**
 * Names the team only when what the caller sent is a team id (a uuid): anything else may be a secret pasted
 * in the wrong place, and an error must not echo it.
 */
export function teamNotFound(id: string) {
  return Errors.notFound(
    isUuid(id)
      ? `Team ${id} does not exist or was deleted. List teams with GET /v1/teams.`
      : 'No team has that id: team ids are uuids, as returned by POST /v1/teams. List teams with GET /v1/teams.',
  );
}
