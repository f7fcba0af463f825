/** The fields of a deployment routing needs; structurally compatible with @switchyard/config's Deployment. */
export interface RoutableDeployment {
  id: string;
  modelName: string;
  weight: number;
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

/** Names a caller may see in /v1/models: groups (without wildcards) and aliases. */
export function listModelNames<D extends RoutableDeployment>(catalog: ModelCatalog<D>): string[] {
  const names = new Set<string>();
  for (const [name, deps] of catalog.groups) if (deps.length && !name.includes('*')) names.add(name);
  for (const [alias, target] of Object.entries(catalog.aliases))
    if (catalog.groups.get(target)?.length) names.add(alias);
  return [...names].sort();
}
