export const JOBS_REDIS = Symbol('JOBS_REDIS');
export const JOBS_OPTIONS = Symbol('JOBS_OPTIONS');

export interface JobsOptions {
  /** BullMQ key prefix: SWITCHYARD_REDIS_PREFIX, so stacks and tests sharing one Redis stay apart. */
  prefix: string;
  /** false: only enqueue (no workers, no schedulers). Default true. */
  runWorkers?: boolean;
}
