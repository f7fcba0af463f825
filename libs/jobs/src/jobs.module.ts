import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ENV, type Env } from '@switchyard/config';
import { JobRegistry } from './job-registry.service';
import { JobRunner } from './job-runner.service';
import { createJobsRedis } from './jobs.redis';
import { JOBS_OPTIONS, JOBS_REDIS, type JobsOptions } from './jobs.tokens';

/**
 * BullMQ on REDIS_URL with prefix SWITCHYARD_REDIS_PREFIX. Apps importing this must provide a
 * @JobHandler for every catalogued job, or boot fails.
 */
@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: JOBS_REDIS, useFactory: (env: Env) => createJobsRedis(env.REDIS_URL), inject: [ENV] },
    {
      provide: JOBS_OPTIONS,
      useFactory: (env: Env): JobsOptions => ({ prefix: env.SWITCHYARD_REDIS_PREFIX }),
      inject: [ENV],
    },
    JobRegistry,
    JobRunner,
  ],
  exports: [JobRunner, JobRegistry, JOBS_REDIS, JOBS_OPTIONS],
})
export class JobsModule {}
