import { Global, Module } from '@nestjs/common';
import { loadEnv, type Env } from './env.schema';
import { loadConfig } from './load-config';
import type { SwitchyardConfig } from './switchyard-config';

/** Injection tokens: the validated environment and the resolved YAML config. */
export const ENV = Symbol('SWITCHYARD_ENV');
export const CONFIG = Symbol('SWITCHYARD_CONFIG');

/** Loads and validates env and config once per process; every service imports this module. */
@Global()
@Module({
  providers: [
    { provide: ENV, useFactory: (): Env => loadEnv() },
    { provide: CONFIG, useFactory: (env: Env): SwitchyardConfig => loadConfig(env.SWITCHYARD_CONFIG), inject: [ENV] },
  ],
  exports: [ENV, CONFIG],
})
export class ConfigModule {}
