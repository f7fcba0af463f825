/**
 * The body of GET /health/readiness on every HTTP service. `ok` and `degraded` answer 200 (the service can
 * serve, `degraded` with a dependency down that it can do without for now); `unavailable` answers 503.
 */
export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  checks: Record<string, HealthCheckResult>;
}

export interface HealthCheckResult {
  status: 'up' | 'down';
  /** Why it is down and what to check, or a fact worth seeing when it is up. */
  detail?: string;
  /** How long the check took. */
  ms: number;
}

/** A dependency check: resolves (optionally with a detail) when the dependency answers, rejects when it does not. */
export type HealthCheck = () => Promise<string | void>;

/** Time allowed to each check; a probe must answer well within a load balancer's own timeout. */
export const HEALTH_CHECK_TIMEOUT_MS = 2_000;

/**
 * Runs the checks concurrently, each bounded by `timeoutMs`. Never throws: a check that throws, rejects or
 * hangs is reported `down` with its reason.
 */
export async function runHealthChecks(
  checks: Record<string, HealthCheck>,
  timeoutMs = HEALTH_CHECK_TIMEOUT_MS,
): Promise<Record<string, HealthCheckResult>> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]): Promise<[string, HealthCheckResult]> => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const detail = await Promise.race([
          Promise.resolve().then(check),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
        return [name, { status: 'up', ...(detail ? { detail } : {}), ms: Date.now() - started }];
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        return [name, { status: 'down', detail: message.slice(0, 300) || 'unreachable', ms: Date.now() - started }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(entries);
}
