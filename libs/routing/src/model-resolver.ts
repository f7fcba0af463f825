/** The fields of a deployment routing needs; structurally compatible with @switchyard/config's Deployment. */
export interface RoutableDeployment {
  id: string;
  modelName: string;
  /** litellm_params.weight (1 when unset); 0 drains the deployment under every strategy. */
  weight: number;
  /** simple-shuffle's weight within its group (shuffleWeights); `weight` when unset. */
  shuffleWeight?: number;
  /** litellm_params.order: lower orders are tried first. */
  order?: number;
}

export interface ModelCatalog<D extends RoutableDeployment> {
  groups: ReadonlyMap<string, readonly D[]>;
  aliases: Readonly<Record<string, string>>;
}

/**
 * Resolves the model a client asked for into its deployment group: an exact group name first, then a
 * `router_settings.model_group_alias` alias, then wildcard groups (`model_name: "openai/*"`), most
 * specific (longest literal prefix) first. Returns undefined when nothing serves the model.
 */
export function resolveGroup<D extends RoutableDeployment>(
  catalog: ModelCatalog<D>,
  model: string,
): { group: string; deployments: readonly D[] } | undefined {
  const direct = catalog.groups.get(model);
  if (direct?.length) return { group: model, deployments: direct };
  const alias = catalog.aliases[model];
  if (alias !== undefined) {
    const target = catalog.groups.get(alias);
    if (target?.length) return { group: alias, deployments: target };
  }
  let best: { group: string; deployments: readonly D[]; specificity: number } | undefined;
  for (const [name, deployments] of catalog.groups) {
    const star = name.indexOf('*');
    if (star < 0 || deployments.length === 0) continue;
    if (matchesWildcard(name, model) && (!best || star > best.specificity)) {
      best = { group: name, deployments, specificity: star };
    }
  }
  return best && { group: best.group, deployments: best.deployments };
}

/** `*` matches any run of characters, including none and slashes. */
export function matchesWildcard(pattern: string, value: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === value;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first) || !value.endsWith(last) || value.length < first.length + last.length) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = value.indexOf(parts[i]!, pos);
    if (found < 0 || found > value.length - last.length) return false;
    pos = found + parts[i]!.length;
  }
  return pos <= value.length - last.length;
}

/** A model a provider is known to serve (from the price catalogue), to list behind wildcard groups. */
export interface KnownModel {
  name: string;
  provider: string;
}

/** Fields of a deployment needed to list what a wildcard group serves (without them, none is listed). */
export interface WildcardDeployment extends RoutableDeployment {
  model?: string;
  provider?: string;
}

/**
 * Names a caller may see in /v1/models: groups and aliases, and for a wildcard group (`groq/*`, `*`) the known
 * models of its deployments' providers, named as a client asks for them (`groq/llama-3.3-70b-versatile` behind
 * `groq/*`, `gpt-4o` behind `*` → `openai/*`), as LiteLLM lists a provider's known models for its wildcard routes.
 * A wildcard itself is never listed: no client can ask for `*`.
 */
export function listModelNames<D extends WildcardDeployment>(
  catalog: ModelCatalog<D>,
  known: readonly KnownModel[] = [],
): string[] {
  const names = new Set<string>();
  for (const [name, deps] of catalog.groups) {
    if (!deps.length) continue;
    if (!name.includes('*')) {
      names.add(name);
      continue;
    }
    for (const d of deps) {
      const { model, provider } = d;
      if (model === undefined || provider === undefined || !model.includes('*')) continue;
      for (const m of known) {
        if (m.provider !== provider) continue;
        const asked = [m.name, `${m.provider}/${m.name}`].find(
          (candidate) =>
            matchesWildcard(name, candidate) &&
            upstreamModelFor({ modelName: name, model, provider }, candidate) === m.name,
        );
        // Only where the wildcard group is what a request for that name resolves to.
        if (asked !== undefined && resolveGroup(catalog, asked)?.group === name) names.add(asked);
      }
    }
  }
  for (const [alias, target] of Object.entries(catalog.aliases))
    if (catalog.groups.get(target)?.length) names.add(alias);
  return [...names].sort();
}

/** What each `*` of `pattern` matched in `value`, in order; undefined when `value` does not match. */
export function wildcardCaptures(pattern: string, value: string): string[] | undefined {
  if (!pattern.includes('*') || !matchesWildcard(pattern, value)) return undefined;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('(.*)');
  return new RegExp(`^${source}$`, 's').exec(value)?.slice(1);
}

/**
 * The model a deployment sends upstream for a request of `requested`. A deployment whose model is written with
 * `*` (`model: openai/*`, `groq/*`, `*`) sends what the client asked for, as LiteLLM does: the text each `*` of the
 * group's `model_name` matched fills the model's `*`s in order (when the counts differ, every `*` takes the first
 * match); a group that did not match (an alias pointing at a wildcard group) sends the requested model itself.
 * The deployment's provider prefix is then removed (`openai/gpt-4o` on an openai deployment goes out as `gpt-4o`).
 * Other deployments send their own model.
 */
export function upstreamModelFor(
  deployment: { modelName: string; model: string; provider: string },
  requested: string,
): string {
  if (!deployment.model.includes('*')) return deployment.model;
  const captures = wildcardCaptures(deployment.modelName, requested);
  let model: string;
  if (captures === undefined || captures.length === 0) {
    model = requested;
  } else {
    const stars = deployment.model.split('*').length - 1;
    let i = 0;
    model = deployment.model.replace(/\*/g, () => captures[stars === captures.length ? i++ : 0]!);
  }
  const prefix = `${deployment.provider}/`;
  return model.startsWith(prefix) ? model.slice(prefix.length) : model;
}
