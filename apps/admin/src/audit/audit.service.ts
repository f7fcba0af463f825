import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository, type AuditEntry } from '@switchyard/db';
import { actorOf } from '../auth/caller';
import { currentRequest } from '../auth/request-context';
import { parseInput } from '../common/parse-input';
import { AuditQuerySchema, type AuditListJson } from './audit.schemas';

/** Records every admin change (who, what, before, after) and reads the log back, newest first, a page at a time. */
@Injectable()
export class AuditService {
  constructor(@Inject(AuditRepository) private readonly audit: AuditRepository) {}

  /**
   * One admin change, by the caller of the request being served (master_key, or user:<id>). `before` and `after`
   * are the entity's public form around the change (null for a creation or a deletion); secret fields are dropped
   * by the repository whatever the entity.
   */
  record(entry: Omit<AuditEntry, 'actor'>): Promise<void> {
    return this.audit.record({ ...entry, actor: actorOf(currentRequest().caller) });
  }

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
        before: r.before,
        after: r.after,
      })),
      next_cursor: rows.length > q.limit ? page.at(-1)!.id : null,
    };
  }
}
