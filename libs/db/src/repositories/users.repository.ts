import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DB } from '../db.token';
import { newestFirstPage } from './newest-first-page';
import type { Database, TeamRole, UserRole, UserRow } from '../database.types';
import { limitColumnsOf, limitScopeOf, type LimitInput, type LimitScope } from '../limits';
import { toKeyRecord, type KeyRecord } from './keys.repository';

/** A user (LiteLLM's internal user): a global role, team memberships with a team role, keys of their own. */
export interface UserRecord {
  id: string;
  userEmail: string | null;
  userRole: UserRole;
  organizationId: string | null;
  models: string[];
  metadata: Record<string, unknown>;
  limits: LimitScope;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  id?: string;
  userEmail?: string | null;
  userRole?: UserRole;
  organizationId?: string | null;
  models?: string[];
  metadata?: Record<string, unknown>;
  limits?: LimitInput;
}

/** Fields a user update may change; absent ones are kept. */
export type UserUpdate = Omit<NewUser, 'id'>;

export interface TeamMembership {
  teamId: string;
  userId: string;
  role: TeamRole;
  createdAt: Date;
}

export interface UserListFilter {
  role?: UserRole;
  organizationId?: string;
  teamId?: string;
  email?: string;
  /** Only these users (a caller who may see only some). */
  ids?: string[];
  /** Keyset paging: users created before this one (by created_at, id). */
  after?: string;
  limit?: number;
}

export function toUserRecord(row: UserRow): UserRecord {
  return {
    id: row.id,
    userEmail: row.user_email,
    userRole: row.user_role,
    organizationId: row.organization_id,
    models: row.models,
    metadata: row.metadata,
    limits: limitScopeOf('user', row.id, row),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Users and their team memberships; a deleted user is kept (deleted_at set) so history still resolves. */
@Injectable()
export class UsersRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /** Inserts the user; undefined when the id is taken (by a live or deleted user). */
  async create(user: NewUser): Promise<UserRecord | undefined> {
    const row = await this.db
      .insertInto('users')
      .values({
        ...(user.id !== undefined && { id: user.id }),
        user_email: user.userEmail ?? null,
        ...(user.userRole !== undefined && { user_role: user.userRole }),
        organization_id: user.organizationId ?? null,
        models: user.models ?? [],
        metadata: JSON.stringify(user.metadata ?? {}),
        ...limitColumnsOf(user.limits ?? {}),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && toUserRecord(row);
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return row && toUserRecord(row);
  }

  async getByEmail(email: string): Promise<UserRecord | undefined> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('user_email', '=', email)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .executeTakeFirst();
    return row && toUserRecord(row);
  }

  /** Newest first. */
  async list(filter: UserListFilter = {}): Promise<UserRecord[]> {
    let q = this.db.selectFrom('users').selectAll().where('deleted_at', 'is', null);
    if (filter.role !== undefined) q = q.where('user_role', '=', filter.role);
    if (filter.organizationId !== undefined) q = q.where('organization_id', '=', filter.organizationId);
    if (filter.email !== undefined) q = q.where('user_email', '=', filter.email);
    if (filter.ids !== undefined) {
      if (filter.ids.length === 0) return [];
      q = q.where('id', 'in', filter.ids);
    }
    if (filter.teamId !== undefined) {
      const teamId = filter.teamId;
      q = q.where('id', 'in', (eb) => eb.selectFrom('team_members').select('user_id').where('team_id', '=', teamId));
    }
    const rows = await newestFirstPage(q, 'users', filter.after, filter.limit ?? 100).execute();
    return rows.map(toUserRecord);
  }

  async update(id: string, patch: UserUpdate, at: Date = new Date()): Promise<UserRecord | undefined> {
    const row = await this.db
      .updateTable('users')
      .set({
        ...(patch.userEmail !== undefined && { user_email: patch.userEmail }),
        ...(patch.userRole !== undefined && { user_role: patch.userRole }),
        ...(patch.organizationId !== undefined && { organization_id: patch.organizationId }),
        ...(patch.models !== undefined && { models: patch.models }),
        ...(patch.metadata !== undefined && { metadata: JSON.stringify(patch.metadata) }),
        ...limitColumnsOf(patch.limits ?? {}),
        updated_at: at,
      })
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    return row && toUserRecord(row);
  }

  /**
   * Marks the user deleted, drops their team and organisation memberships and revokes their keys, in one
   * transaction. Returns the revoked keys (for the gateways to drop), or undefined when there is no such user.
   */
  async softDelete(id: string, at: Date = new Date()): Promise<{ id: string; keyHash: string }[] | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('users')
        .set({ deleted_at: at, updated_at: at })
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .returning('id')
        .executeTakeFirst();
      if (!row) return undefined;
      await trx.deleteFrom('team_members').where('user_id', '=', id).execute();
      await trx.deleteFrom('organization_members').where('user_id', '=', id).execute();
      const keys = await trx
        .updateTable('api_keys')
        .set({ revoked_at: at, updated_at: at })
        .where('user_id', '=', id)
        .where('revoked_at', 'is', null)
        .returning(['id', 'key_hash'])
        .execute();
      return keys.map((k) => ({ id: k.id, keyHash: k.key_hash }));
    });
  }

  /** The user's keys (revoked ones too), newest first. */
  async keys(userId: string): Promise<KeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(toKeyRecord);
  }

  async teamMemberships(userId: string): Promise<TeamMembership[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .innerJoin('teams', 'teams.id', 'team_members.team_id')
      .select(['team_members.team_id', 'team_members.user_id', 'team_members.role', 'team_members.created_at'])
      .where('team_members.user_id', '=', userId)
      .where('teams.deleted_at', 'is', null)
      .orderBy('team_members.created_at')
      .execute();
    return rows.map((r) => ({ teamId: r.team_id, userId: r.user_id, role: r.role, createdAt: r.created_at }));
  }

  async teamMembers(teamId: string): Promise<(TeamMembership & { userEmail: string | null })[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .innerJoin('users', 'users.id', 'team_members.user_id')
      .select([
        'team_members.team_id',
        'team_members.user_id',
        'team_members.role',
        'team_members.created_at',
        'users.user_email',
      ])
      .where('team_members.team_id', '=', teamId)
      .where('users.deleted_at', 'is', null)
      .orderBy('team_members.created_at')
      .execute();
    return rows.map((r) => ({
      teamId: r.team_id,
      userId: r.user_id,
      role: r.role,
      createdAt: r.created_at,
      userEmail: r.user_email,
    }));
  }

  async teamMembership(teamId: string, userId: string): Promise<TeamMembership | undefined> {
    const r = await this.db
      .selectFrom('team_members')
      .selectAll()
      .where('team_id', '=', teamId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return r && { teamId: r.team_id, userId: r.user_id, role: r.role, createdAt: r.created_at };
  }

  /** Adds the user to the team with `role`, or changes their role there. */
  async setTeamRole(teamId: string, userId: string, role: TeamRole): Promise<TeamMembership> {
    const r = await this.db
      .insertInto('team_members')
      .values({ team_id: teamId, user_id: userId, role })
      .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return { teamId: r.team_id, userId: r.user_id, role: r.role, createdAt: r.created_at };
  }

  /** Removes the membership; undefined when there was none. */
  async removeFromTeam(teamId: string, userId: string): Promise<TeamMembership | undefined> {
    const r = await this.db
      .deleteFrom('team_members')
      .where('team_id', '=', teamId)
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirst();
    return r && { teamId: r.team_id, userId: r.user_id, role: r.role, createdAt: r.created_at };
  }
}
