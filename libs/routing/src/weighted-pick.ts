import type { RoutableDeployment } from './model-resolver';

/**
 * Weighted random choice ("simple-shuffle" in LiteLLM): each deployment is chosen with probability
 * weight / sum of weights. `random` is injectable so tests are deterministic. Deployments in `exclude`
 * (already tried, cooling down) are skipped; returns undefined when none is left.
 */
export function pickWeighted<D extends RoutableDeployment>(
  deployments: readonly D[],
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
): D | undefined {
  let total = 0;
  for (const d of deployments) if (!exclude?.has(d.id) && d.weight > 0) total += d.weight;
  if (total <= 0) return undefined;
  let point = random() * total;
  let last: D | undefined;
  for (const d of deployments) {
    if (exclude?.has(d.id) || d.weight <= 0) continue;
    last = d;
    point -= d.weight;
    if (point < 0) return d;
  }
  // Floating-point rounding can leave point at ~0 after the loop: the last candidate takes it.
  return last;
}
