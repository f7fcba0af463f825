import { Inject, Injectable, Logger } from '@nestjs/common';
import { PROVIDER_DEPLOYMENTS, type ResolvedDeployment } from '@switchyard/config';
import type { GatewayError } from '@switchyard/contracts';
import {
  adapterFor,
  createRedactor,
  deploymentSecrets,
  UnsupportedProviderError,
  type ProviderAdapter,
  type UpstreamContext,
} from '@switchyard/providers';

/** A deployment resolved once at boot: its adapter (or why it has none) and what every attempt reuses. */
export interface PreparedDeployment {
  deployment: ResolvedDeployment;
  adapter: ProviderAdapter | undefined;
  /** Set when the deployment cannot be served by this translator. */
  unavailable: GatewayError | undefined;
  ctx: UpstreamContext;
  /** Last upstream URL split into origin and path; adapters build the same URL every time. */
  lastUrl: string;
  origin: string;
  path: string;
}

/** The deployments of this translator's own config, by id. Secrets stay here; only ids cross NATS. */
@Injectable()
export class DeploymentCatalog {
  private readonly logger = new Logger('DeploymentCatalog');
  private readonly byId = new Map<string, PreparedDeployment>();
  /**
   * Masks every secret any deployment was configured with (by value) and every common key shape: applied to
   * each error message and log line that leaves the translator, since a provider may echo what it was sent.
   */
  readonly redact: (text: string) => string;

  constructor(@Inject(PROVIDER_DEPLOYMENTS) deployments: readonly ResolvedDeployment[]) {
    this.redact = createRedactor(deployments.flatMap((d) => deploymentSecrets(d)));
    for (const deployment of deployments) {
      let adapter: ProviderAdapter | undefined;
      let unavailable: GatewayError | undefined;
      try {
        adapter = adapterFor(deployment);
      } catch (e) {
        const message = e instanceof UnsupportedProviderError ? e.message : (e as Error).message;
        unavailable = {
          kind: 'unavailable',
          status: 501,
          type: 'api_error',
          code: 'provider_not_supported',
          param: null,
          message: `A deployment of model '${deployment.modelName}' cannot be served: ${message}.`,
          retryable: true,
          configFault: true,
        };
        this.logger.warn(
          `deployment ${deployment.id} (${deployment.modelName}): ${message}; requests routed to it will fail.`,
        );
      }
      this.byId.set(deployment.id, {
        deployment,
        adapter,
        unavailable,
        ctx: { deploymentId: deployment.id, provider: deployment.provider },
        lastUrl: '',
        origin: '',
        path: '',
      });
    }
  }

  get(id: string): PreparedDeployment | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
