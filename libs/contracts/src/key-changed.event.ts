import { z } from 'zod';

/** Broadcast when a virtual key is updated or revoked: every gateway drops the hash from its cache. */
export const KeyChangedEventSchema = z.object({
  keyId: z.string(),
  keyHash: z.string(),
  reason: z.enum(['revoked', 'updated', 'deleted']),
});
export type KeyChangedEvent = z.infer<typeof KeyChangedEventSchema>;
