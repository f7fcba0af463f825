import type { GatewayError } from '@switchyard/contracts';
import type { RoutableDeployment } from './model-resolver';

/** OpenRouter's `sort` values. */
export const PROVIDER_SORTS = ['price', 'throughput', 'latency'] as const;
export type ProviderSort = (typeof PROVIDER_SORTS)[number];

/** OpenRouter's provider routing preferences (the request's `provider` object), checked and typed. */
export interface ProviderPreferences {
  /** Provider slugs or deployment ids to try first, in this order. */
  order?: string[];
  /** false: only the deployments `order` names (or, with `sort` and no `order`, only the first by it). */
  allowFallbacks: boolean;
  only?: string[];
  ignore?: string[];
  sort?: ProviderSort;
  /** USD per million tokens. */
  maxPrice?: { prompt?: number; completion?: number };
  /** Only deployments whose provider takes every parameter the request sends. */
  requireParameters: boolean;
}

/**
 * Fields OpenRouter defines that describe its own providers' data policies, quantization and live throughput
 * targets: checked for type, not acted on (a self-hosted gateway knows none of this about its deployments).
 */
const INFORMATIONAL = new Set([
  'data_collection',
  'zdr',
  'enforce_distillable_text',
  'quantizations',
  'preferred_min_throughput',
  'preferred_max_latency',
]);
const ACTED_ON = ['order', 'allow_fallbacks', 'only', 'ignore', 'sort', 'max_price', 'require_parameters'];
/** Slug lists longer than this are refused (each entry is matched against every deployment of a group). */
export const MAX_PROVIDER_SLUGS = 64;

type Parsed = { ok: true; value: ProviderPreferences } | { ok: false; message: string; param: string };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const fail = (param: string, message: string): Parsed => ({ ok: false, param: `provider.${param}`, message });

function slugList(raw: Record<string, unknown>, name: string): string[] | Parsed | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  if (
    !Array.isArray(v) ||
    v.length > MAX_PROVIDER_SLUGS ||
    !v.every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256)
  )
    return fail(
      name,
      `Invalid type for 'provider.${name}': expected an array of at most ${MAX_PROVIDER_SLUGS} provider names or deployment ids (non-empty strings), e.g. ["anthropic", "openai"].`,
    );
  return v as string[];
}

function price(raw: Record<string, unknown>, name: string): number | Parsed | undefined {
  const v = raw[name];
  if (v === undefined || v === null) return undefined;
  // OpenRouter's SDKs send prices as strings ("1000"); its API reference as numbers: both are taken.
  const n = typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0)
    return fail(
      `max_price.${name}`,
      `Invalid value for 'provider.max_price.${name}': expected a non-negative number of USD per million tokens.`,
    );
  return n;
}

/**
 * Checks a request's `provider` object as OpenRouter defines it, so a wrong type is a 400 naming the field
 * rather than a preference silently not applied. Unknown fields are refused too: a misspelt `ordr` would
 * otherwise route as if nothing were asked.
 */
