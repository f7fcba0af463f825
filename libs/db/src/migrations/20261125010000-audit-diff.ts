import type { Kysely } from 'kysely';

/** The audit log keeps each admin change's state before and after it (secrets stripped by AuditRepository). */

// Migrations see the schema as it was when they were written, not today's Database type.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('audit_log').addColumn('before', 'jsonb').addColumn('after', 'jsonb').execute();
}

export async function down(db: AnyDb): Promise<void> {
  await db.schema.alterTable('audit_log').dropColumn('before').dropColumn('after').execute();
}
