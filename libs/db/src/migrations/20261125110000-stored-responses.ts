import { sql, type Kysely } from 'kysely';

// Migrations see the schema as it was when they were written, not today's Database type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/**
 * Responses kept for the OpenAI Responses API (`store: true`): the request's input items (the whole
 * conversation so far, previous responses expanded) and the Response object, so `previous_response_id`
 * can continue on any provider and `GET /v1/responses/{id}` answers. `owner` scopes a row: `team:<id>` for
 * a key of a team, `key:<id>` for a key without one, `master` for the master key. Rows past `expires_at`
 * are invisible and deleted by the responses.expire-sweep job.
 */
export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('stored_responses')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('input', 'jsonb', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('stored_responses_expires_at').on('stored_responses').column('expires_at').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.dropTable('stored_responses').execute();
}
