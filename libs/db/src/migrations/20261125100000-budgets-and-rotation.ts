import { sql, type Kysely } from 'kysely';

/**
 * Key rotation, per-model key budgets and reusable budgets (issue 10):
 * - api_key_previous_secrets: the hash of a regenerated key's old secret, which keeps authenticating the key until
 *   revoke_at (LiteLLM's grace_period). One row per old secret; rows past revoke_at match nothing.
 * - key_model_budgets: a key's model_max_budget, one row per model with its own spend and period, so the budget
 *   reset jobs and spend settlement treat it as one more budget level (`key_model`, id `<key id>/<model>`).
 * - budgets: LiteLLM's reusable budget objects (/budget/new); end users linked by budget_id take its limits.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('api_key_previous_secrets')
    .addColumn('key_hash', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'uuid', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('revoke_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('api_key_previous_secrets_key_id_idx')
    .on('api_key_previous_secrets')
    .column('key_id')
    .execute();

  await db.schema
    .createTable('key_model_budgets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'uuid', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('max_budget_nanos', 'bigint', (c) => c.notNull().check(sql`max_budget_nanos >= 0`))
    .addColumn('spend_nanos', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('budget_duration', 'text', (c) => c.notNull())
    .addColumn('budget_reset_at', 'timestamptz', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('key_model_budgets_key_model_uq', ['key_id', 'model'])
    .execute();
  await db.schema
    .createIndex('key_model_budgets_budget_reset_at_idx')
    .on('key_model_budgets')
    .column('budget_reset_at')
    .execute();
  // The per-model budgets moved to their own table (spend and period per model); the column held none yet.
  await db.schema.alterTable('api_keys').dropColumn('model_max_budget').execute();

  await db.schema
    .createTable('budgets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('max_budget_nanos', 'bigint', (c) => c.check(sql`max_budget_nanos >= 0`))
    .addColumn('soft_budget_nanos', 'bigint', (c) => c.check(sql`soft_budget_nanos >= 0`))
    .addColumn('budget_duration', 'text')
    .addColumn('rpm_limit', 'integer', (c) => c.check(sql`rpm_limit >= 0`))
    .addColumn('tpm_limit', 'bigint', (c) => c.check(sql`tpm_limit >= 0`))
    .addColumn('max_parallel_requests', 'integer', (c) => c.check(sql`max_parallel_requests >= 0`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .alterTable('end_users')
    .addColumn('budget_id', 'text', (c) => c.references('budgets.id'))
    .execute();
  await db.schema.createIndex('end_users_budget_id_idx').on('end_users').column('budget_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('end_users').dropColumn('budget_id').execute();
  await db.schema.dropTable('budgets').execute();
  await db.schema
    .alterTable('api_keys')
    .addColumn('model_max_budget', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.dropTable('key_model_budgets').execute();
  await db.schema.dropTable('api_key_previous_secrets').execute();
}
