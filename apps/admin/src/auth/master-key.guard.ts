import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { HttpRequest } from '../common/http.types';
import { Errors } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';
import { IS_PUBLIC } from './public.decorator';
import { MASTER_KEY_DIGEST, digest } from './master-key.provider';

/** Every admin route needs `Authorization: Bearer <master key>`, unless marked @Public(). */
@Injectable()
export class MasterKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(MASTER_KEY_DIGEST) private readonly expected: Buffer,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const header = context.switchToHttp().getRequest<HttpRequest>().headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) {
      throw new ApiException(
        Errors.unauthorized('Missing master key. Send it as "Authorization: Bearer <master key>".'),
      );
    }
    // Comparing digests keeps the comparison constant-time whatever the length of the guess.
    if (!timingSafeEqual(digest(match[1]!), this.expected)) {
      throw new ApiException(
        Errors.unauthorized('Invalid master key. Check SWITCHYARD_MASTER_KEY (or general_settings.master_key).'),
      );
    }
    return true;
  }
}
