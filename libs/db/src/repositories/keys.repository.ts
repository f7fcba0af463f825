import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely, type Transaction } from 'kysely';
import { DB } from '../db.token';
import type { ApiKeyRow, Database } from '../database.types';
import { limitColumnsOf, limitScopeOf, nextBudgetReset, type LimitInput, type LimitScope } from '../limits';
import { allowedModels } from '../model-access';
import { keyModelId, toModelBudget, type ModelBudget } from '../model-budgets';

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
  /** Per-model budgets on this key (LiteLLM's model_max_budget), each with its spend and period. */
  modelMaxBudget: ModelBudget[];
  metadata: Record<string, unknown>;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One entry of a key's model_max_budget as the admin API sets it. */
export interface ModelBudgetInput {
  model: string;
  maxBudgetNanos: bigint;
  budgetDuration: string;
}

/** Filters and page of a key listing (LiteLLM's /key/list). */
export interface KeyListFilter {
  teamId?: string;
  userId?: string;
  keyAlias?: string;
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
  /**
   * Set when the key was found by the old secret of a regeneration: that secret stops working at this instant
   * (the grace_period's end), whatever the cache holds.
   */
  secretRevokeAt: Date | null;
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
  modelMaxBudget?: ModelBudgetInput[];
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
  /** Replaces the key's per-model budgets: models left out lose theirs; a kept model keeps its spend and period. */
  modelMaxBudget?: ModelBudgetInput[];
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
    modelMaxBudget: [],
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
    if (trx === undefined && key.modelMaxBudget?.length) {
      return this.db.transaction().execute((t) => this.create(key, t));
    }
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
    if (key.modelMaxBudget?.length) await this.setModelBudgets(row.id, key.modelMaxBudget, trx!);
    return (await this.withModelBudgets([toKeyRecord(row)], trx))[0]!;
  }

  async list(filter: KeyListFilter = {}): Promise<KeyRecord[]> {
    return (await this.listPage(filter, 0, null)).keys;
  }

  /** One page of keys, newest first, with how many match in all. `limit` null: all of them. */
  async listPage(
    filter: KeyListFilter,
    offset: number,
    limit: number | null,
  ): Promise<{ keys: KeyRecord[]; total: number }> {
    let q = this.db.selectFrom('api_keys');
    if (filter.teamId !== undefined) q = q.where('team_id', '=', filter.teamId);
    if (filter.userId !== undefined) q = q.where('user_id', '=', filter.userId);
    if (filter.keyAlias !== undefined) q = q.where('key_alias', '=', filter.keyAlias);
    let rowsQ = q.selectAll().orderBy('created_at', 'desc').orderBy('id').offset(offset);
    if (limit !== null) rowsQ = rowsQ.limit(limit);
    const [rows, count] = await Promise.all([
      rowsQ.execute(),
      limit === null ? undefined : q.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    ]);
    const keys = await this.withModelBudgets(rows.map(toKeyRecord));
    return { keys, total: count === undefined ? keys.length : Number(count.n) };
  }

  async get(id: string): Promise<KeyRecord | undefined> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && (await this.withModelBudgets([toKeyRecord(row)]))[0];
  }

  /** Fills in each key's per-model budgets (one query). */
  private async withModelBudgets(keys: KeyRecord[], trx?: Transaction<Database>): Promise<KeyRecord[]> {
    if (keys.length === 0) return keys;
    const rows = await (trx ?? this.db)
      .selectFrom('key_model_budgets')
      .selectAll()
      .where(
        'key_id',
        'in',
        keys.map((k) => k.id),
      )
      .orderBy('model')
      .execute();
    const byKey = new Map<string, ModelBudget[]>();
    for (const r of rows) {
      const list = byKey.get(r.key_id) ?? [];
      list.push(toModelBudget(r));
      byKey.set(r.key_id, list);
    }
    return keys.map((k) => ({ ...k, modelMaxBudget: byKey.get(k.id) ?? [] }));
  }

  /**
   * Makes the key's per-model budgets `budgets`: a model no longer named loses its budget (and spend); one kept
   * with the same time_period keeps its spend and period; a new one, or a new time_period, starts a period now.
   */
  private async setModelBudgets(
    keyId: string,
    budgets: readonly ModelBudgetInput[],
    trx: Transaction<Database>,
    now = new Date(),
  ): Promise<void> {
    const models = budgets.map((b) => b.model);
    let del = trx.deleteFrom('key_model_budgets').where('key_id', '=', keyId);
    if (models.length > 0) del = del.where('model', 'not in', models);
    await del.execute();
    for (const b of budgets) {
      await trx
        .insertInto('key_model_budgets')
        .values({
          id: keyModelId(keyId, b.model),
          key_id: keyId,
          model: b.model,
          max_budget_nanos: b.maxBudgetNanos.toString(),
          budget_duration: b.budgetDuration,
          budget_reset_at: nextBudgetReset(b.budgetDuration, now),
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet((eb) => ({
            max_budget_nanos: eb.ref('excluded.max_budget_nanos'),
            budget_duration: eb.ref('excluded.budget_duration'),
            budget_reset_at: sql<Date>`case when key_model_budgets.budget_duration = excluded.budget_duration then key_model_budgets.budget_reset_at else excluded.budget_reset_at end`,
            updated_at: now,
          })),
        )
        .execute();
    }
  }

  /**
   * Gives the key a new secret (its hash and display prefix); the old secret keeps authenticating the key until
   * `previousValidUntil` (LiteLLM's grace_period), or stops at once when that is null. Undefined when no live key
   * has that id. Returns the key before and after, and the hash the old secret had.
   */
  async rotateSecret(
    id: string,
    next: { keyHash: string; keyPrefix: string },
    previousValidUntil: Date | null,
    at: Date = new Date(),
  ): Promise<{ before: KeyRecord; after: KeyRecord } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const before = await trx
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .forUpdate()
        .executeTakeFirst();
      if (!before) return undefined;
      const after = await trx
        .updateTable('api_keys')
        .set({ key_hash: next.keyHash, key_prefix: next.keyPrefix, updated_at: at })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (previousValidUntil !== null && previousValidUntil.getTime() > at.getTime()) {
        await trx
          .insertInto('api_key_previous_secrets')
          .values({ key_hash: before.key_hash, key_id: id, revoke_at: previousValidUntil })
          .onConflict((oc) => oc.column('key_hash').doUpdateSet({ revoke_at: previousValidUntil }))
          .execute();
      }
      const [b, a] = await this.withModelBudgets([toKeyRecord(before), toKeyRecord(after)], trx);
      return { before: b!, after: a! };
    });
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
    let secretRevokeAt: Date | null = null;
    if (!row) {
      // The old secret of a regenerated key, within its grace period: the key, until revoke_at.
      const previous = await this.db
        .selectFrom('api_key_previous_secrets as p')
        .innerJoin('api_keys as k', 'k.id', 'p.key_id')
        .selectAll('k')
        .select('p.revoke_at')
        .where('p.key_hash', '=', hash)
        .where('p.revoke_at', '>', new Date())
        .executeTakeFirst();
      if (!previous) return undefined;
      const { revoke_at, ...keyRow } = previous;
      row = keyRow;
      secretRevokeAt = revoke_at;
    } else if (row.key_hash !== hash) {
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
    const [record] = await this.withModelBudgets([toKeyRecord(row)]);
    const above = await this.levelsAbove(record!);
    return { ...record!, ...above, secretRevokeAt };
  }

  /**
   * The key's own limits and those of every level above it (user, team, organisation), key first, read now, with
   * what its team, user and organisation allow.
   */
  async levelsAbove(record: KeyRecord): Promise<{
    teamModels: string[];
    allowedModels: string[] | null;
    teamBlocked: boolean;
    organizationId: string | null;
    scopes: LimitScope[];
  }> {
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
      teamModels,
      allowedModels: allowedModels([record.models, teamModels, user?.models ?? [], org?.models ?? []]),
      teamBlocked: team?.blocked ?? false,
      organizationId,
      scopes,
    };
  }

  /** Updates the key; undefined when it does not exist. */
  async update(id: string, patch: KeyUpdate, at: Date = new Date()): Promise<KeyRecord | undefined> {
    if (patch.modelMaxBudget !== undefined) {
      const budgets = patch.modelMaxBudget;
      return this.db.transaction().execute(async (trx) => {
        const row = await this.updateRow(trx, id, patch, at);
        if (!row) return undefined;
        await this.setModelBudgets(id, budgets, trx, at);
        return (await this.withModelBudgets([toKeyRecord(row)], trx))[0];
      });
    }
    const row = await this.updateRow(this.db, id, patch, at);
    return row && (await this.withModelBudgets([toKeyRecord(row)]))[0];
  }

  private updateRow(db: Kysely<Database>, id: string, patch: KeyUpdate, at: Date): Promise<ApiKeyRow | undefined> {
    return db
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
