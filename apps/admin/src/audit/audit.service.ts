import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository } from '@switchyard/db';
import { parseInput } from '../common/parse-input';
import { AuditQuerySchema, type AuditListJson } from './audit.schemas';

/** Reads the audit log of admin changes, newest first, a page at a time. */
@Injectable()
export class AuditService {
  constructor(@Inject(AuditRepository) private readonly audit: AuditRepository) {}

  async list(query: unknown): Promise<AuditListJson> {
    const q = parseInput(AuditQuerySchema, query, 'query');
    const rows = await this.audit.list({
      entity: q.entity,
      entityId: q.entity_id,
      actor: q.actor,
      before: q.cursor,
      limit: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    return {
      data: page.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor: r.actor,
        action: r.action,
        entity: r.entity,
        entity_id: r.entityId,
        details: r.details,
      })),
      next_cursor: rows.length > q.limit ? page.at(-1)!.id : null,
    };
  }
}
