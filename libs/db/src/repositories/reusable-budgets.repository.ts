import { Inject, Injectable } from '@nestjs/common';
import type { Kysely, Transaction } from 'kysely';
import { DB } from '../db.token';
import type { BudgetRow, Database } from '../database.types';
import { nextBudgetReset } from '../limits';

/** LiteLLM's reusable budget object (/budget/new): limits that end users linked by budget_id take. */
export interface ReusableBudget {
  id: string;
  maxBudgetNanos: bigint | null;
  softBudgetNanos: bigint | null;
  budgetDuration: string | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields a budget is created or changed with (absent: keep; null: no limit). */
export interface ReusableBudgetInput {
  maxBudgetNanos?: bigint | null;
  softBudgetNanos?: bigint | null;
  budgetDuration?: string | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
}

function toBudget(r: BudgetRow): ReusableBudget {
  const big = (v: string | null) => (v === null ? null : BigInt(v));
  return {
    id: r.id,
    maxBudgetNanos: big(r.max_budget_nanos),
    softBudgetNanos: big(r.soft_budget_nanos),
    budgetDuration: r.budget_duration,
    rpmLimit: r.rpm_limit,
    tpmLimit: r.tpm_limit === null ? null : Number(r.tpm_limit),
    maxParallelRequests: r.max_parallel_requests,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function columnsOf(b: ReusableBudgetInput) {
  const big = (v: bigint | null) => (v === null ? null : v.toString());
  return {
    ...(b.maxBudgetNanos !== undefined && { max_budget_nanos: big(b.maxBudgetNanos) }),
    ...(b.softBudgetNanos !== undefined && { soft_budget_nanos: big(b.softBudgetNanos) }),
    ...(b.budgetDuration !== undefined && { budget_duration: b.budgetDuration }),
    ...(b.rpmLimit !== undefined && { rpm_limit: b.rpmLimit }),
    ...(b.tpmLimit !== undefined && { tpm_limit: b.tpmLimit === null ? null : String(b.tpmLimit) }),
    ...(b.maxParallelRequests !== undefined && { max_parallel_requests: b.maxParallelRequests }),
  };
}

/**
 * Reusable budgets and their links to end users. A linked end user's limit columns are the budget's, written when
 * it is linked and whenever the budget changes (in the same transaction), so the gateway and the reset jobs read
 * one place, and spend stays each end user's own.
 */
@Injectable()
export class ReusableBudgetsRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /** Creates the budget; undefined when one with that id exists. */
  async create(id: string, input: ReusableBudgetInput): Promise<ReusableBudget | undefined> {
    const row = await this.db
      .insertInto('budgets')
      .values({ id, ...columnsOf(input) })
      .onConflict((oc) => oc.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row && toBudget(row);
  }

  async get(ids: readonly string[]): Promise<ReusableBudget[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('budgets').selectAll().where('id', 'in', ids).orderBy('id').execute();
    return rows.map(toBudget);
  }

  async list(): Promise<ReusableBudget[]> {
    return (await this.db.selectFrom('budgets').selectAll().orderBy('created_at').orderBy('id').execute()).map(
      toBudget,
    );
  }

  /**
   * Changes the budget and every end user linked to it, in one transaction. A changed budget_duration starts a new
   * period for them now. Undefined when no budget has that id.
   */
  async update(id: string, input: ReusableBudgetInput, at = new Date()): Promise<ReusableBudget | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('budgets')
        .set({ ...columnsOf(input), updated_at: at })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      const budget = toBudget(row);
      await this.applyToEndUsers(trx, budget, input.budgetDuration !== undefined, at);
      return budget;
    });
  }

  /** Deletes the budget: 'linked' (nothing deleted) while end users use it, 'missing' when none has that id. */
  async delete(id: string): Promise<{ deleted: ReusableBudget } | { refused: 'linked'; endUsers: number } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('budgets').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) return undefined;
      const linked = await trx
        .selectFrom('end_users')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('budget_id', '=', id)
        .executeTakeFirstOrThrow();
      if (Number(linked.n) > 0) return { refused: 'linked' as const, endUsers: Number(linked.n) };
      await trx.deleteFrom('budgets').where('id', '=', id).execute();
      return { deleted: toBudget(row) };
    });
  }

  /**
   * Links an end user (created if new) to the budget: it takes the budget's limits, and a budget period that
   * starts now. False when no budget has that id.
   */
  async linkEndUser(
    endUserId: string,
    budgetId: string,
    fields: { alias?: string | null; blocked?: boolean; metadata?: Record<string, unknown> },
    at = new Date(),
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('budgets').selectAll().where('id', '=', budgetId).forShare().executeTakeFirst();
      if (!row) return false;
      const values = {
        ...(fields.alias !== undefined && { alias: fields.alias }),
        ...(fields.blocked !== undefined && { blocked: fields.blocked }),
        ...(fields.metadata !== undefined && { metadata: JSON.stringify(fields.metadata) }),
        budget_id: budgetId,
      };
      await trx
        .insertInto('end_users')
        .values({ id: endUserId, ...values })
        .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updated_at: at }))
        .execute();
      await this.applyToEndUsers(trx, toBudget(row), true, at, endUserId);
      return true;
    });
  }

  /** Writes the budget's limits onto its end users (or one of them); `newPeriod`: budget_reset_at starts now. */
  private async applyToEndUsers(
    trx: Transaction<Database>,
    b: ReusableBudget,
    newPeriod: boolean,
    at: Date,
    only?: string,
  ): Promise<void> {
    let q = trx
      .updateTable('end_users')
      .set({
        max_budget_nanos: b.maxBudgetNanos?.toString() ?? null,
        soft_budget_nanos: b.softBudgetNanos?.toString() ?? null,
        budget_duration: b.budgetDuration,
        rpm_limit: b.rpmLimit,
        tpm_limit: b.tpmLimit === null ? null : String(b.tpmLimit),
        max_parallel_requests: b.maxParallelRequests,
        ...(newPeriod && {
          budget_reset_at: b.budgetDuration === null ? null : nextBudgetReset(b.budgetDuration, at),
        }),
        updated_at: at,
      })
      .where('budget_id', '=', b.id);
    if (only !== undefined) q = q.where('id', '=', only);
    await q.execute();
  }
}
