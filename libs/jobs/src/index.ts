export * from './job-catalogue';
export * from './job-handler.decorator';
export * from './job-registry.service';
export * from './job-runner.service';
export * from './jobs.tokens';
export * from './jobs.redis';
export * from './jobs.module';
export * from './noop-job-handlers';
