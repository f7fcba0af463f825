/**
 * A reset interval as OpenAI writes it in x-ratelimit-reset-*: `20ms`, `6s`, `1m0s`, `1h2m3s` (whole seconds,
 * rounded up, once past one second).
 */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.ceil(ms))}ms`;
  let s = Math.ceil(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

export interface WindowState {
  limit: number;
  remaining: number;
  resetMs: number;
}

/** OpenAI's rate-limit headers for the tightest request and token windows that apply. */
export function rateLimitHeaders(requests?: WindowState, tokens?: WindowState): Record<string, string> {
  const h: Record<string, string> = {};
  if (requests) {
    h['x-ratelimit-limit-requests'] = String(requests.limit);
    h['x-ratelimit-remaining-requests'] = String(requests.remaining);
    h['x-ratelimit-reset-requests'] = formatReset(requests.resetMs);
  }
  if (tokens) {
    h['x-ratelimit-limit-tokens'] = String(tokens.limit);
    h['x-ratelimit-remaining-tokens'] = String(tokens.remaining);
    h['x-ratelimit-reset-tokens'] = formatReset(tokens.resetMs);
  }
  return h;
}
