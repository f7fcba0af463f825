import { Global, Logger, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { loadEnv, type Env } from './env.schema';
import { loadConfig, loadRoutingConfig } from './load-config';
import type { ResolvedDeployment, SwitchyardConfig } from './switchyard-config';

/** Injection tokens: the validated environment and the resolved YAML config (routing view). */
export const ENV = Symbol('SWITCHYARD_ENV');
export const CONFIG = Symbol('SWITCHYARD_CONFIG');
/** The translator's deployments, provider settings typed and credentials resolved (`readonly ResolvedDeployment[]`). */
export const PROVIDER_DEPLOYMENTS = Symbol('SWITCHYARD_PROVIDER_DEPLOYMENTS');

const envProvider: Provider = { provide: ENV, useFactory: (): Env => loadEnv() };

/** The module withProviderSecrets() returns; its providers are given there. */
@Module({})
class ProviderSecretsConfigModule {}

/**
 * Loads and validates env and config once per process; every service imports this module. It provides
 * the routing view under CONFIG: no provider credential is resolved, so provider variables need not be set.
 */
@Global()
@Module({
  providers: [
    envProvider,
    {
      provide: CONFIG,
      useFactory: (env: Env): SwitchyardConfig => loadRoutingConfig(env.SWITCHYARD_CONFIG),
      inject: [ENV],
    },
  ],
  exports: [ENV, CONFIG],
})
export class ConfigModule {
  /**
   * For the translator only, in place of ConfigModule: the same ENV and CONFIG, plus PROVIDER_DEPLOYMENTS
   * with every provider setting and credential resolved. A missing provider variable fails the boot.
   */
  static withProviderSecrets(): DynamicModule {
    const logger = new Logger('Config');
    return {
      module: ProviderSecretsConfigModule,
      global: true,
      providers: [
        envProvider,
        {
          provide: CONFIG,
          useFactory: (env: Env): SwitchyardConfig<ResolvedDeployment> =>
            loadConfig(env.SWITCHYARD_CONFIG, process.env, { warn: (message) => logger.warn(message) }),
          inject: [ENV],
        },
        {
          provide: PROVIDER_DEPLOYMENTS,
          useFactory: (config: SwitchyardConfig<ResolvedDeployment>): readonly ResolvedDeployment[] =>
            config.deployments,
          inject: [CONFIG],
        },
      ],
      exports: [ENV, CONFIG, PROVIDER_DEPLOYMENTS],
    };
  }
}
