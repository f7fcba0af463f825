import { z } from 'zod';

/** BullMQ queues. Queue keys live under the Redis prefix (SWITCHYARD_REDIS_PREFIX), given as BullMQ `prefix`. */
export const QUEUES = {
  /** Periodic housekeeping run by the spend service. */
  maintenance: 'maintenance',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  queue: QueueName;
  payload: S;
  /** Set for jobs that run on a schedule: one job every `everyMs`, whichever instance takes it. */
  repeatEveryMs?: number;
  /** Tries before a job counts as failed; retries back off exponentially from `backoffMs`. */
  attempts: number;
  backoffMs: number;
  description: string;
}

/**
 * Every job Switchyard runs: name → queue, payload schema and retry policy. A job listed here must have
 * exactly one @JobHandler at boot, and nothing can be enqueued that is not listed.
 */
export const JOB_CATALOGUE = {
  'keys.expire-sweep': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    repeatEveryMs: 60_000,
    attempts: 5,
    backoffMs: 2_000,
    description: 'Revokes keys whose expires_at has passed and tells every gateway to drop them.',
  },
  'usage.backlog-check': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    repeatEveryMs: 60_000,
    attempts: 1,
    backoffMs: 1_000,
    description:
      'Warns, then errs, when unprocessed usage events approach the stream bounds (max age deletes them; max bytes refuses publishes).',
  },
  'usage.ledger-prune': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    repeatEveryMs: 10 * 60_000,
    attempts: 3,
    backoffMs: 10_000,
    description:
      'Deletes processed_usage rows older than SWITCHYARD_USAGE_LEDGER_RETENTION_HOURS, in small batches, once no usage event can be redelivered for them.',
  },
  'responses.expire-sweep': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    repeatEveryMs: 10 * 60_000,
    attempts: 3,
    backoffMs: 10_000,
    description:
      'Deletes stored Responses API responses older than SWITCHYARD_RESPONSES_TTL_HOURS (expires_at passed), in small batches.',
  },
  'analytics.rollup': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    repeatEveryMs: 60_000,
    attempts: 3,
    backoffMs: 5_000,
    description:
      'Rolls the usage rows of every hour and day that closed, or received late or redelivered rows, since the last run into the hourly and daily rollups the analytics API reads.',
  },
  'budgets.reset-sweep': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    repeatEveryMs: 60_000,
    attempts: 3,
    backoffMs: 5_000,
    description:
      'Schedules a budgets.reset at the instant of every budget period (budget_duration) ending before the next sweep, and at once for any overdue one.',
  },
  'budgets.reset': {
    queue: QUEUES.maintenance,
    payload: z
      .object({
        level: z.enum(['key', 'key_model', 'team', 'user', 'organization', 'end_user']),
        id: z.string().min(1),
        /** The period's budget_reset_at, epoch ms: the job id, so one period is reset once. */
        resetAtMs: z.number().int(),
      })
      .strict(),
    attempts: 10,
    backoffMs: 1_000,
    description:
      "Ends one budget period: spend back to zero in Postgres and in the Redis budget counter, budget_reset_at to the next period's end.",
  },
  'budgets.soft-budget-alert': {
    queue: QUEUES.maintenance,
    payload: z
      .object({
        level: z.enum(['key', 'key_model', 'team', 'user', 'organization', 'end_user']),
        id: z.string().min(1),
        softBudgetNanos: z.string().regex(/^\d+$/),
        spendNanos: z.string().regex(/^-?\d+$/),
        /** The budget period (budget_reset_at, epoch ms; 0 without one): one alert per crossing per period. */
        periodMs: z.number().int(),
      })
      .strict(),
    // Retried until the webhook answers 2xx: 1 s, 2 s, 4 s, ... (about 3 days in all).
    attempts: 18,
    backoffMs: 1_000,
    description: 'POSTs a soft_budget crossing to WEBHOOK_URL (general_settings.alerting includes "webhook").',
  },
  'reports.spend-report-tick': {
    queue: QUEUES.maintenance,
    payload: z.object({}).strict(),
    // Scheduled at general_settings.spend_report_frequency by SpendReportJobs (JobRunner.schedule), not here.
    attempts: 3,
    backoffMs: 5_000,
    description:
      'Enqueues a reports.spend-report for every spend_report_frequency period that closed since the last one reported.',
  },
  'reports.spend-report': {
    queue: QUEUES.maintenance,
    payload: z
      .object({
        /** The period, epoch ms, [fromMs, toMs): the job id, so one period is reported once. */
        fromMs: z.number().int().nonnegative(),
        toMs: z.number().int().positive(),
      })
      .strict(),
    // Retried until the webhook answers 2xx: 1 s, 2 s, 4 s, ... (about 3 days in all).
    attempts: 18,
    backoffMs: 1_000,
    description: 'POSTs the spend report of one period (total, top teams and keys) to WEBHOOK_URL.',
  },
} as const satisfies Record<string, JobDefinition>;

export type JobName = keyof typeof JOB_CATALOGUE;
export type JobPayload<N extends JobName> = z.infer<(typeof JOB_CATALOGUE)[N]['payload']>;

export const JOB_NAMES = Object.keys(JOB_CATALOGUE) as JobName[];

export function jobDefinition(name: JobName): JobDefinition {
  return JOB_CATALOGUE[name];
}

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOB_CATALOGUE, name);
}
