import { sql, type Kysely, type CreateTableBuilder } from 'kysely';

/**
 * Tenancy and limits: organisations, users (global role), team memberships (team role), end users (customers),
 * and the budget and rate-limit columns at every level that has them (key, user, team, organisation, end user).
 * Money is integer nano-USD (bigint) as everywhere; limits are integers; null means "no limit".
 */

// Migrations see the schema as it was when they were written, not today's Database type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

const LIMIT_COLUMNS = [
  ['soft_budget_nanos', 'bigint'],
  ['budget_duration', 'text'],
  ['budget_reset_at', 'timestamptz'],
  ['rpm_limit', 'integer'],
  ['tpm_limit', 'bigint'],
  ['max_parallel_requests', 'integer'],
] as const;

/** max_budget, spend and every limit column, on a table being created. */
function withBudgetAndLimits<T extends string>(t: CreateTableBuilder<T, never>): CreateTableBuilder<T, never> {
  let b = t
    .addColumn('max_budget_nanos', 'bigint', (c) => c.check(sql`max_budget_nanos >= 0`))
    .addColumn('spend_nanos', 'bigint', (c) => c.notNull().defaultTo(0));
  for (const [name, type] of LIMIT_COLUMNS) b = b.addColumn(name, type);
  return withLimitChecks(b);
}

function withLimitChecks<T extends string>(t: CreateTableBuilder<T, never>): CreateTableBuilder<T, never> {
  return t
    .addCheckConstraint('soft_budget_nonneg', sql`soft_budget_nanos >= 0`)
    .addCheckConstraint('rpm_limit_nonneg', sql`rpm_limit >= 0`)
    .addCheckConstraint('tpm_limit_nonneg', sql`tpm_limit >= 0`)
    .addCheckConstraint('max_parallel_nonneg', sql`max_parallel_requests >= 0`);
}

async function addLimitColumns(db: AnyDb, table: string): Promise<void> {
  for (const [name, type] of LIMIT_COLUMNS) {
    await db.schema.alterTable(table).addColumn(name, type).execute();
  }
  await sql`alter table ${sql.table(table)}
    add constraint ${sql.raw(`${table}_soft_budget_nonneg`)} check (soft_budget_nanos >= 0),
    add constraint ${sql.raw(`${table}_rpm_limit_nonneg`)} check (rpm_limit >= 0),
    add constraint ${sql.raw(`${table}_tpm_limit_nonneg`)} check (tpm_limit >= 0),
    add constraint ${sql.raw(`${table}_max_parallel_nonneg`)} check (max_parallel_requests >= 0)`.execute(db);
}

export async function up(db: AnyDb): Promise<void> {
  await withBudgetAndLimits(
    db.schema
      .createTable('organizations')
      .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
      .addColumn('organization_alias', 'text')
      .addColumn('models', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
      .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('deleted_at', 'timestamptz'),
  ).execute();

  // LiteLLM's user_id is chosen by the caller (an email, an SSO subject): text, not uuid.
  await withBudgetAndLimits(
    db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()::text`))
      .addColumn('user_email', 'text')
      .addColumn('user_role', 'text', (c) =>
        c
          .notNull()
          .defaultTo('internal_user')
          .check(sql`user_role in ('proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer')`),
      )
      .addColumn('organization_id', 'uuid', (c) => c.references('organizations.id'))
      .addColumn('models', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
      .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('deleted_at', 'timestamptz'),
  ).execute();
  await db.schema.createIndex('users_organization_id_idx').on('users').column('organization_id').execute();

  await db.schema
    .createTable('organization_members')
    .addColumn('organization_id', 'uuid', (c) => c.notNull().references('organizations.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) =>
      c
        .notNull()
        .defaultTo('member')
        .check(sql`role in ('org_admin', 'member')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('organization_members_pk', ['organization_id', 'user_id'])
    .execute();

  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'uuid', (c) => c.notNull().references('teams.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('role', 'text', (c) =>
      c
        .notNull()
        .defaultTo('user')
        .check(sql`role in ('admin', 'user')`),
    )
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user_id_idx').on('team_members').column('user_id').execute();

  // End users (LiteLLM's customers): the request's `user` field or x-switchyard-end-user, by that string.
  await withBudgetAndLimits(
    db.schema
      .createTable('end_users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('alias', 'text')
      .addColumn('blocked', 'boolean', (c) => c.notNull().defaultTo(false))
      .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
      .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
      .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`)),
  ).execute();

  await db.schema
    .alterTable('teams')
    .addColumn('organization_id', 'uuid', (c) => c.references('organizations.id'))
    .addColumn('blocked', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
  await db.schema.createIndex('teams_organization_id_idx').on('teams').column('organization_id').execute();
  await addLimitColumns(db, 'teams');

  await db.schema
    .alterTable('api_keys')
    .addColumn('user_id', 'text', (c) => c.references('users.id'))
    .addColumn('blocked', 'boolean', (c) => c.notNull().defaultTo(false))
    // LiteLLM's per-model forms: {"gpt-4o": {"budget_limit": "…nanos", "time_period": "1d"}}, {"gpt-4o": 10}.
    .addColumn('model_max_budget', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('model_rpm_limit', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('model_tpm_limit', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('api_keys_user_id_idx').on('api_keys').column('user_id').execute();
  await addLimitColumns(db, 'api_keys');

  // Budgets reset by a job at budget_reset_at: it scans only rows that have one.
  for (const table of ['api_keys', 'teams', 'users', 'organizations', 'end_users']) {
    await db.schema
      .createIndex(`${table}_budget_reset_at_idx`)
      .on(table)
      .column('budget_reset_at')
      .where(sql.ref('budget_reset_at'), 'is not', null)
      .execute();
  }

  // The ledger names every level a request was charged to, so a redelivered event is charged to the same ones.
  await db.schema
    .alterTable('processed_usage')
    .addColumn('user_id', 'text')
    .addColumn('organization_id', 'text')
    .addColumn('end_user', 'text')
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema
    .alterTable('processed_usage')
    .dropColumn('user_id')
    .dropColumn('organization_id')
    .dropColumn('end_user')
    .execute();
  for (const table of ['api_keys', 'teams']) {
    for (const [name] of LIMIT_COLUMNS) await db.schema.alterTable(table).dropColumn(name).execute();
  }
  await db.schema
    .alterTable('api_keys')
    .dropColumn('user_id')
    .dropColumn('blocked')
    .dropColumn('model_max_budget')
    .dropColumn('model_rpm_limit')
    .dropColumn('model_tpm_limit')
    .execute();
  await db.schema.alterTable('teams').dropColumn('organization_id').dropColumn('blocked').execute();
  await db.schema.dropTable('end_users').execute();
  await db.schema.dropTable('team_members').execute();
  await db.schema.dropTable('organization_members').execute();
  await db.schema.dropTable('users').execute();
  await db.schema.dropTable('organizations').execute();
}
