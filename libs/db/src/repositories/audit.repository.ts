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
}

export interface AuditRecord extends Required<AuditEntry> {
  id: string;
  at: Date;
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
  };
}

/** Append-only log of admin actions. */
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
        details: JSON.stringify(entry.details ?? {}),
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
