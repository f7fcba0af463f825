import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  JOB_CATALOGUE,
  JOB_NAMES,
  isJobName,
  type JobDefinition,
  type JobName,
  type JobPayload,
  type QueueName,
} from './job-catalogue';
import { JobRegistry } from './job-registry.service';
import { JOBS_OPTIONS, JOBS_REDIS, type JobsOptions } from './jobs.tokens';

/**
 * Runs the catalogued jobs: one BullMQ Worker per queue that dispatches by job name to the registered
 * handler, and a job scheduler for each repeating job (idempotent across instances: BullMQ keeps one
 * scheduler per id, so N replicas still run a sweep once per period). Payloads are validated before the
 * handler runs; a failed job is retried with exponential backoff, then kept as failed.
 */
@Injectable()
export class JobRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('JobRunner');
  private readonly queues = new Map<QueueName, Queue>();
  private readonly workers: Worker[] = [];

  constructor(
    @Inject(JobRegistry) private readonly registry: JobRegistry,
    @Inject(JOBS_REDIS) private readonly redis: Redis,
    @Inject(JOBS_OPTIONS) private readonly opts: JobsOptions,
  ) {}

  private queue(name: QueueName): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.redis, prefix: this.opts.prefix });
      this.queues.set(name, q);
    }
    return q;
  }

  /**
   * Enqueues one catalogued job (validated against its payload schema). With a `jobId`, adding a job whose id
   * BullMQ still holds (waiting, delayed, running or kept as done) adds nothing: duplicates from several
   * instances collapse. `delayMs` runs it that much later.
   */
  async enqueue<N extends JobName>(
    name: N,
    payload: JobPayload<N>,
    opts: { jobId?: string; delayMs?: number } = {},
  ): Promise<string | undefined> {
    const def = JOB_CATALOGUE[name];
    const data = def.payload.parse(payload);
    const job = await this.queue(def.queue).add(name, data, {
      ...(opts.jobId !== undefined && { jobId: opts.jobId }),
      ...(opts.delayMs !== undefined && opts.delayMs > 0 && { delay: Math.ceil(opts.delayMs) }),
      attempts: def.attempts,
      backoff: { type: 'exponential', delay: def.backoffMs },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    return job.id;
  }

  /**
   * Runs a catalogued job every `everyMs` from now on (a job scheduler: one per job name, shared by every instance),
   * for jobs whose period comes from the config; `everyMs` undefined removes the schedule (a setting turned off).
   */
  async schedule(name: JobName, everyMs: number | undefined): Promise<void> {
    const def: JobDefinition = JOB_CATALOGUE[name];
    const queue = this.queue(def.queue);
    if (everyMs === undefined) {
      await queue.removeJobScheduler(name);
      return;
    }
    await queue.upsertJobScheduler(
      name,
      { every: everyMs },
      {
        name,
        data: {},
        opts: {
          attempts: def.attempts,
          backoff: { type: 'exponential', delay: def.backoffMs },
          removeOnComplete: 100,
          removeOnFail: 1000,
        },
      },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.opts.runWorkers === false) return;
    const queueNames = new Set(JOB_NAMES.map((n) => JOB_CATALOGUE[n].queue));
    for (const queueName of queueNames) {
      const worker = new Worker(queueName, (job) => this.run(job), {
        // BullMQ opens its own blocking connection from this one and leaves ours for us to close.
        connection: this.redis,
        prefix: this.opts.prefix,
        concurrency: 1,
      });
      worker.on('failed', (job, err) => {
        const attempt = job?.attemptsMade ?? 0;
        const max = job?.opts.attempts ?? 1;
        this.logger.error(
          `Job ${job?.name ?? '?'} (${job?.id ?? '?'}) failed, attempt ${attempt}/${max}: ${err.message}${attempt < max ? ' (will retry)' : ''}`,
        );
      });
      worker.on('error', (err) =>
        this.logger.error(`BullMQ worker on queue ${queueName}: ${err.message}. Check Redis at REDIS_URL.`),
      );
      this.workers.push(worker);
    }
    for (const name of JOB_NAMES) {
      const def: JobDefinition = JOB_CATALOGUE[name];
      if (def.repeatEveryMs !== undefined) await this.schedule(name, def.repeatEveryMs);
    }
    this.logger.log(`Job workers running on ${[...queueNames].join(', ')} (prefix ${this.opts.prefix})`);
  }

  private async run(job: Job): Promise<unknown> {
    if (!isJobName(job.name)) throw new Error(`Job '${job.name}' is not in JOB_CATALOGUE; it cannot be run.`);
    const def = JOB_CATALOGUE[job.name];
    const parsed = def.payload.safeParse(job.data);
    if (!parsed.success) {
      throw new Error(
        `Job '${job.name}' payload is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return this.registry.get(job.name).fn(parsed.data, { jobId: job.id ?? '', attempt: job.attemptsMade + 1 });
  }

  async onApplicationShutdown(): Promise<void> {
    // Workers first: close() waits for the running job to finish.
    await Promise.allSettled(this.workers.map((w) => w.close()));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    await this.redis.quit().catch(() => undefined);
  }
}
