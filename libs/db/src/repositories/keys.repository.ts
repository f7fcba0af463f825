import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DB } from '../db.token';
import type { ApiKeyRow, Database } from '../database.types';

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

  async findByHash(hash: string): Promise<KeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    return row && toKeyRecord(row);
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
