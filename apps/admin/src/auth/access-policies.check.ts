import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { PATH_METADATA } from '@nestjs/common/constants';
import { ACCESS_POLICY } from './access.decorator';
import { IS_PUBLIC } from './public.decorator';

/** Every route handler of every controller, with whether it declares an access policy (or is public). */
export function routesWithoutPolicy(discovery: DiscoveryService, scanner: MetadataScanner, reflector: Reflector) {
  const missing: string[] = [];
  for (const wrapper of discovery.getControllers()) {
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance || !wrapper.metatype) continue;
    const proto = Object.getPrototypeOf(instance) as object;
    for (const name of scanner.getAllMethodNames(proto)) {
      const handler = (proto as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
      if (reflector.get(PATH_METADATA, handler) === undefined) continue;
      const targets = [handler, wrapper.metatype];
      if (reflector.getAllAndOverride(IS_PUBLIC, targets) || reflector.getAllAndOverride(ACCESS_POLICY, targets))
        continue;
      missing.push(`${wrapper.metatype.name}.${name}`);
    }
  }
  return missing;
}

/** The admin refuses to start with a route that declares no @Access policy (nor @Public): none is open by mistake. */
@Injectable()
export class AccessPoliciesCheck implements OnModuleInit {
  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
    @Inject(Reflector) private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const missing = routesWithoutPolicy(this.discovery, this.scanner, this.reflector);
    if (missing.length > 0) {
      throw new Error(
        `These admin routes declare no access policy: ${missing.join(', ')}. Add @Access(...) (or @Public()) to each.`,
      );
    }
  }
}
