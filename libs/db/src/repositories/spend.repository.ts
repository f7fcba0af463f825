import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DB } from '../db.token';
import type { Database } from '../database.types';
import { resolveModelBudget } from '../model-budgets';

export interface SpendEntry {
  requestId: string;
  keyId: string | null;
  teamId: string | null;
  userId?: string | null;
  /** The end user (customer) the request named, charged when an end_users row has that id. */
  endUser?: string | null;
  /** The model the request named: charged to the key's model_max_budget entry that governs it, if any. */
  model?: string | null;
  costNanos: bigint;
}

/** A level's spend total after a batch, as Postgres committed it, with the budget period it belongs to. */
export interface SpendTotal {
  level: 'key' | 'key_model' | 'team' | 'user' | 'organization' | 'end_user';
  id: string;
  spendNanos: bigint;
  /** budget_reset_at when the total was read: a total of an older period must not overwrite a newer one. */
  budgetResetAt: Date | null;
  /** What this batch added: with spendNanos, tells whether the batch crossed the soft budget. */
  addedNanos: bigint;
  softBudgetNanos: bigint | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function addTo(totals: Map<string, bigint>, id: string | null, cost: bigint): void {
  // Only uuids can name a row; anything else (or null) is kept in the ledger but matches no key or team.
  if (id === null || !UUID.test(id)) return;
  totals.set(id.toLowerCase(), (totals.get(id.toLowerCase()) ?? 0n) + cost);
}

@Injectable()
export class SpendRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /**
   * In ONE transaction: records each request id in the processed_usage ledger (ON CONFLICT DO
   * NOTHING), then adds the costs of only the newly recorded ids to their key's and team's spend.
   * Returns the newly recorded ids, so a redelivered event is counted once.
   */
  async recordSpend(entries: SpendEntry[]): Promise<string[]> {
    return (await this.recordSpendTotals(entries)).newIds;
  }

