import { pickLeast } from './least-busy';
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
  return pickLeast(deployments, (d) => costOf(d) ?? Number.POSITIVE_INFINITY, random, exclude);
}
