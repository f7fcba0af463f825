import { sql, type Kysely } from 'kysely';

// Migrations see the schema as it was when they were written, not today's Database type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('teams')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('team_alias', 'text')
    .addColumn('max_budget_nanos', 'bigint', (c) => c.check(sql`max_budget_nanos >= 0`))
    .addColumn('spend_nanos', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('models', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('deleted_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('key_alias', 'text')
    .addColumn('team_id', 'uuid', (c) => c.references('teams.id'))
    .addColumn('models', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'::text[]`))
    .addColumn('max_budget_nanos', 'bigint', (c) => c.check(sql`max_budget_nanos >= 0`))
    .addColumn('spend_nanos', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('metadata', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('expires_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('api_keys_team_id_idx').on('api_keys').column('team_id').execute();
  // The expiry job scans only live keys that have an expiry.
  await db.schema
    .createIndex('api_keys_expires_at_live_idx')
    .on('api_keys')
    .column('expires_at')
    .where(sql.ref('revoked_at'), 'is', null)
    .where(sql.ref('expires_at'), 'is not', null)
    .execute();

  await db.schema
    .createTable('processed_usage')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    // Plain text, no foreign keys: the ledger must accept whatever the event carried.
    .addColumn('key_id', 'text')
    .addColumn('team_id', 'text')
    .addColumn('cost_nanos', 'bigint', (c) => c.notNull())
    .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('processed_usage_processed_at_idx')
    .on('processed_usage')
    .column('processed_at')
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_log_entity_idx').on('audit_log').columns(['entity', 'entity_id']).execute();
  await db.schema.createIndex('audit_log_at_idx').on('audit_log').column('at').execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropTable('processed_usage').execute();
  await db.schema.dropTable('api_keys').execute();
  await db.schema.dropTable('teams').execute();
}
