import type { RoutableDeployment } from './model-resolver';

/**
 * LiteLLM's `cost-based-routing`: the deployment whose model costs least per token (input plus output price, as
 * `costOf` gives it from the pricing catalogue), equal ones sharing the load at random. A deployment of unknown
 * price (`costOf` undefined) is chosen only when no priced one is left. Deployments in `exclude` and of weight 0 are
 * skipped; undefined when none is left.
 */
export function pickLowestCost<D extends RoutableDeployment>(
  deployments: readonly D[],
  costOf: (d: D) => number | undefined,
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
): D | undefined {
  let best: D[] = [];
  let least = Number.POSITIVE_INFINITY;
  for (const d of deployments) {
    if (exclude?.has(d.id) || d.weight <= 0) continue;
    const cost = costOf(d) ?? Number.POSITIVE_INFINITY;
    if (cost < least || best.length === 0) {
      least = cost;
      best = [d];
    } else if (cost === least) {
      best.push(d);
    }
  }
  return best.length === 0 ? undefined : best[Math.min(best.length - 1, Math.floor(random() * best.length))];
}
