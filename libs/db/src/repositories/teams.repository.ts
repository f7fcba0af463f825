import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DB } from '../db.token';
import type { Database, TeamRow } from '../database.types';
import { limitColumnsOf, limitScopeOf, type LimitInput, type LimitScope } from '../limits';

export interface TeamRecord {
  id: string;
  teamAlias: string | null;
  maxBudgetNanos: bigint | null;
  spendNanos: bigint;
  organizationId: string | null;
  blocked: boolean;
  limits: LimitScope;
  models: string[];
  metadata: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface NewTeam {
  teamAlias?: string | null;
  maxBudgetNanos?: bigint | null;
  organizationId?: string | null;
  limits?: LimitInput;
  models?: string[];
  metadata?: Record<string, unknown>;
}

/** Fields a team update may change; absent ones are kept. */
export interface TeamUpdate {
  teamAlias?: string | null;
  organizationId?: string | null;
  blocked?: boolean;
  limits?: LimitInput;
  models?: string[];
  metadata?: Record<string, unknown>;
}

export function toTeamRecord(row: TeamRow): TeamRecord {
  return {
    id: row.id,
    teamAlias: row.team_alias,
    maxBudgetNanos: row.max_budget_nanos === null ? null : BigInt(row.max_budget_nanos),
    spendNanos: BigInt(row.spend_nanos),
    organizationId: row.organization_id,
    blocked: row.blocked,
    limits: limitScopeOf('team', row.id, row),
    models: row.models,
    metadata: row.metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
  };
}

/** Teams; a deleted team is kept (deleted_at set) so its history still resolves. */
@Injectable()
export class TeamsRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  async create(team: NewTeam): Promise<TeamRecord> {
    const row = await this.db
      .insertInto('teams')
      .values({
        team_alias: team.teamAlias ?? null,
        ...limitColumnsOf({ maxBudgetNanos: team.maxBudgetNanos ?? null, ...team.limits }),
        organization_id: team.organizationId ?? null,
        models: team.models ?? [],
        metadata: JSON.stringify(team.metadata ?? {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toTeamRecord(row);
  }

  /** Live teams, newest first; `ids` keeps only those (a caller who may see only some). */
  async list(filter: { organizationId?: string; ids?: string[] } = {}): Promise<TeamRecord[]> {
    if (filter.ids?.length === 0) return [];
    let q = this.db.selectFrom('teams').selectAll().where('deleted_at', 'is', null);
    if (filter.organizationId !== undefined) q = q.where('organization_id', '=', filter.organizationId);
    if (filter.ids !== undefined) q = q.where('id', 'in', filter.ids);
    const rows = await q.orderBy('created_at', 'desc').execute();
    return rows.map(toTeamRecord);
  }

  /** The aliases of these teams (deleted ones included: reports name what spent), by id; unnamed teams absent. */
  async aliases(ids: readonly string[]): Promise<Map<string, string>> {
    const uuids = ids.filter((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id));
    if (uuids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('teams')
      .select(['id', 'team_alias'])
      .where('id', 'in', uuids)
      .where('team_alias', 'is not', null)
      .execute();
    return new Map(rows.map((r) => [r.id, r.team_alias!]));
  }

  async get(id: string): Promise<TeamRecord | undefined> {
    const row = await this.db
      .selectFrom('teams')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toTeamRecord(row);
  }

  /**
   * The live team, row-locked FOR SHARE until `trx` ends: a concurrent softDelete waits for it, and it
   * waits for a concurrent softDelete (then sees the team deleted). Undefined when missing or deleted.
   */
  async getForShare(id: string, trx: Transaction<Database>): Promise<TeamRecord | undefined> {
    const row = await trx
      .selectFrom('teams')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .forShare()
      .executeTakeFirst();
    return row && toTeamRecord(row);
  }

  /** Updates the live team (its row locked until the statement ends); undefined when missing or deleted. */
  async update(id: string, patch: TeamUpdate, at: Date = new Date()): Promise<TeamRecord | undefined> {
    const row = await this.db
      .updateTable('teams')
      .set({
        ...(patch.teamAlias !== undefined && { team_alias: patch.teamAlias }),
        ...(patch.organizationId !== undefined && { organization_id: patch.organizationId }),
        ...(patch.blocked !== undefined && { blocked: patch.blocked }),
        ...limitColumnsOf(patch.limits ?? {}),
        ...(patch.models !== undefined && { models: patch.models }),
        ...(patch.metadata !== undefined && { metadata: JSON.stringify(patch.metadata) }),
        updated_at: at,
      })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toTeamRecord(row);
  }

  /**
   * Marks the team deleted (inside `trx` when given, which then holds the row lock until it ends);
   * undefined when it does not exist or was already deleted.
   */
  async softDelete(id: string, at: Date = new Date(), trx?: Transaction<Database>): Promise<TeamRecord | undefined> {
    const row = await (trx ?? this.db)
      .updateTable('teams')
      .set({ deleted_at: at, updated_at: at })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toTeamRecord(row);
  }
}
