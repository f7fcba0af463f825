import type { ErrorKind } from '@switchyard/contracts';

/**
 * `router_settings.retry_policy` (and each entry of `model_group_retry_policy`): retries per error class, with
 * LiteLLM's names. An entry wins over `num_retries` for errors of its class, as in LiteLLM.
 */
export interface RetryPolicy {
  BadRequestErrorRetries?: number;
  AuthenticationErrorRetries?: number;
  TimeoutErrorRetries?: number;
  RateLimitErrorRetries?: number;
  ContentPolicyViolationErrorRetries?: number;
  InternalServerErrorRetries?: number;
}

export const RETRY_POLICY_FIELDS = [
  'BadRequestErrorRetries',
  'AuthenticationErrorRetries',
  'TimeoutErrorRetries',
  'RateLimitErrorRetries',
  'ContentPolicyViolationErrorRetries',
  'InternalServerErrorRetries',
] as const satisfies readonly (keyof RetryPolicy)[];

/**
 * LiteLLM's exception class of each error kind, for the retry policy. A context-window error is a BadRequestError
 * in LiteLLM (its subclass), so BadRequestErrorRetries governs it; 5xx, overloaded and unreachable upstreams are
 * its InternalServerError / ServiceUnavailableError family. Kinds without a class take `num_retries`.
 */
export const RETRY_CLASS_OF_KIND: Partial<Record<ErrorKind, keyof RetryPolicy>> = {
  bad_request: 'BadRequestErrorRetries',
  context_window: 'BadRequestErrorRetries',
  auth: 'AuthenticationErrorRetries',
  timeout: 'TimeoutErrorRetries',
  rate_limited: 'RateLimitErrorRetries',
  content_policy: 'ContentPolicyViolationErrorRetries',
  upstream_5xx: 'InternalServerErrorRetries',
  overloaded: 'InternalServerErrorRetries',
  unavailable: 'InternalServerErrorRetries',
  internal: 'InternalServerErrorRetries',
};

/**
 * Kinds the same request would fail with on any deployment: retried only when a retry policy says so. A
 * context-window or content-policy error is a case for the fallbacks, not for retries.
 */
const NOT_RETRIED_BY_DEFAULT: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'bad_request',
  'context_window',
  'content_policy',
  'too_large',
  'client_disconnected',
]);

export interface RetryCountInput {
  kind: ErrorKind;
  /** router_settings.num_retries. */
  numRetries: number;
  /** The request's own `num_retries`. */
  requestNumRetries?: number;
  /** The failed deployment's litellm_params.max_retries. */
  deploymentMaxRetries?: number;
  /** router_settings.retry_policy. */
  retryPolicy?: RetryPolicy;
  /** The entry of router_settings.model_group_retry_policy for the group being tried. */
  groupRetryPolicy?: RetryPolicy;
}

/**
 * How many retries a request gets in its current model group after an error of `kind`: the group's retry policy
 * entry for the error's class, else the router's retry policy entry, else (for errors another attempt may fix) the
 * request's `num_retries`, else the deployment's `max_retries`, else router_settings.num_retries.
 */
export function retriesFor(input: RetryCountInput): number {
  const cls = RETRY_CLASS_OF_KIND[input.kind];
  if (cls !== undefined) {
    const fromPolicy = input.groupRetryPolicy?.[cls] ?? input.retryPolicy?.[cls];
    if (fromPolicy !== undefined) return Math.max(0, fromPolicy);
  }
  if (NOT_RETRIED_BY_DEFAULT.has(input.kind)) return 0;
  return Math.max(0, input.requestNumRetries ?? input.deploymentMaxRetries ?? input.numRetries);
}

export interface BackoffOptions {
  /** First backoff, ms. Default 500 (LiteLLM's initial retry delay). */
  initialMs?: number;
  /** Backoffs never exceed this, ms. Default 8000 (LiteLLM's cap). */
  maxMs?: number;
  /** router_settings.retry_after: the least wait before a retry, ms. Default 0. */
  minMs?: number;
}

/**
 * Exponential backoff with full jitter before retry number `retry` (1 for the first retry): a random wait in
 * [base/2, base] where base = initial × 2^(retry-1), capped, and at least `minMs`. `random` is injectable for tests.
 */
export function backoffMs(retry: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = opts.initialMs ?? 500;
  const max = opts.maxMs ?? 8_000;
  const base = Math.min(max, initial * 2 ** Math.max(0, retry - 1));
  return Math.max(opts.minMs ?? 0, Math.round(base / 2 + (random() * base) / 2));
}

export interface RetryWaitInput {
  /** Retry number (1 for the first retry). */
  retry: number;
  /** The upstream's Retry-After, seconds. */
  retryAfterS?: number;
  /** The retry goes to another deployment than the one that failed: no wait (as LiteLLM retries at once then). */
  otherDeployment: boolean;
  /** When the deployment the retry can go to leaves its cooldown (epoch ms), when it is cooling down. */
  availableAt?: number;
  now: number;
  /** Epoch ms after which nobody waits for the answer. */
  deadline: number;
  /** Time an attempt needs at least to have a chance, ms; a retry that would start later is not made. */
  minAttemptMs?: number;
  backoff?: BackoffOptions;
  random?: () => number;
}

/**
 * How long to wait before a retry, or undefined when the retry would start too late for the request's deadline.
 * The upstream's Retry-After is honoured in full (never shortened by backoff), and so is a cooldown: the wait is
 * the longest of the backoff, the Retry-After and the time until the deployment is available again.
 */
export function retryWaitMs(input: RetryWaitInput): number | undefined {
  let wait = 0;
  if (!input.otherDeployment) {
    wait = backoffMs(input.retry, input.backoff, input.random);
    if (input.retryAfterS !== undefined) wait = Math.max(wait, Math.ceil(input.retryAfterS * 1000));
  }
  if (input.availableAt !== undefined) wait = Math.max(wait, input.availableAt - input.now);
  if (input.now + wait + (input.minAttemptMs ?? 1_000) > input.deadline) return undefined;
  return wait;
}
