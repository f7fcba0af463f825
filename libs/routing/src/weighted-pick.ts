import type { RoutableDeployment } from './model-resolver';

/** What a deployment declares that simple-shuffle weighs by (LiteLLM's `weight`, `rpm`, `tpm`). */
export interface ShuffleInputs {
  /** litellm_params.weight as written; undefined when the entry sets none. */
  weight?: number;
  rpm?: number;
  tpm?: number;
}

/**
 * LiteLLM's simple-shuffle weights for one group: by `weight` when any deployment of the group sets one, else by
 * `rpm` when any sets one, else by `tpm`, else evenly. A deployment without the value the group is weighted by
 * weighs 0 (it serves only when no deployment of positive weight can: see pickWeighted).
 */
export function shuffleWeights(group: readonly ShuffleInputs[]): number[] {
  for (const field of ['weight', 'rpm', 'tpm'] as const) {
    if (group.some((d) => d[field] !== undefined)) return group.map((d) => Math.max(0, d[field] ?? 0));
  }
  return group.map(() => 1);
}

/** The weight simple-shuffle picks a deployment by: its group's shuffle weight, else its own `weight`. */
export function shuffleWeightOf(d: RoutableDeployment): number {
  return d.shuffleWeight ?? d.weight;
}

/**
 * Weighted random choice ("simple-shuffle" in LiteLLM): each deployment is chosen with probability
 * weight / sum of weights. `random` is injectable so tests are deterministic. Deployments in `exclude`
 * (already tried, cooling down) and those whose own `weight` is 0 (drained by the operator) are skipped. When
 * only deployments of shuffle weight 0 are left (a group weighted by rpm, and these set none), one of them is
 * chosen evenly, so the group still serves when the others cannot. Returns undefined when none is left.
 */
export function pickWeighted<D extends RoutableDeployment>(
  deployments: readonly D[],
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
  weightOf: (d: D) => number = shuffleWeightOf,
): D | undefined {
  let total = 0;
  let zeros = 0;
  const usable = (d: D) => !exclude?.has(d.id) && d.weight > 0;
  for (const d of deployments) {
    if (!usable(d)) continue;
    const w = weightOf(d);
    if (w > 0) total += w;
    else zeros++;
  }
  if (total <= 0) {
    if (zeros === 0) return undefined;
    let k = Math.min(zeros - 1, Math.floor(random() * zeros));
    for (const d of deployments) if (usable(d) && k-- === 0) return d;
    return undefined;
  }
  let point = random() * total;
  let last: D | undefined;
  for (const d of deployments) {
    if (!usable(d)) continue;
    const w = weightOf(d);
    if (!(w > 0)) continue;
    last = d;
    point -= w;
    if (point < 0) return d;
  }
  // Floating-point rounding can leave point at ~0 after the loop: the last candidate takes it.
  return last;
}
