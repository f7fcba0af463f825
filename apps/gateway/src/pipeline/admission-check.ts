import type { Deployment } from '@switchyard/config';
import type { ClientApi, GatewayError, RequestSummary } from '@switchyard/contracts';
import type { LimitScope } from '@switchyard/db';
import type { Principal } from '../auth/auth.service';

/** What an admission check sees of a request that passed auth, validation and model access. */
export interface AdmissionContext {
  requestId: string;
  clientApi: ClientApi;
  principal: Principal;
  summary: RequestSummary;
  /** The deployments of the model group the request resolved to (what it may cost). */
  deployments: readonly Deployment[];
  /** The end user the request names, with its limits, when it has a row of its own. */
  endUser?: LimitScope;
  /** Headers for the response, whatever its outcome (x-ratelimit-*). */
  headers: Record<string, string>;
  /** Registers what to do when the request has ended (free parallel slots). */
  onEnd(fn: () => void): void;
}

/** What admission leaves for the rest of the request, admitted or not. */
export interface AdmissionEffects {
  headers: Record<string, string>;
  onEnd: (() => void)[];
}

/**
 * A check every request passes after auth, validation and model access, in registration order: the place
 * rate limits and budget reservations go. A check answers with the error that refuses the request, or
 * undefined to let it through.
 */
export interface AdmissionCheck {
  readonly name: string;
  check(ctx: AdmissionContext): Promise<GatewayError | undefined> | GatewayError | undefined;
}

/** Multi-provider token: the admission checks of this gateway (none yet). */
export const ADMISSION_CHECKS = Symbol('ADMISSION_CHECKS');
