import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DB } from '../db.token';
import type { ApiKeyRow, Database } from '../database.types';
import { allowedModels } from '../model-access';

export interface KeyRecord {
  id: string;
  keyHash: string;
  keyPrefix: string;
  keyAlias: string | null;
  teamId: string | null;
  /** Allowed models; empty means all. */
  models: string[];
  maxBudgetNanos: bigint | null;
  spendNanos: bigint;
  metadata: Record<string, unknown>;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A key as the gateway authorises it: with what its team allows, read in the same query. */
export interface KeyGrant extends KeyRecord {
  /** The team's models (empty: no team, or the team allows all). */
  teamModels: string[];
  /** What the key may call now: see allowedModels (null: any model). */
  allowedModels: string[] | null;
}

export interface NewKey {
  keyHash: string;
  keyPrefix: string;
  keyAlias?: string | null;
  teamId?: string | null;
  models?: string[];
  maxBudgetNanos?: bigint | null;
  metadata?: Record<string, unknown>;
  expiresAt?: Date | null;
}

export function toKeyRecord(row: ApiKeyRow): KeyRecord {
  return {
    id: row.id,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    keyAlias: row.key_alias,
    teamId: row.team_id,
    models: row.models,
    maxBudgetNanos: row.max_budget_nanos === null ? null : BigInt(row.max_budget_nanos),
    spendNanos: BigInt(row.spend_nanos),
    metadata: row.metadata,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Virtual keys, stored by sha256 hash only. */
@Injectable()
export class KeysRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /** Inserts the key; inside `trx` when given (the caller holds whatever locks the insert depends on). */
  async create(key: NewKey, trx?: Transaction<Database>): Promise<KeyRecord> {
    const row = await (trx ?? this.db)
      .insertInto('api_keys')
      .values({
        key_hash: key.keyHash,
        key_prefix: key.keyPrefix,
        key_alias: key.keyAlias ?? null,
        team_id: key.teamId ?? null,
        models: key.models ?? [],
        max_budget_nanos: key.maxBudgetNanos == null ? null : key.maxBudgetNanos.toString(),
        metadata: JSON.stringify(key.metadata ?? {}),
        expires_at: key.expiresAt ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toKeyRecord(row);
  }

  async list(filter: { teamId?: string } = {}): Promise<KeyRecord[]> {
    let q = this.db.selectFrom('api_keys').selectAll();
    if (filter.teamId !== undefined) q = q.where('team_id', '=', filter.teamId);
    const rows = await q.orderBy('created_at', 'desc').execute();
    return rows.map(toKeyRecord);
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toKeyRecord(row);
  }

  /**
   * The key with its team's model limit, in one query (the gateway's cache holds the result, so a request
   * never waits on Postgres for the team). A deleted team's keys are revoked with it, so its limit is moot.
   */
  async findByHash(hash: string): Promise<KeyGrant | undefined> {
    const row = await this.db
      .selectFrom('api_keys')
      .leftJoin('teams', 'teams.id', 'api_keys.team_id')
      .selectAll('api_keys')
      .select('teams.models as team_models')
      .where('api_keys.key_hash', '=', hash)
      .executeTakeFirst();
    if (!row) return undefined;
    const { team_models, ...key } = row;
    const record = toKeyRecord(key);
    const teamModels = team_models ?? [];
    return { ...record, teamModels, allowedModels: allowedModels([record.models, teamModels]) };
  }

  /** Revokes the key (keeping the first revocation time if already revoked); undefined when it does not exist. */
  async revoke(id: string, at: Date = new Date()): Promise<KeyRecord | undefined> {
    const row = await this.db
      .updateTable('api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)), updated_at: at }))
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    return row && toKeyRecord(row);
  }

  /** Revokes every live key of a team and returns them; inside `trx` when given. */
  async revokeByTeam(teamId: string, at: Date = new Date(), trx?: Transaction<Database>): Promise<KeyRecord[]> {
    const rows = await (trx ?? this.db)
      .updateTable('api_keys')
      .set({ revoked_at: at, updated_at: at })
      .where('team_id', '=', teamId)
      .where('revoked_at', 'is', null)
      .returningAll()
      .execute();
    return rows.map(toKeyRecord);
  }

  /** Marks live keys whose expires_at has passed as revoked, and returns them. */
  async expireDue(now: Date): Promise<{ id: string; keyHash: string }[]> {
    const rows = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now, updated_at: now })
      .where('revoked_at', 'is', null)
      .where('expires_at', 'is not', null)
      .where('expires_at', '<=', now)
      .returning(['id', 'key_hash'])
      .execute();
    return rows.map((r) => ({ id: r.id, keyHash: r.key_hash }));
  }
}
