import { z } from 'zod';
import { textSchema } from '../common/text.schemas';

export const AuditQuerySchema = z.strictObject({
  entity: textSchema(1, 64).optional().describe('key, team, end_user, ...'),
  entity_id: textSchema(1, 256).optional(),
  actor: textSchema(1, 256).optional(),
  /** An entry's id: the page after it (next_cursor of the previous page). */
  cursor: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type AuditQuery = z.infer<typeof AuditQuerySchema>;

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string().describe('ISO time'),
  actor: z.string().describe("who made the change: master_key, or user:<user id> for a user's virtual key"),
  action: z.string().describe('what was done: key.created, key.revoked, team.updated, ...'),
  entity: z.string(),
  entity_id: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).describe('what changed; never a secret'),
  before: z.record(z.string(), z.unknown()).nullable().describe('the entity before the change; null when created'),
  after: z.record(z.string(), z.unknown()).nullable().describe('the entity after the change; null when deleted'),
});
export type AuditEntryJson = z.infer<typeof AuditEntrySchema>;

export const AuditListSchema = z.object({
  data: z.array(AuditEntrySchema),
  next_cursor: z.string().nullable().describe('pass as `cursor` for the next (older) page; null on the last'),
});
export type AuditListJson = z.infer<typeof AuditListSchema>;
