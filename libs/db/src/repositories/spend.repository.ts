import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DB } from '../db.token';
import type { Database } from '../database.types';

export interface SpendEntry {
  requestId: string;
  keyId: string | null;
  teamId: string | null;
  costNanos: bigint;
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
    const unique = new Map<string, SpendEntry>();
    for (const e of entries) if (!unique.has(e.requestId)) unique.set(e.requestId, e);
    if (unique.size === 0) return [];

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
              cost_nanos: e.costNanos.toString(),
            })),
        )
        .onConflict((oc) => oc.column('request_id').doNothing())
        .returning('request_id')
        .execute();

      const keyTotals = new Map<string, bigint>();
      const teamTotals = new Map<string, bigint>();
      for (const { request_id } of inserted) {
        const e = unique.get(request_id)!;
        addTo(keyTotals, e.keyId, e.costNanos);
        addTo(teamTotals, e.teamId, e.costNanos);
      }
      // Locks are taken teams first, then keys, each in id order: the order team deletion uses (the team
      // row, then its keys), so spend and deletion, or two spend batches, can never deadlock.
      for (const [id, amount] of [...teamTotals].sort(([a], [b]) => a.localeCompare(b))) {
        if (amount === 0n) continue;
        await trx
          .updateTable('teams')
          .set({ spend_nanos: sql<string>`spend_nanos + ${amount.toString()}::bigint` })
          .where('id', '=', id)
          .execute();
      }
      for (const [id, amount] of [...keyTotals].sort(([a], [b]) => a.localeCompare(b))) {
        if (amount === 0n) continue;
        await trx
          .updateTable('api_keys')
          .set({ spend_nanos: sql<string>`spend_nanos + ${amount.toString()}::bigint` })
          .where('id', '=', id)
          .execute();
      }
      return inserted.map((r) => r.request_id);
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
