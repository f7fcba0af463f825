/**
 * Redis keys of the deployment state the routers share (under the stack's key prefix): written by apps/router,
 * read by apps/admin (GET /v1/deployments). Defined once here so both agree.
 */
export const ROUTING_STATE_KEYS = {
  /** Hash: deployment id → epoch ms its cooldown ends. */
  cooldowns: 'routing:cooldowns',
  /** Counter of one deployment's failures in the current one-minute window. */
  fails: (deploymentId: string) => `routing:fails:${deploymentId}`,
  /** Pub/sub: `<deployment id> <until>` whenever a cooldown starts or grows. */
  channel: 'routing:cooldown',
  /** Sorted set of live routers (score: last sync, epoch ms). */
  routers: 'routing:routers',
  /** Prefix of each router's hash of requests in flight per deployment. */
  inFlight: 'routing:inflight:',
  /**
   * Prefix of each router's hash of recent numbers per deployment: latency (`<id>#s`: sum of samples, `<id>#n`:
   * count) and attempts in about the last minute (`<id>#ok`, `<id>#err`).
   */
  latency: 'routing:latency:',
  /** Hash of one minute's usage per deployment (`<id>#r`: requests, `<id>#t`: tokens), every router adding to it. */
  usage: (minute: number) => `routing:usage:${minute}`,
} as const;

/** A field of the per-deployment state hashes: `<deployment id>#<what>` (`s`, `n`, `ok`, `err`, `r`, `t`). */
export function routingStateField(deploymentId: string, what: string): string {
  return `${deploymentId}#${what}`;
}

/** A routingStateField read back (the id may hold `#` itself: the last one separates); undefined when malformed. */
export function parseRoutingStateField(field: string): { deploymentId: string; what: string } | undefined {
  const at = field.lastIndexOf('#');
  return at <= 0 ? undefined : { deploymentId: field.slice(0, at), what: field.slice(at + 1) };
}