export function parseProviderPreferences(raw: unknown): Parsed {
  if (!isObject(raw))
    return { ok: false, param: 'provider', message: "Invalid type for 'provider': expected an object." };
  for (const key of Object.keys(raw)) {
    if (!ACTED_ON.includes(key) && !INFORMATIONAL.has(key))
      return fail(
        key,
        `Unknown field 'provider.${key}'. Provider preferences take ${[...ACTED_ON, ...INFORMATIONAL].join(', ')}.`,
      );
  }
  const lists: Record<string, string[] | undefined> = {};
  for (const name of ['order', 'only', 'ignore', 'quantizations']) {
    const l = slugList(raw, name);
    if (l !== undefined && !Array.isArray(l)) return l;
    lists[name] = l;
  }
  for (const name of ['allow_fallbacks', 'require_parameters', 'zdr', 'enforce_distillable_text']) {
    const v = raw[name];
    if (v !== undefined && v !== null && typeof v !== 'boolean')
      return fail(name, `Invalid type for 'provider.${name}': expected a boolean.`);
  }
  const dc = raw['data_collection'];
  if (dc !== undefined && dc !== null && dc !== 'allow' && dc !== 'deny')
    return fail('data_collection', 'Invalid value for \'provider.data_collection\': expected "allow" or "deny".');
  for (const name of ['preferred_min_throughput', 'preferred_max_latency']) {
    const v = raw[name];
    if (v !== undefined && v !== null && !(typeof v === 'number' && Number.isFinite(v)) && !isObject(v))
      return fail(name, `Invalid type for 'provider.${name}': expected a number or an object of percentile cutoffs.`);
  }
  let sort: ProviderSort | undefined;
  const rawSort = raw['sort'];
  if (rawSort !== undefined && rawSort !== null) {
    // A string, or OpenRouter's newer `{ by, partition }` form.
    const by = isObject(rawSort) ? rawSort['by'] : rawSort;
    if (typeof by !== 'string' || !(PROVIDER_SORTS as readonly string[]).includes(by))
      return fail(
        'sort',
        `Invalid value for 'provider.sort': expected one of ${PROVIDER_SORTS.map((s) => `"${s}"`).join(', ')} (or { "by": ... }).`,
      );
    sort = by as ProviderSort;
  }
  let maxPrice: ProviderPreferences['maxPrice'];
  const mp = raw['max_price'];
  if (mp !== undefined && mp !== null) {
    if (!isObject(mp))
      return fail(
        'max_price',
        'Invalid type for \'provider.max_price\': expected an object such as { "prompt": 1, "completion": 2 } (USD per million tokens).',
      );
    const prompt = price(mp, 'prompt');
    if (typeof prompt === 'object') return prompt;
    const completion = price(mp, 'completion');
    if (typeof completion === 'object') return completion;
    maxPrice = {
      ...(prompt !== undefined && { prompt }),
      ...(completion !== undefined && { completion }),
    };
  }
  return {
    ok: true,
    value: {
      ...(lists['order'] && { order: lists['order'] }),
      allowFallbacks: raw['allow_fallbacks'] !== false,
      ...(lists['only'] && { only: lists['only'] }),
      ...(lists['ignore'] && { ignore: lists['ignore'] }),
      ...(sort && { sort }),
      ...(maxPrice && { maxPrice }),
      requireParameters: raw['require_parameters'] === true,
    },
  };
}

/** What preferences read of each deployment; the router fills it from the pricing catalogue, state and adapters. */
export interface PreferenceFacts<D> {
  /** True when `slug` names the deployment: its id, or its provider (OpenRouter's slugs included). */
  matches(d: D, slug: string): boolean;
  /** USD per million tokens; undefined when the price is unknown. */
  priceOf(d: D): { prompt: number; completion: number } | undefined;
  /** Recent latency (ms); undefined when never measured. */
  latencyMs(d: D): number | undefined;
  /** The request's parameters the deployment's provider does not take (for require_parameters). */
  unsupportedParams(d: D): readonly string[];
}

export type PreferenceResult<D> =
  | {
      ok: true;
      deployments: D[];
      /** The deployments are in preference order: try them first to last, not by the routing strategy. */
      ordered: boolean;
    }
  | { ok: false; error: GatewayError };

/**
 * Applies a request's provider preferences to a group's deployments: `only`, `ignore`, `require_parameters` and
 * `max_price` narrow them; `order` puts the ones it names first, in its order (and, with `allow_fallbacks: false`,
 * keeps only those); `sort` orders the rest (all of them without `order`) by price (prompt plus completion, from
 * the catalogue), or by recent latency (`latency`, and `throughput`, which Switchyard measures as latency).
 * Deployments with an unknown price never pass `max_price`, and sort last by price; unmeasured ones sort first
 * by latency (so they get measured). When none is left, the error names the preference that removed the last.
 */
