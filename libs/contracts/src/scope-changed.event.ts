import { z } from 'zod';

/**
 * Broadcast when a user or an organisation changes in a way the keys under it are limited by (budget, rate limits,
 * models) or is deleted: every gateway drops the cached keys of that user, or charged to that organisation, and
 * reloads each with the new limits on its next request.
 */
export const ScopeChangedEventSchema = z.object({
  level: z.enum(['user', 'organization']),
  id: z.string(),
  reason: z.enum(['updated', 'deleted']),
});
export type ScopeChangedEvent = z.infer<typeof ScopeChangedEventSchema>;
