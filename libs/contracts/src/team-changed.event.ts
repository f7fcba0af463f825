import { z } from 'zod';

/**
 * Broadcast when a team changes in a way its keys' authorisation depends on (its models): every gateway
 * drops the team's keys from its cache, and reloads each with the team on its next request.
 */
export const TeamChangedEventSchema = z.object({
  teamId: z.string(),
  reason: z.enum(['updated']),
});
export type TeamChangedEvent = z.infer<typeof TeamChangedEventSchema>;
