import type { RoutableDeployment } from './model-resolver';

/** Where the least-busy strategy reads load from: requests in flight per deployment, across routers. */
export interface LoadView {
  inFlight(deploymentId: string): number;
}

/**
 * The deployment of lowest `score`, ties broken at random (so equals share the load); deployments in `exclude` and
 * of weight 0 are skipped. An infinite score ranks last but still serves when nothing scores lower. Undefined when
 * none is left. The shape of least-busy and cost-based routing.
 */
export function pickLeast<D extends RoutableDeployment>(
  deployments: readonly D[],
  score: (d: D) => number,
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
): D | undefined {
  let best: D[] = [];
  let least = Number.POSITIVE_INFINITY;
  for (const d of deployments) {
    if (exclude?.has(d.id) || d.weight <= 0) continue;
    const n = score(d);
    if (n < least || best.length === 0) {
      least = n;
      best = [d];
    } else if (n === least) {
      best.push(d);
    }
  }
  return best.length === 0 ? undefined : best[Math.min(best.length - 1, Math.floor(random() * best.length))];
}

/**
 * LiteLLM's `least-busy`: the deployment with the fewest requests in flight, ties broken at random (so equal
 * deployments share the load); deployments in `exclude` and of weight 0 are skipped. Undefined when none is left.
 */
export function pickLeastBusy<D extends RoutableDeployment>(
  deployments: readonly D[],
  load: LoadView,
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
): D | undefined {
  return pickLeast(deployments, (d) => load.inFlight(d.id), random, exclude);
}
