import type { RoutableDeployment } from './model-resolver';

/** What one deployment served in the current minute, across routers. */
export interface MinuteUsage {
  requests: number;
  tokens: number;
}

/** Where usage-based routing reads a deployment's usage in the current minute from. */
export interface UsageView {
  minuteUsage(deploymentId: string): MinuteUsage;
}

/** A deployment's per-minute limits (litellm_params.rpm / tpm). */
export interface LimitedDeployment extends RoutableDeployment {
  rpm?: number;
  tpm?: number;
}

/**
 * Whether a deployment can take one more request of `requestTokens` estimated tokens this minute without going past
 * its `rpm` or `tpm` (unset limits never refuse).
 */
export function fitsMinuteLimits(d: LimitedDeployment, used: MinuteUsage, requestTokens: number): boolean {
  if (d.rpm !== undefined && used.requests + 1 > d.rpm) return false;
  if (d.tpm !== undefined && used.tokens + requestTokens > d.tpm) return false;
  return true;
}

/**
 * LiteLLM's `usage-based-routing-v2`: among the deployments that stay under their `rpm` and `tpm` with this request,
 * the one that used the fewest tokens this minute (ties: fewest requests, then at random). Deployments in `exclude`
 * and of weight 0 are skipped. Undefined when none can take the request this minute.
 */
export function pickLowestUsage<D extends LimitedDeployment>(
  deployments: readonly D[],
  view: UsageView,
  requestTokens: number,
  random: () => number = Math.random,
  exclude?: ReadonlySet<string>,
): D | undefined {
  let best: D[] = [];
  let least: MinuteUsage | undefined;
  for (const d of deployments) {
    if (exclude?.has(d.id) || d.weight <= 0) continue;
    const used = view.minuteUsage(d.id);
    if (!fitsMinuteLimits(d, used, requestTokens)) continue;
    const order = least === undefined ? -1 : used.tokens - least.tokens || used.requests - least.requests;
    if (order < 0) {
      least = used;
      best = [d];
    } else if (order === 0) {
      best.push(d);
    }
  }
  return best.length === 0 ? undefined : best[Math.min(best.length - 1, Math.floor(random() * best.length))];
}

/** Epoch ms at which the minute of `now` ends: when per-minute usage starts again from zero. */
export function minuteEnd(now: number): number {
  return (Math.floor(now / 60_000) + 1) * 60_000;
}

/** A rough token count of a prompt from its characters (about four per token in English), at least 1. */
export function estimateTokens(chars: number): number {
  return Math.max(1, Math.ceil(chars / 4));
}
