import type { Deployment } from '@switchyard/config';
import { decodeRoute, H, type FrameMeta } from '@switchyard/contracts';
import type { Msg } from '@nats-io/transport-node';

/** A header value as is when it is printable ASCII, else percent-encoded (Node refuses other bytes in headers). */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/**
 * The response headers that say how a request was routed: `x-switchyard-deployment` (the deployment that
 * answered, or the last one tried when none did), `x-switchyard-model-group` (its group), `x-switchyard-attempts`
 * (attempts made) and `x-switchyard-fallbacks` (how deep in the fallback chain it answered).
 */
export class RouteHeaders {
  private readonly groupOf = new Map<string, string>();

  constructor(deployments: readonly Deployment[]) {
    for (const d of deployments) this.groupOf.set(d.id, d.modelName);
  }

  /** From the first data frame of the attempt that committed (its H.route header). */
  ofFrame(msg: Msg, attempt: number): Record<string, string> {
    const route = decodeRoute(msg.headers?.get(H.route) ?? '');
    return route === undefined ? {} : this.build(route.deploymentId, attempt, route.fallbackDepth);
  }

  /** From the meta of a final frame (`response`, `done`, `error`). */
  ofMeta(meta: FrameMeta | undefined, attempt: number): Record<string, string> {
    const last = meta?.trail?.at(-1);
    const deploymentId = meta?.deploymentId || last?.deploymentId;
    if (meta === undefined || !deploymentId) return {};
    const attempts = Math.max(attempt, meta.attempt ?? 0, last?.attempt ?? 0);
    return this.build(deploymentId, attempts, meta.fallbackDepth ?? 0);
  }

  private build(deploymentId: string, attempts: number, fallbacks: number): Record<string, string> {
    const out: Record<string, string> = {
      'x-switchyard-deployment': headerSafe(deploymentId),
      'x-switchyard-attempts': String(Math.max(1, attempts)),
      'x-switchyard-fallbacks': String(fallbacks),
    };
    const group = this.groupOf.get(deploymentId);
    if (group !== undefined) out['x-switchyard-model-group'] = headerSafe(group);
    return out;
  }
}
