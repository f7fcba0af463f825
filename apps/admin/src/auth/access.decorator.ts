import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { AccessPolicy, Source } from './access.policy';

export const ACCESS_POLICY = 'switchyard:access';

/**
 * Declares who may call the route (see AccessPolicy); every admin route has one, or is @Public(). The OpenAPI
 * document shows it as `x-switchyard-access`.
 */
export const Access = (policy: AccessPolicy): MethodDecorator =>
  applyDecorators(SetMetadata(ACCESS_POLICY, policy), ApiExtension('x-switchyard-access', policy));

/** Where the route names its entity: a path parameter, a body field or a query parameter. */
export const inParam = (field: string): Source => ({ in: 'param', field });
export const inBody = (field: string): Source => ({ in: 'body', field });
export const inQuery = (field: string): Source => ({ in: 'query', field });
