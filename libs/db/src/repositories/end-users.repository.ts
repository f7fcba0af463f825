import { Inject, Injectable } from '@nestjs/common';
import { sql, type Kysely } from 'kysely';
import { DB } from '../db.token';
import type { Database, EndUserRow } from '../database.types';
import { limitColumnsOf, limitScopeOf, type LimitInput, type LimitScope } from '../limits';

/** An end user (LiteLLM's customer): the request's `user` field or x-switchyard-end-user. */
export interface EndUserRecord {
  id: string;
  alias: string | null;
  blocked: boolean;
  /** The reusable budget whose limits it takes (null: its own). */
  budgetId: string | null;
  limits: LimitScope;
  metadata: Record<string, unknown>;
  createdAt: Date;
}

export function toEndUserRecord(row: EndUserRow): EndUserRecord {
  return {
    id: row.id,
    alias: row.alias,
    blocked: row.blocked,
    budgetId: row.budget_id,
    limits: limitScopeOf('end_user', row.id, row),
    metadata: row.metadata,
    createdAt: row.created_at,
  };
}

@Injectable()
export class EndUsersRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  /** Creates the end user, or changes the given fields of the one that exists. */
  async upsert(
    id: string,
    fields: {
      alias?: string | null;
      blocked?: boolean;
      limits?: LimitInput;
      metadata?: Record<string, unknown>;
      /** null: no longer linked to a reusable budget (it keeps the limits it had, as its own). */
      budgetId?: null;
    },
  ): Promise<EndUserRecord> {
    const values = {
      ...(fields.budgetId !== undefined && { budget_id: fields.budgetId }),
      ...(fields.alias !== undefined && { alias: fields.alias }),
      ...(fields.blocked !== undefined && { blocked: fields.blocked }),
      ...limitColumnsOf(fields.limits ?? {}),
      ...(fields.metadata !== undefined && { metadata: JSON.stringify(fields.metadata) }),
    };
    const row = await this.db
      .insertInto('end_users')
      .values({ id, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet({ ...values, updated_at: new Date() }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return toEndUserRecord(row);
  }

  async get(id: string): Promise<EndUserRecord | undefined> {
    const row = await this.db.selectFrom('end_users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toEndUserRecord(row);
  }

  /**
   * Every end user the gateway must act on: blocked, or with a limit or budget. One query the gateway repeats in the
   * background (never per request), so a flood of new `user` values costs nothing.
   */
  async listEnforced(): Promise<EndUserRecord[]> {
    const rows = await this.db
      .selectFrom('end_users')
      .selectAll()
      .where(
        sql<boolean>`blocked or max_budget_nanos is not null or rpm_limit is not null or tpm_limit is not null or max_parallel_requests is not null`,
      )
      .execute();
    return rows.map(toEndUserRecord);
  }
}
