import 'reflect-metadata';
import type { JobName, JobPayload } from './job-catalogue';

export const JOB_HANDLER_METADATA = 'switchyard:job-handler';

export type JobHandlerFn<N extends JobName> = (
  payload: JobPayload<N>,
  meta: { jobId: string; attempt: number },
) => Promise<unknown>;

/**
 * Marks a provider method as the handler of one catalogued job. The JobRegistry finds it at boot, and
 * boot fails if a catalogued job has no handler or two.
 */
export function JobHandler<N extends JobName>(name: N) {
  return <F extends JobHandlerFn<N>>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<F>,
  ): void => {
    Reflect.defineMetadata(JOB_HANDLER_METADATA, name, descriptor.value as object);
    void target;
    void propertyKey;
  };
}
