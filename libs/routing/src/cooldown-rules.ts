import type { ErrorKind } from '@switchyard/contracts';

/** router_settings' cooldown settings. */
export interface CooldownRules {
  /** Failures a deployment may have within a minute before it cools down (LiteLLM default 3). */
  allowedFails: number;
  /** How long a cooldown lasts when the provider said nothing, ms (LiteLLM default 5 s). */
  cooldownTimeMs: number;
  /** router_settings.disable_cooldowns. */
  disabled?: boolean;
}

export const FAIL_WINDOW_MS = 60_000;

/** Errors that cool a deployment down at once: the provider said to back off, or the deployment cannot serve. */
const IMMEDIATE: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['rate_limited', 'auth', 'not_found', 'timeout']);
const IMMEDIATE_STATUS: ReadonlySet<number> = new Set([401, 404, 408, 429]);

/**
 * Errors of the request rather than of the deployment: they never count against a deployment (another request
 * would succeed there).
 */
const NOT_THE_DEPLOYMENTS_FAULT: ReadonlySet<ErrorKind> = new Set<ErrorKind>([
  'bad_request',
  'context_window',
  'content_policy',
  'too_large',
  'client_disconnected',
]);

export interface DeploymentFailure {
  kind: ErrorKind;
  status: number;
  /** The provider's Retry-After, seconds. */
  retryAfterS?: number;
}

/** Whether a failure counts against the deployment (allowed_fails) at all. */
export function countsAgainstDeployment(f: DeploymentFailure): boolean {
  return !NOT_THE_DEPLOYMENTS_FAULT.has(f.kind);
}

/** Whether a failure cools its deployment down at once (429, 401, 404, timeouts), whatever allowed_fails says. */
export function coolsDownAtOnce(f: DeploymentFailure): boolean {
  return IMMEDIATE.has(f.kind) || IMMEDIATE_STATUS.has(f.status);
}

/**
 * How long a deployment cools down after `failure`, ms, given how many failures it has had in the last minute
 * counting this one; undefined for no cooldown. A 429, 401, 404 or timeout cools it down at once, for the
 * provider's Retry-After when it sent one (as LiteLLM does), else cooldown_time; other deployment failures cool it
 * down for cooldown_time once they are more than allowed_fails within the minute.
 */
export function cooldownMsFor(
  failure: DeploymentFailure,
  failsInWindow: number,
  rules: CooldownRules,
): number | undefined {
  if (rules.disabled || !countsAgainstDeployment(failure)) return undefined;
  if (coolsDownAtOnce(failure)) {
    return failure.retryAfterS !== undefined && failure.retryAfterS > 0
      ? Math.ceil(failure.retryAfterS * 1000)
      : rules.cooldownTimeMs;
  }
  return failsInWindow > rules.allowedFails ? rules.cooldownTimeMs : undefined;
}

/**
 * Failures per deployment in a fixed one-minute window (the window starts at the first failure), as LiteLLM counts
 * allowed_fails. Pure over the times it is given.
 */
export class FailureWindow {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Records a failure at `now`; returns the failures of the current window, this one included. */
  record(deploymentId: string, now: number): number {
    const w = this.windows.get(deploymentId);
    if (!w || now - w.start >= FAIL_WINDOW_MS) {
      this.windows.set(deploymentId, { start: now, count: 1 });
      return 1;
    }
    return ++w.count;
  }

  count(deploymentId: string, now: number): number {
    const w = this.windows.get(deploymentId);
    return w && now - w.start < FAIL_WINDOW_MS ? w.count : 0;
  }

  /** Forgets windows that have ended (call now and then so the map stays small). */
  prune(now: number): void {
    for (const [id, w] of this.windows) if (now - w.start >= FAIL_WINDOW_MS) this.windows.delete(id);
  }
}

/** Where routing reads cooldowns from: the shared view in the router, a map in tests. */
export interface CooldownView {
  /** Epoch ms until which the deployment cools down; 0 (or a past time) when it does not. */
  cooldownUntil(deploymentId: string): number;
}
