import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';

/**
 * One page of a table listed newest first (created_at, then id, both descending), starting after the row
 * whose id is `after` (a keyset cursor: stable while rows are added, no offset scan). The table must have
 * `id` and `created_at`; `table` names it for the cursor row's lookup.
 */
export function newestFirstPage<DB, TB extends keyof DB, O>(
  q: SelectQueryBuilder<DB, TB, O>,
  table: 'users' | 'organizations',
  after: string | undefined,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  let page = q;
  if (after !== undefined) {
    const at = sql`(SELECT created_at FROM ${sql.table(table)} WHERE id = ${after})`;
    page = page.where(
      sql<SqlBool>`(${sql.ref('created_at')} < ${at} OR (${sql.ref('created_at')} = ${at} AND ${sql.ref('id')} < ${after}))`,
    );
  }
  return page
    .orderBy(sql`created_at`, 'desc')
    .orderBy(sql`id`, 'desc')
    .limit(limit);
}
