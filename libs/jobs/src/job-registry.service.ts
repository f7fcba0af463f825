import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { JOB_NAMES, type JobName } from './job-catalogue';
import { JOB_HANDLER_METADATA } from './job-handler.decorator';

export interface FoundHandler {
  name: string;
  /** "ClassName.method", for messages. */
  owner: string;
  fn: (payload: unknown, meta: { jobId: string; attempt: number }) => Promise<unknown>;
}

/** Pairs catalogued jobs with handlers; throws one error listing every missing, duplicate or unknown handler. */
export function buildHandlerMap(
  found: FoundHandler[],
  catalogue: readonly string[] = JOB_NAMES,
): Map<string, FoundHandler> {
  const problems: string[] = [];
  const byName = new Map<string, FoundHandler[]>();
  for (const h of found) byName.set(h.name, [...(byName.get(h.name) ?? []), h]);
  for (const [name, handlers] of byName) {
    if (!catalogue.includes(name))
      problems.push(
        `@JobHandler('${name}') on ${handlers.map((h) => h.owner).join(', ')} names a job that is not in JOB_CATALOGUE (libs/jobs).`,
      );
    else if (handlers.length > 1)
      problems.push(
        `Job '${name}' has ${handlers.length} handlers (${handlers.map((h) => h.owner).join(', ')}); keep exactly one.`,
      );
  }
  for (const name of catalogue) {
    if (!byName.has(name))
      problems.push(
        `Job '${name}' is in JOB_CATALOGUE but no provider has @JobHandler('${name}'); add one to a module this app imports.`,
      );
  }
  if (problems.length > 0) throw new Error(`Job handlers do not match the catalogue:\n  ${problems.join('\n  ')}`);
  return new Map([...byName].map(([name, [h]]) => [name, h]));
}

/** Finds @JobHandler methods on every provider at module init and checks them against the catalogue. */
@Injectable()
export class JobRegistry implements OnModuleInit {
  private handlers = new Map<string, FoundHandler>();

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const found: FoundHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const name = Reflect.getMetadata(JOB_HANDLER_METADATA, fn) as string | undefined;
        if (name === undefined) continue;
        found.push({
          name,
          owner: `${instance.constructor.name}.${method}`,
          fn: fn.bind(instance) as FoundHandler['fn'],
        });
      }
    }
    this.handlers = buildHandlerMap(found);
  }

  get(name: JobName): FoundHandler {
    const h = this.handlers.get(name);
    if (!h) throw new Error(`No handler for job '${name}': JobRegistry has not initialised.`);
    return h;
  }
}
