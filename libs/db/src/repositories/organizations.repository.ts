import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DB } from '../db.token';
import { newestFirstPage } from './newest-first-page';
import type { Database, OrganizationRow } from '../database.types';
import { limitColumnsOf, limitScopeOf, type LimitInput, type LimitScope } from '../limits';

export type OrganizationRole = 'org_admin' | 'member';

export interface OrganizationRecord {
  id: string;
  organizationAlias: string | null;
  models: string[];
  metadata: Record<string, unknown>;
  limits: LimitScope;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewOrganization {
  organizationAlias?: string | null;
  models?: string[];
  metadata?: Record<string, unknown>;
  limits?: LimitInput;
}

export interface OrganizationMembership {
  organizationId: string;
  userId: string;
  role: OrganizationRole;
  createdAt: Date;
}

export interface OrganizationListFilter {
  alias?: string;
  /** Only these organisations (a caller who may see only some). */
  ids?: string[];
  /** Keyset paging: organisations created before this one. */
  after?: string;
  limit?: number;
}

export function toOrganizationRecord(row: OrganizationRow): OrganizationRecord {
  return {
    id: row.id,
    organizationAlias: row.organization_alias,
    models: row.models,
    metadata: row.metadata,
    limits: limitScopeOf('organization', row.id, row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

type MemberRow = { organization_id: string; user_id: string; role: OrganizationRole; created_at: Date };
const toMembership = (r: MemberRow): OrganizationMembership => ({
  organizationId: r.organization_id,
  userId: r.user_id,
  role: r.role,
  createdAt: r.created_at,
});

/** Organisations (above teams) and their members; a deleted organisation is kept (deleted_at set). */
@Injectable()
export class OrganizationsRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  async create(org: NewOrganization): Promise<OrganizationRecord> {
    const row = await this.db
      .insertInto('organizations')
      .values({
        organization_alias: org.organizationAlias ?? null,
        models: org.models ?? [],
        metadata: JSON.stringify(org.metadata ?? {}),
        ...limitColumnsOf(org.limits ?? {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toOrganizationRecord(row);
  }

  async get(id: string): Promise<OrganizationRecord | undefined> {
    const row = await this.db
      .selectFrom('organizations')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toOrganizationRecord(row);
  }

  /** Newest first. */
  async list(filter: OrganizationListFilter = {}): Promise<OrganizationRecord[]> {
    let q = this.db.selectFrom('organizations').selectAll().where('deleted_at', 'is', null);
    if (filter.alias !== undefined) q = q.where('organization_alias', '=', filter.alias);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    const rows = await newestFirstPage(q, 'organizations', filter.after, filter.limit ?? 100).execute();
    return rows.map(toOrganizationRecord);
  }

  async update(id: string, patch: NewOrganization, at: Date = new Date()): Promise<OrganizationRecord | undefined> {
    const row = await this.db
      .updateTable('organizations')
      .set({
        ...(patch.organizationAlias !== undefined && { organization_alias: patch.organizationAlias }),
        ...(patch.models !== undefined && { models: patch.models }),
        ...(patch.metadata !== undefined && { metadata: JSON.stringify(patch.metadata) }),
        ...limitColumnsOf(patch.limits ?? {}),
        updated_at: at,
      })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toOrganizationRecord(row);
  }

  /**
   * Marks the organisation deleted when no live team belongs to it (teams are moved or deleted first);
   * 'has_teams' when some do, undefined when there is no such organisation.
   */
  async softDelete(id: string, at: Date = new Date()): Promise<OrganizationRecord | 'has_teams' | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const org = await trx
        .selectFrom('organizations')
        .selectAll()
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (!org) return undefined;
      const team = await trx
        .selectFrom('teams')
        .select('id')
        .where('organization_id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (team) return 'has_teams';
      await trx.deleteFrom('organization_members').where('organization_id', '=', id).execute();
      await trx.updateTable('users').set({ organization_id: null }).where('organization_id', '=', id).execute();
      const row = await trx
        .updateTable('organizations')
        .set({ deleted_at: at, updated_at: at })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toOrganizationRecord(row);
    });
  }

  async members(organizationId: string): Promise<OrganizationMembership[]> {
    const rows = await this.db
      .selectFrom('organization_members')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .execute();
    return rows.map(toMembership);
  }

  async membershipsOf(userId: string): Promise<OrganizationMembership[]> {
    const rows = await this.db
      .selectFrom('organization_members')
      .innerJoin('organizations', 'organizations.id', 'organization_members.organization_id')
      .selectAll('organization_members')
      .where('organization_members.user_id', '=', userId)
      .where('organizations.deleted_at', 'is', null)
      .execute();
    return rows.map(toMembership);
  }

  /**
   * Adds the user to the organisation with `role` (or changes it). A user belongs to one organisation for
   * spend (users.organization_id): joining sets it when it is unset.
   */
  async setMemberRole(organizationId: string, userId: string, role: OrganizationRole): Promise<OrganizationMembership> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .insertInto('organization_members')
        .values({ organization_id: organizationId, user_id: userId, role })
        .onConflict((oc) => oc.columns(['organization_id', 'user_id']).doUpdateSet({ role }))
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .updateTable('users')
        .set({ organization_id: organizationId })
        .where('id', '=', userId)
        .where('organization_id', 'is', null)
        .execute();
      return toMembership(r);
    });
  }

  /** Removes the membership (and the user's organisation for spend when it was this one); undefined when none. */
  async removeMember(organizationId: string, userId: string): Promise<OrganizationMembership | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .deleteFrom('organization_members')
        .where('organization_id', '=', organizationId)
        .where('user_id', '=', userId)
        .returningAll()
        .executeTakeFirst();
      if (!r) return undefined;
      await trx
        .updateTable('users')
        .set({ organization_id: null })
        .where('id', '=', userId)
        .where('organization_id', '=', organizationId)
        .execute();
      return toMembership(r);
    });
  }
}
