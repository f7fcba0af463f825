import type { ErrorKind } from '@switchyard/contracts';

/** What a provider said about a failure, as far as an adapter could read it. */
export interface UpstreamFailureHint {
  /** The provider's error code (`context_length_exceeded`, `content_filter`, ...). */
  code?: string;
  /** The provider's error type (`invalid_request_error`, `overloaded_error`, ...). */
  type?: string;
  message?: string;
  /** The body was the provider's own error envelope (not a proxy's HTML page, say). */
  shaped?: boolean;
}

const CONTEXT_CODES = new Set(['context_length_exceeded', 'string_above_max_length', 'context_window_exceeded']);
const CONTEXT_TEXT =
  /context[ _-]?(length|window)|maximum context|prompt is too long|input is too long|too many (input )?tokens|exceeds the (model's )?max(imum)? (context|input)/i;
const POLICY_CODES = new Set(['content_filter', 'content_policy_violation', 'content_policy', 'safety', 'blocked']);
const POLICY_TEXT = /content[ _-]?(management )?(policy|filter)|flagged by (our|the) safety|responsible ai policy/i;
const OVERLOADED_TEXT = /overloaded/i;

/**
 * The one place that decides what kind of failure an upstream HTTP reply is, for every adapter: routing
 * acts on the kind (retry elsewhere, fall back to a larger context window, cool the deployment down), and
 * each client API renders it in its own envelope.
 */
export function classifyUpstream(status: number, hint: UpstreamFailureHint = {}): ErrorKind {
  const code = hint.code?.toLowerCase();
  const type = hint.type?.toLowerCase();
  const text = hint.message ?? '';
  if (status === 529 || type === 'overloaded_error' || (status === 503 && OVERLOADED_TEXT.test(text)))
    return 'overloaded';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status === 413) return 'too_large';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'upstream_5xx';
  // 402 (the account behind the deployment has no credit) and a 404 that is not the provider's envelope (a
  // wrong api_base answered by a web server) are the operator's to fix: this deployment cannot serve.
  if (status === 402 || (status === 404 && hint.shaped === false)) return 'unavailable';
  if (status >= 400) {
    if ((code !== undefined && CONTEXT_CODES.has(code)) || CONTEXT_TEXT.test(text)) return 'context_window';
    if ((code !== undefined && POLICY_CODES.has(code)) || POLICY_TEXT.test(text)) return 'content_policy';
    if (status === 404) return 'not_found';
    return 'bad_request';
  }
  return 'upstream_5xx';
}

/**
 * Whether another deployment may succeed where this one failed with `kind`: the request itself was fine.
 * Context-window and content-policy failures are retryable only on a different model (a fallback), which
 * is routing's decision; they are not retryable on the same model group.
 */
export function isRetryableKind(kind: ErrorKind): boolean {
  switch (kind) {
    case 'rate_limited':
    case 'timeout':
    case 'upstream_5xx':
    case 'unavailable':
    case 'overloaded':
    case 'auth':
    case 'internal':
      return true;
    default:
      return false;
  }
}
