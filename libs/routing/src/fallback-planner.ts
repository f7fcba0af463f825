import type { ErrorKind } from '@switchyard/contracts';

/** router_settings' fallback settings, lists keyed by model group (LiteLLM writes them as `[{group: [...]}]`). */
export interface FallbackSettings {
  fallbacks: Readonly<Record<string, readonly string[]>>;
  contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  contentPolicyFallbacks: Readonly<Record<string, readonly string[]>>;
  /** Groups tried after any group that has no `fallbacks` of its own. */
  defaultFallbacks: readonly string[];
  /** Most fallback groups one request may try (LiteLLM default 5). */
  maxFallbacks: number;
}

export interface FallbackInput {
  /** The group the request resolved to first. */
  original: string;
  /** Groups this request has tried already (the original included). */
  tried: ReadonlySet<string>;
  /** Fallback groups used so far (the depth of the current one). */
  used: number;
  kind: ErrorKind;
  /** The request's own list of models to try after `model` (OpenRouter's `models`, LiteLLM's `fallbacks`). */
  requestModels?: readonly string[];
  /** The request's `disable_fallbacks`. */
  disabled?: boolean;
}

/** Errors of the request itself: no other model does better (a context window or content policy error may). */
const NO_FALLBACK: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['bad_request', 'too_large', 'client_disconnected']);

/**
 * The candidates to fall back to after the current group failed with `kind`, in order, as LiteLLM picks them: a
 * request's own list replaces the configured ones; else `context_window_fallbacks` on a context-window error and
 * `content_policy_fallbacks` on a content-policy error when the original group has some, else its `fallbacks`,
 * else `default_fallbacks`.
 */
export function fallbackCandidates(settings: FallbackSettings, input: FallbackInput): readonly string[] {
  if (input.disabled || NO_FALLBACK.has(input.kind)) return [];
  if (input.requestModels && input.requestModels.length > 0) return input.requestModels;
  const g = input.original;
  if (input.kind === 'context_window' && settings.contextWindowFallbacks[g]?.length)
    return settings.contextWindowFallbacks[g]!;
  if (input.kind === 'content_policy' && settings.contentPolicyFallbacks[g]?.length)
    return settings.contentPolicyFallbacks[g]!;
  return settings.fallbacks[g] ?? settings.defaultFallbacks;
}

/**
 * The next model to fall back to, or undefined when none is left: the first candidate not tried yet, within
 * max_fallbacks. `resolve` maps a candidate to the group it resolves to (undefined when nothing serves it: skipped).
 */
export function nextFallback(
  settings: FallbackSettings,
  input: FallbackInput,
  resolve: (model: string) => string | undefined,
): { model: string; group: string } | undefined {
  if (input.used >= settings.maxFallbacks) return undefined;
  for (const model of fallbackCandidates(settings, input)) {
    const group = resolve(model);
    if (group !== undefined && !input.tried.has(group)) return { model, group };
  }
  return undefined;
}
