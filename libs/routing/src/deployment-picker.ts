import type { CooldownView } from './cooldown-rules';
import type { RoutableDeployment } from './model-resolver';
import { pickWeighted } from './weighted-pick';

export type DeploymentPick<D> =
  | { ok: true; deployment: D }
  /** Every deployment of the group is cooling down; the earliest is available again at `availableAt` (epoch ms). */
  | { ok: false; availableAt: number };

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
    const fresh = choose(deployments, new Set([...cooling, ...tried]));
    if (fresh) return { ok: true, deployment: fresh };
  }
  const any = choose(deployments, cooling);
  if (any) return { ok: true, deployment: any };
  return { ok: false, availableAt: Number.isFinite(availableAt) ? availableAt : now };
}
