import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'switchyard:public';
/** Marks a route reachable without the master key (health checks). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
