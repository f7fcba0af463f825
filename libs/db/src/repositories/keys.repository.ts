import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DB } from '../db.token';
import type { ApiKeyRow, Database } from '../database.types';
import { limitColumnsOf, limitScopeOf, type LimitInput, type LimitScope } from '../limits';
import { allowedModels } from '../model-access';

export interface KeyRecord {
  id: string;
  keyHash: string;
  keyPrefix: string;
  keyAlias: string | null;
  teamId: string | null;
  userId: string | null;
  blocked: boolean;
  /** Allowed models; empty means all. */
  models: string[];
  maxBudgetNanos: bigint | null;
  spendNanos: bigint;
  /** The key's own budget and rate limits. */
  limits: LimitScope;
  /** Per-model rate limits on this key (LiteLLM's model_rpm_limit / model_tpm_limit). */
  modelRpmLimit: Record<string, number>;
  modelTpmLimit: Record<string, number>;
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
  /** The team is blocked: its keys are refused. */
  teamBlocked: boolean;
  /** The organisation the key is charged to (its team's, else its user's). */
  organizationId: string | null;
  /** Every level's limits that apply to the key (key, user, team, organisation), key first. */
  scopes: LimitScope[];
}

export interface NewKey {
  keyHash: string;
  keyPrefix: string;
  keyAlias?: string | null;
  teamId?: string | null;
  userId?: string | null;
  models?: string[];
  maxBudgetNanos?: bigint | null;
  limits?: LimitInput;
  modelRpmLimit?: Record<string, number>;
  modelTpmLimit?: Record<string, number>;
  metadata?: Record<string, unknown>;
  expiresAt?: Date | null;
}

/** What a key update may change; absent fields are kept. */
export interface KeyUpdate {
  keyAlias?: string | null;
  models?: string[];
  blocked?: boolean;
  limits?: LimitInput;
  modelRpmLimit?: Record<string, number>;
  modelTpmLimit?: Record<string, number>;
  metadata?: Record<string, unknown>;
  expiresAt?: Date | null;
}

function numberMap(v: Record<string, unknown>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) if (typeof n === 'number' && Number.isFinite(n)) out[k] = n;
  return out;
}

export function toKeyRecord(row: ApiKeyRow): KeyRecord {
  return {
    id: row.id,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    keyAlias: row.key_alias,
    teamId: row.team_id,
    userId: row.user_id,
    blocked: row.blocked,
    models: row.models,
    maxBudgetNanos: row.max_budget_nanos === null ? null : BigInt(row.max_budget_nanos),
    spendNanos: BigInt(row.spend_nanos),
    limits: limitScopeOf('key', row.id, row),
    modelRpmLimit: numberMap(row.model_rpm_limit),
    modelTpmLimit: numberMap(row.model_tpm_limit),
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
        user_id: key.userId ?? null,
        models: key.models ?? [],
        ...limitColumnsOf({ maxBudgetNanos: key.maxBudgetNanos ?? null, ...key.limits }),
        model_rpm_limit: JSON.stringify(key.modelRpmLimit ?? {}),
        model_tpm_limit: JSON.stringify(key.modelTpmLimit ?? {}),
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
   * The key with what its team allows and the limits of every level above it (user, team, organisation).
   * The gateway's cache holds the result, so a request never waits on Postgres for them. A deleted team's
   * keys are revoked with it, so its limit is moot.
   */
  async findByHash(hash: string, legacyHash?: string): Promise<KeyGrant | undefined> {
    const hashes = legacyHash === undefined ? [hash] : [hash, legacyHash];
    const rows = await this.db.selectFrom('api_keys').selectAll().where('key_hash', 'in', hashes).execute();
    let row = rows.find((r) => r.key_hash === hash) ?? rows[0];
    if (!row) return undefined;
    if (row.key_hash !== hash) {
      // A key stored before HMAC, presented now: store it in the keyed form from here on.
      row =
        (await this.db
          .updateTable('api_keys')
          .set({ key_hash: hash })
          .where('id', '=', row.id)
          .where('key_hash', '=', row.key_hash)
          .returningAll()
          .executeTakeFirst()) ?? row;
    }
    const record = toKeyRecord(row);
    const [team, user] = await Promise.all([
      record.teamId === null
        ? undefined
        : this.db.selectFrom('teams').selectAll().where('id', '=', record.teamId).executeTakeFirst(),
      record.userId === null
        ? undefined
        : this.db.selectFrom('users').selectAll().where('id', '=', record.userId).executeTakeFirst(),
    ]);
    const organizationId = team?.organization_id ?? user?.organization_id ?? null;
    const org =
      organizationId === null
        ? undefined
        : await this.db.selectFrom('organizations').selectAll().where('id', '=', organizationId).executeTakeFirst();
    const scopes: LimitScope[] = [record.limits];
    if (user) scopes.push(limitScopeOf('user', user.id, user));
    if (team) scopes.push(limitScopeOf('team', team.id, team));
    if (org) scopes.push(limitScopeOf('organization', org.id, org));
    const teamModels = team?.models ?? [];
    return {
      ...record,
      teamModels,
      allowedModels: allowedModels([record.models, teamModels, user?.models ?? [], org?.models ?? []]),
      teamBlocked: team?.blocked ?? false,
      organizationId,
      scopes,
    };
  }

  /** Updates the key; undefined when it does not exist. */
  async update(id: string, patch: KeyUpdate, at: Date = new Date()): Promise<KeyRecord | undefined> {
    const row = await this.db
      .updateTable('api_keys')
      .set({
        ...(patch.keyAlias !== undefined && { key_alias: patch.keyAlias }),
        ...(patch.models !== undefined && { models: patch.models }),
        ...(patch.blocked !== undefined && { blocked: patch.blocked }),
        ...limitColumnsOf(patch.limits ?? {}),
        ...(patch.modelRpmLimit !== undefined && { model_rpm_limit: JSON.stringify(patch.modelRpmLimit) }),
        ...(patch.modelTpmLimit !== undefined && { model_tpm_limit: JSON.stringify(patch.modelTpmLimit) }),
        ...(patch.metadata !== undefined && { metadata: JSON.stringify(patch.metadata) }),
        ...(patch.expiresAt !== undefined && { expires_at: patch.expiresAt }),
        updated_at: at,
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
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
