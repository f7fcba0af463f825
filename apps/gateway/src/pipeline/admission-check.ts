import type { ClientApi, GatewayError, RequestSummary } from '@switchyard/contracts';
import type { Principal } from '../auth/auth.service';

/** What an admission check sees of a request that passed auth, validation and model access. */
export interface AdmissionContext {
  requestId: string;
  clientApi: ClientApi;
  principal: Principal;
  summary: RequestSummary;
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
