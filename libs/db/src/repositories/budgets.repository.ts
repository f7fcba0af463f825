import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DB } from '../db.token';
import type { Database } from '../database.types';

/** The levels whose budget can reset on a budget_duration, and the table each lives in. */
export const BUDGET_TABLES = {
  key: 'api_keys',
  /** A key's per-model budget (model_max_budget), id `<key id>/<model>`. */
  key_model: 'key_model_budgets',
  team: 'teams',
  user: 'users',
  organization: 'organizations',
  end_user: 'end_users',
} as const;
export type BudgetLevel = keyof typeof BUDGET_TABLES;
export const BUDGET_LEVELS = Object.keys(BUDGET_TABLES) as BudgetLevel[];

/** A budget period that ends at `resetAt` (budget_reset_at) and repeats every `duration`. */
export interface BudgetPeriod {
  level: BudgetLevel;
  id: string;
  duration: string;
  resetAt: Date;
}

/** The column naming each level for people (an alias; a user's email): never a secret. */
const LABEL_COLUMNS = {
  key: 'key_alias',
  key_model: 'model',
  team: 'team_alias',
  user: 'user_email',
  organization: 'organization_alias',
  end_user: 'alias',
} as const;

@Injectable()
export class BudgetsRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /** Budget periods ending at or before `before`, at most `limit` per level, soonest first (the partial index). */
  async periodsEndingBy(before: Date, limit: number): Promise<BudgetPeriod[]> {
    const out: BudgetPeriod[] = [];
    for (const level of BUDGET_LEVELS) {
      const rows = await this.db
        .selectFrom(BUDGET_TABLES[level])
        .select(['id', 'budget_duration', 'budget_reset_at'])
        .where('budget_reset_at', 'is not', null)
        .where('budget_reset_at', '<=', before)
        .where('budget_duration', 'is not', null)
        .orderBy('budget_reset_at')
        .limit(limit)
        .execute();
      for (const r of rows)
        if (r.budget_duration !== null && r.budget_reset_at !== null)
          out.push({ level, id: r.id, duration: r.budget_duration, resetAt: r.budget_reset_at });
    }
    return out;
  }

  /** A level's alias and budgets, as an alert names them (null: no such row). */
  async describe(
    level: BudgetLevel,
    id: string,
  ): Promise<{ alias: string | null; maxBudgetNanos: bigint | null; budgetResetAt: Date | null } | null> {
    const r = await this.db
      .selectFrom(BUDGET_TABLES[level])
      .select([`${LABEL_COLUMNS[level]} as alias`, 'max_budget_nanos', 'budget_reset_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!r) return null;
    return {
      alias: r.alias,
      maxBudgetNanos: r.max_budget_nanos === null ? null : BigInt(r.max_budget_nanos),
      budgetResetAt: r.budget_reset_at,
    };
  }

  /** The period a level is in now and its spend so far (null: no such row, or no budget_duration). */
  async currentPeriod(level: BudgetLevel, id: string): Promise<(BudgetPeriod & { spendNanos: bigint }) | null> {
    const r = await this.db
      .selectFrom(BUDGET_TABLES[level])
      .select(['id', 'budget_duration', 'budget_reset_at', 'spend_nanos'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!r || r.budget_duration === null || r.budget_reset_at === null) return null;
    return {
      level,
      id: r.id,
      duration: r.budget_duration,
      resetAt: r.budget_reset_at,
      spendNanos: BigInt(r.spend_nanos),
    };
  }

  /**
   * Ends `period`: spend returns to zero and budget_reset_at moves to `next`, only if the row is still in that
   * period with that duration (one statement, so a second run, or a duration changed meanwhile, changes nothing).
   * True when this call made the change.
   */
  async endPeriod(period: BudgetPeriod, next: Date): Promise<boolean> {
    const r = await this.db
      .updateTable(BUDGET_TABLES[period.level])
      .set({ spend_nanos: '0', budget_reset_at: next })
      .where('id', '=', period.id)
      // Compared at millisecond precision, as it was read: a row written by SQL may hold microseconds.
      .where(sql`date_trunc('milliseconds', budget_reset_at)`, '=', period.resetAt)
      .where('budget_duration', '=', period.duration)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }
}
