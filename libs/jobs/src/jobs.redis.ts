import IORedis, { type Redis } from 'ioredis';

/** A connection as BullMQ workers need it (no per-command retry limit: blocking commands wait). */
export function createJobsRedis(url: string): Redis {
  return new IORedis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}
