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
