import { Inject, Injectable } from '@nestjs/common';
import type { Kysely } from 'kysely';
import { DB } from '../db.token';
import type { AuditLogRow, Database } from '../database.types';

export interface AuditEntry {
  actor: string;
  action: string;
  entity: string;
  entityId: string | null;
  details?: Record<string, unknown>;
  /** The entity as it was before the change (absent or null for a creation). */
  before?: Record<string, unknown> | null;
  /** The entity as it is after the change (absent or null for a deletion). */
  after?: Record<string, unknown> | null;
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  at: Date;
}

/**
 * Fields never written to the audit log whatever entity they come from: key secrets and their hashes, and
 * anything named like a credential.
 */
const SECRET_FIELD = /^(key|token|key_hash|keyHash|api_key|secret)$|secret|password|credential/i;

/** A copy of `value` without secret fields, at any depth. */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !SECRET_FIELD.test(k))
      .map(([k, v]) => [k, withoutSecrets(v)]),
  );
}

function json(v: Record<string, unknown> | null | undefined): string | null {
  return v == null ? null : JSON.stringify(withoutSecrets(v));
}

function toAuditRecord(row: AuditLogRow): AuditRecord {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    details: row.details,
    before: row.before,
    after: row.after,
  };
}

/** Append-only log of admin actions: who, what, and the entity before and after; never a secret. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(DB) private readonly db: Kysely<Database>) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        actor: entry.actor,
        action: entry.action,
        entity: entry.entity,
        entity_id: entry.entityId,
        details: JSON.stringify(withoutSecrets(entry.details ?? {})),
        before: json(entry.before),
        after: json(entry.after),
      })
      .execute();
  }

  /** Newest first; `before` (an entry's id) pages on from that entry. */
  async list(
    filter: { entity?: string; entityId?: string; actor?: string; before?: string; limit?: number } = {},
  ): Promise<AuditRecord[]> {
    let q = this.db.selectFrom('audit_log').selectAll();
    if (filter.entity !== undefined) q = q.where('entity', '=', filter.entity);
    if (filter.entityId !== undefined) q = q.where('entity_id', '=', filter.entityId);
    if (filter.actor !== undefined) q = q.where('actor', '=', filter.actor);
    if (filter.before !== undefined) {
      const before = filter.before;
      const at = this.db.selectFrom('audit_log').select('at').where('id', '=', before);
      q = q.where((eb) => eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', before)])]));
    }
    const rows = await q
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map(toAuditRecord);
  }
}