  /**
   * recordSpend, also charging users, organisations (the team's, else the user's) and end users, and answering
   * the committed totals of every level it changed: what the Redis budget counters are settled to.
   */
  async recordSpendTotals(entries: SpendEntry[]): Promise<{ newIds: string[]; totals: SpendTotal[] }> {
    const unique = new Map<string, SpendEntry>();
    for (const e of entries) if (!unique.has(e.requestId)) unique.set(e.requestId, e);
    if (unique.size === 0) return { newIds: [], totals: [] };

    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('processed_usage')
        .values(
          [...unique.values()]
            .sort((a, b) => (a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0))
            .map((e) => ({
              request_id: e.requestId,
              key_id: e.keyId,
              team_id: e.teamId,
              user_id: e.userId ?? null,
              end_user: e.endUser ?? null,
              cost_nanos: e.costNanos.toString(),
            })),
        )
        .onConflict((oc) => oc.column('request_id').doNothing())
        .returning('request_id')
        .execute();

      const keyTotals = new Map<string, bigint>();
      const teamTotals = new Map<string, bigint>();
      const userTotals = new Map<string, bigint>();
      const endUserTotals = new Map<string, bigint>();
      const counted: SpendEntry[] = [];
      for (const { request_id } of inserted) {
        const e = unique.get(request_id)!;
        counted.push(e);
        addTo(keyTotals, e.keyId, e.costNanos);
        addTo(teamTotals, e.teamId, e.costNanos);
        if (e.userId) userTotals.set(e.userId, (userTotals.get(e.userId) ?? 0n) + e.costNanos);
        if (e.endUser) endUserTotals.set(e.endUser, (endUserTotals.get(e.endUser) ?? 0n) + e.costNanos);
      }
      const totals: SpendTotal[] = [];
      const total = (
        level: SpendTotal['level'],
        r: { id: string; spend_nanos: string; budget_reset_at: Date | null; soft_budget_nanos: string | null },
        addedNanos: bigint,
      ) =>
        totals.push({
          level,
          id: r.id,
          spendNanos: BigInt(r.spend_nanos),
          budgetResetAt: r.budget_reset_at,
          addedNanos,
          softBudgetNanos: r.soft_budget_nanos === null ? null : BigInt(r.soft_budget_nanos),
        });
      const sorted = (m: Map<string, bigint>) =>
        [...m].filter(([, a]) => a !== 0n).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      // Locks are taken organisations, teams, users, keys, end users, each in id order (team deletion locks the team
      // row, then its keys), so spend and deletion, or two spend batches, can never deadlock. The organisation a
      // request is charged to is its team's, else its user's: read first, without locking.
      const teamOrg = new Map<string, string | null>();
      const userOrg = new Map<string, string | null>();
      if (teamTotals.size > 0) {
        for (const r of await trx
          .selectFrom('teams')
          .select(['id', 'organization_id'])
          .where('id', 'in', [...teamTotals.keys()])
          .execute())
          teamOrg.set(r.id, r.organization_id);
      }
      if (userTotals.size > 0) {
        for (const r of await trx
          .selectFrom('users')
          .select(['id', 'organization_id'])
          .where('id', 'in', [...userTotals.keys()])
          .execute())
          userOrg.set(r.id, r.organization_id);
      }
      const orgTotals = new Map<string, bigint>();
      for (const e of counted) {
        const team = e.teamId?.toLowerCase();
        const org = (team && teamOrg.get(team)) || (e.userId && userOrg.get(e.userId)) || null;
        addTo(orgTotals, org, e.costNanos);
      }
      const returning = ['id', 'spend_nanos', 'budget_reset_at', 'soft_budget_nanos'] as const;
      const add = (amount: bigint) => sql<string>`spend_nanos + ${amount.toString()}::bigint`;
      for (const [id, amount] of sorted(orgTotals)) {
        const r = await trx
          .updateTable('organizations')
          .set({ spend_nanos: add(amount) })
          .where('id', '=', id)
          .returning(returning)
          .executeTakeFirst();
        if (r) total('organization', r, amount);
      }
      for (const [id, amount] of sorted(teamTotals)) {
        const r = await trx
          .updateTable('teams')
          .set({ spend_nanos: add(amount) })
          .where('id', '=', id)
          .returning(returning)
          .executeTakeFirst();
        if (r) total('team', r, amount);
      }
      for (const [id, amount] of sorted(userTotals)) {
        const r = await trx
          .updateTable('users')
          .set({ spend_nanos: add(amount) })
          .where('id', '=', id)
          .returning(returning)
          .executeTakeFirst();
        if (r) total('user', r, amount);
      }
      for (const [id, amount] of sorted(keyTotals)) {
        const r = await trx
          .updateTable('api_keys')
          .set({ spend_nanos: add(amount) })
          .where('id', '=', id)
          .returning(returning)
          .executeTakeFirst();
        if (r) total('key', r, amount);
      }
      // Per-model budgets of the keys charged (model_max_budget), matched as the gateway matched them at admission.
      const keyIds = [...keyTotals.keys()];
      if (keyIds.length > 0) {
        const budgets = await trx
          .selectFrom('key_model_budgets')
          .select(['id', 'key_id', 'model'])
          .where('key_id', 'in', keyIds)
          .execute();
        if (budgets.length > 0) {
          const byKey = new Map<string, { id: string; model: string }[]>();
          for (const b of budgets) byKey.set(b.key_id, [...(byKey.get(b.key_id) ?? []), b]);
          const modelTotals = new Map<string, bigint>();
          for (const e of counted) {
            const of = e.keyId ? byKey.get(e.keyId.toLowerCase()) : undefined;
            const b = of && e.model ? resolveModelBudget(e.model, of) : undefined;
            if (b) modelTotals.set(b.id, (modelTotals.get(b.id) ?? 0n) + e.costNanos);
          }
          for (const [id, amount] of sorted(modelTotals)) {
            const r = await trx
              .updateTable('key_model_budgets')
              .set({ spend_nanos: add(amount) })
              .where('id', '=', id)
              .returning(['id', 'spend_nanos', 'budget_reset_at'])
              .executeTakeFirst();
            if (r) total('key_model', { ...r, soft_budget_nanos: null }, amount);
          }
        }
      }
      for (const [id, amount] of sorted(endUserTotals)) {
        const r = await trx
          .updateTable('end_users')
          .set({ spend_nanos: add(amount) })
          .where('id', '=', id)
          .returning(returning)
          .executeTakeFirst();
        if (r) total('end_user', r, amount);
      }
      return { newIds: inserted.map((r) => r.request_id), totals };
    });
  }

  /**
   * Deletes up to `limit` ledger rows processed before `before`, oldest first, and returns how many went.
   * One short statement (the processed_at index finds them); rows another transaction holds are skipped.
   */
  async pruneProcessedUsage(before: Date, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('processed_usage')
      .where('request_id', 'in', (qb) =>
        qb
          .selectFrom('processed_usage')
          .select('request_id')
          .where('processed_at', '<', before)
          .orderBy('processed_at')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
