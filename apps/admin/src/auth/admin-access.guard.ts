import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Errors } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';
import type { HttpRequest } from '../common/http.types';
import { ACCESS_POLICY } from './access.decorator';
import type { AccessPolicy } from './access.policy';
import { AccessService } from './access.service';
import { IS_PUBLIC } from './public.decorator';
import { currentRequest } from './request-context';

/**
 * Every admin route takes the master key, or a virtual key whose user's roles allow the route's @Access policy;
 * @Public() routes (health) take none. A route without a policy is refused to everyone but the master key (and the
 * service refuses to start with one: see AccessPoliciesCheck).
 */
@Injectable()
export class AdminAccessGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(AccessService) private readonly access: AccessService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const caller = await this.access.callerOf(req.headers.authorization);
    currentRequest().caller = caller;
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, targets);
    if (caller.kind === 'master') return true;
    if (policy === undefined || !(await this.access.allows(caller, policy, req))) {
      throw new ApiException(
        Errors.permissionDenied(
          `Your role does not allow ${req.method} ${req.path}: user ${caller.userId} is ${caller.role}` +
            (caller.teams.size > 0 ? `, in ${caller.teams.size} team(s)` : '') +
            '. Ask a proxy admin, or the admin of the team or organisation concerned.',
        ),
      );
    }
    return true;
  }
}
