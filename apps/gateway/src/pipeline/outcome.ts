import type { FrameMeta, RequestSummary } from '@switchyard/contracts';
import type { Principal } from '../auth/auth.service';

/** What one request has learnt by the time it ends; becomes its usage event. */
export interface Outcome {
  status: number;
  meta?: FrameMeta;
  errorType?: string;
  /** performance.now() when the first byte went to the client. */
  firstByteAt?: number;
}

/** The request itself: identity, clocks, who asked and what. */
export interface RequestBase {
  requestId: string;
  /** Wall clock at arrival: dates the usage event. */
  startedAt: number;
  /** performance.now() at arrival: durations come from the monotonic clock. */
  t0: number;
  principal?: Principal;
  summary?: RequestSummary;
}

/** Error types that mean the client ended the request (recorded with status 499). */
export const CLIENT_ENDED = new Set(['client_disconnected', 'client_too_slow']);
