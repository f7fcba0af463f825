import { SetMetadata } from '@nestjs/common';
import type { AccessPolicy, Source } from './access.policy';

export const ACCESS_POLICY = 'switchyard:access';

/** Declares who may call the route (see AccessPolicy); every admin route has one, or is @Public(). */
export const Access = (policy: AccessPolicy): MethodDecorator & ClassDecorator => SetMetadata(ACCESS_POLICY, policy);

/** Where the route names its entity: a path parameter, a body field or a query parameter. */
export const inParam = (field: string): Source => ({ in: 'param', field });
export const inBody = (field: string): Source => ({ in: 'body', field });
export const inQuery = (field: string): Source => ({ in: 'query', field });