export function applyProviderPreferences<D extends RoutableDeployment>(
  deployments: readonly D[],
  prefs: ProviderPreferences,
  facts: PreferenceFacts<D>,
  group: string,
): PreferenceResult<D> {
  let left = [...deployments];
  const narrow = (param: string, why: string, keep: (d: D) => boolean): GatewayError | undefined => {
    const before = left.length;
    left = left.filter(keep);
    if (left.length > 0 || before === 0) return undefined;
    return {
      // This group cannot serve it; another model (fallbacks, the request's `models`) may, as on OpenRouter.
      kind: 'not_found',
      status: 400,
      type: 'invalid_request_error',
      param: `provider.${param}`,
      code: 'no_provider_matches',
      message: `No deployment of model \`${group}\` is left after the request's provider preferences: ${why}. Relax \`provider.${param}\`, or ask for another model.`,
    };
  };
  const anyOf = (list: readonly string[]) => (d: D) => list.some((s) => facts.matches(d, s));
  const error =
    (prefs.only && narrow('only', `none is one of ${prefs.only.join(', ')}`, anyOf(prefs.only))) ||
    (prefs.ignore && narrow('ignore', `every one is in ${prefs.ignore.join(', ')}`, (d) => !anyOf(prefs.ignore!)(d))) ||
    (prefs.requireParameters &&
      narrow(
        'require_parameters',
        `each one's provider refuses one of the parameters sent (${describeUnsupported(left, facts)})`,
        (d) => facts.unsupportedParams(d).length === 0,
      )) ||
    (prefs.maxPrice &&
      narrow('max_price', priceWhy(prefs.maxPrice), (d) => {
        const p = facts.priceOf(d);
        if (p === undefined) return false;
        const { prompt, completion } = prefs.maxPrice!;
        return (prompt === undefined || p.prompt <= prompt) && (completion === undefined || p.completion <= completion);
      })) ||
    (prefs.order &&
      !prefs.allowFallbacks &&
      narrow('order', `allow_fallbacks is false and none is one of ${prefs.order.join(', ')}`, anyOf(prefs.order))) ||
    undefined;
  if (error) return { ok: false, error };
  if (!prefs.order && !prefs.sort) return { ok: true, deployments: left, ordered: false };
  const rank = (d: D) => {
    const i = prefs.order?.findIndex((s) => facts.matches(d, s)) ?? -1;
    return i < 0 ? Number.POSITIVE_INFINITY : i;
  };
  const key = sortKey(prefs.sort, facts);
  // A stable sort: ties keep the config's order.
  const ordered = left
    .map((d, i) => ({ d, i, rank: rank(d), key: key(d) }))
    .sort((a, b) => a.rank - b.rank || a.key - b.key || a.i - b.i)
    .map((x) => x.d);
  if (!prefs.allowFallbacks && !prefs.order) return { ok: true, deployments: ordered.slice(0, 1), ordered: true };
  return { ok: true, deployments: ordered, ordered: true };
}

function sortKey<D>(sort: ProviderSort | undefined, facts: PreferenceFacts<D>): (d: D) => number {
  if (sort === 'price')
    return (d) => {
      const p = facts.priceOf(d);
      return p === undefined ? Number.POSITIVE_INFINITY : p.prompt + p.completion;
    };
  if (sort === 'latency' || sort === 'throughput') return (d) => facts.latencyMs(d) ?? 0;
  return () => 0;
}

function priceWhy(max: NonNullable<ProviderPreferences['maxPrice']>): string {
  const parts = [
    max.prompt !== undefined ? `prompt at most $${max.prompt}` : '',
    max.completion !== undefined ? `completion at most $${max.completion}` : '',
  ].filter(Boolean);
  return `none is priced ${parts.join(' and ') || 'within max_price'} per million tokens (a deployment whose price the catalogue does not know never passes)`;
}

function describeUnsupported<D extends RoutableDeployment>(
  deployments: readonly D[],
  facts: PreferenceFacts<D>,
): string {
  return deployments
    .slice(0, 4)
    .map((d) => `${d.id}: ${facts.unsupportedParams(d).join(', ')}`)
    .join('; ');
}

/** The ordered chooser: the first deployment of the preference order not excluded (cooling down, tried). */
export function pickInOrder<D extends RoutableDeployment>(
  deployments: readonly D[],
  exclude: ReadonlySet<string>,
): D | undefined {
  return deployments.find((d) => !exclude.has(d.id));
}

/** OpenRouter's provider slugs whose LiteLLM provider names differ, so a request written for OpenRouter matches. */
export const OPENROUTER_PROVIDER_SLUGS: Readonly<Record<string, string>> = {
  'google-vertex': 'vertex_ai',
  'google-ai-studio': 'gemini',
  'amazon-bedrock': 'bedrock',
  together: 'together_ai',
  fireworks: 'fireworks_ai',
  'x-ai': 'xai',
  azure: 'azure',
};

/** True when `slug` (case-insensitive) is the deployment's id or names its provider. */
export function matchesProviderSlug(d: { id: string; provider: string }, slug: string): boolean {
  if (slug === d.id) return true;
  const s = slug.toLowerCase();
  const provider = d.provider.toLowerCase();
  return s === provider || OPENROUTER_PROVIDER_SLUGS[s] === provider;
}
