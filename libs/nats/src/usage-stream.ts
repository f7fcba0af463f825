import { jetstreamManager, StorageType, RetentionPolicy, DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Subjects } from '@switchyard/contracts';

/** How long JetStream remembers a usage event's message id to drop a duplicate publish. */
export const USAGE_DUPLICATE_WINDOW_MS = 10 * 60 * 1000;

/**
 * Creates the usage stream if it does not exist (file storage, so events survive restarts), and
 * leaves an existing one as it is. Safe to call from every service at boot, concurrently.
 */
export async function ensureUsageStream(nc: NatsConnection, s: Subjects): Promise<void> {
  const jsm = await jetstreamManager(nc);
  try {
    await jsm.streams.info(s.usageStream);
    return;
  } catch (e) {
    if (!/not found/i.test((e as Error).message)) throw withHint(e as Error);
  }
  try {
    await jsm.streams.add({
      name: s.usageStream,
      subjects: [s.usageRecorded],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: 30 * 24 * 3600 * 1e9,
      duplicate_window: USAGE_DUPLICATE_WINDOW_MS * 1e6,
    });
  } catch (e) {
    // Another service created it between our info() and add(): that is the outcome we wanted.
    if (!/already in use|exists/i.test((e as Error).message)) throw withHint(e as Error);
  }
}

function withHint(e: Error): Error {
  return new Error(`JetStream is not usable: ${e.message}. Start nats-server with -js (JetStream enabled).`);
}
