import type { CooldownView } from './cooldown-rules';
import type { RoutableDeployment } from './model-resolver';
import { pickWeighted } from './weighted-pick';

export type DeploymentPick<D> =
  | { ok: true; deployment: D }
  /**
   * No deployment of the group can take the request: every one cools down (the earliest is available again at
   * `availableAt`, epoch ms), or, with `atLimits`, the strategy found every one that does not at its rpm / tpm.
   */
  | { ok: false; availableAt: number; atLimits?: boolean };

/** A routing strategy's choice among a group's deployments, skipping those in `exclude`. */
export type Chooser<D> = (deployments: readonly D[], exclude: ReadonlySet<string>) => D | undefined;

/**
 * Picks a deployment of a group for an attempt by the strategy (`choose`; weighted random, simple-shuffle, by
 * default), never one cooling down, and one this request has not tried yet when there is one (`tried`), so a retry
 * goes to another deployment of the group.
 */
export function pickDeployment<D extends RoutableDeployment>(
  deployments: readonly D[],
  view: CooldownView,
  now: number,
  tried: ReadonlySet<string> = new Set(),
  random: () => number = Math.random,
  choose: Chooser<D> = (deps, exclude) => pickWeighted(deps, random, exclude),
): DeploymentPick<D> {
  const cooling = new Set<string>();
  let availableAt = Number.POSITIVE_INFINITY;
  for (const d of deployments) {
    const until = view.cooldownUntil(d.id);
    if (until > now) {
      cooling.add(d.id);
      availableAt = Math.min(availableAt, until);
    }
  }
  if (tried.size > 0) {
    const exclude = new Set([...cooling, ...tried]);
    const fresh = choose(lowestOrder(deployments, exclude), exclude);
    if (fresh) return { ok: true, deployment: fresh };
  }
  const any = choose(lowestOrder(deployments, cooling), cooling);
  if (any) return { ok: true, deployment: any };
  // Nothing cools down, yet the strategy chose none: every deployment is at its rpm / tpm for this minute.
  if (deployments.some((d) => d.weight > 0 && !cooling.has(d.id)))
    return { ok: false, availableAt: Number.isFinite(availableAt) ? availableAt : now, atLimits: true };
  return { ok: false, availableAt: Number.isFinite(availableAt) ? availableAt : now };
}

/**
 * LiteLLM's `order`: the deployments of the lowest order among those not excluded (an unset order comes after every
 * set one), so a group serves from its first-order deployments and moves to the next order only when none of them
 * can take the request. All of them when no deployment sets an order.
 */
export function lowestOrder<D extends RoutableDeployment>(
  deployments: readonly D[],
  exclude: ReadonlySet<string>,
): readonly D[] {
  let lowest = Number.POSITIVE_INFINITY;
  let ordered = false;
  for (const d of deployments) {
    if (d.order === undefined) continue;
    ordered = true;
    if (!exclude.has(d.id) && d.weight > 0 && d.order < lowest) lowest = d.order;
  }
  if (!ordered) return deployments;
  return deployments.filter((d) => (d.order ?? Number.POSITIVE_INFINITY) === lowest);
}
