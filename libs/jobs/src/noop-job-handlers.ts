import 'reflect-metadata';
import { Injectable, type Type } from '@nestjs/common';
import { MetadataScanner } from '@nestjs/core';
import { JOB_NAMES, type JobName } from './job-catalogue';
import { JOB_HANDLER_METADATA, JobHandler, type JobHandlerFn } from './job-handler.decorator';

/** The job names on `provider`'s @JobHandler methods, found as JobRegistry finds them. */
export function jobsHandledBy(provider: Type): string[] {
  const proto = provider.prototype as Record<string, unknown>;
  return new MetadataScanner().getAllMethodNames(proto).flatMap((method) => {
    const name = Reflect.getMetadata(JOB_HANDLER_METADATA, proto[method] as object) as string | undefined;
    return name === undefined ? [] : [name];
  });
}

/**
 * For tests that boot a JobRegistry with only the job providers they test: a provider with a no-op @JobHandler
 * for every catalogued job that none of `supplied` handles, so boot's every-job-has-one-handler check passes.
 * It follows JOB_CATALOGUE, so a new job needs no change to those tests.
 */
export function noopJobHandlers(...supplied: Type[]): Type {
  const handled = new Set(supplied.flatMap(jobsHandledBy));
  @Injectable()
  class NoopJobHandlers {}
  for (const name of JOB_NAMES) {
    if (handled.has(name)) continue;
    // A function of its own per job and per call: the handler metadata is set on the function.
    const descriptor: TypedPropertyDescriptor<JobHandlerFn<JobName>> = {
      value: async () => undefined,
      writable: true,
      configurable: true,
    };
    JobHandler(name)(NoopJobHandlers.prototype, name, descriptor);
    Object.defineProperty(NoopJobHandlers.prototype, name, descriptor);
  }
  return NoopJobHandlers;
}
