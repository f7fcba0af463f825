/** The longest a request may ask to wait (`timeout`, `stream_timeout`), seconds: a day. */
export const MAX_REQUEST_TIMEOUT_S = 86_400;

/**
 * A request-level timeout in seconds (LiteLLM's `timeout` / `stream_timeout`, or the `x-switchyard-timeout` header) as
 * ms; undefined when absent; an error message when it is not a positive number of seconds up to a day.
 */
export function readTimeoutSeconds(value: unknown, name: string): number | undefined | { invalid: string } {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > MAX_REQUEST_TIMEOUT_S) {
    return {
      invalid: `Invalid value for '${name}': expected a number of seconds greater than 0 and at most ${MAX_REQUEST_TIMEOUT_S}.`,
    };
  }
  return Math.round(n * 1000);
}
