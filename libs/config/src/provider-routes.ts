import type { ConfigFile } from './config.schema';

type Entry = ConfigFile['model_list'][number];

/** The provider prefix of a litellm_params.model (`openai/gpt-4o` → `openai`), or its custom_llm_provider. */
function providerOf(entry: Entry): string | undefined {
  const custom = entry.litellm_params['custom_llm_provider'];
  if (typeof custom === 'string' && custom !== '') return custom;
  const model = entry.litellm_params['model'];
  const slash = typeof model === 'string' ? model.indexOf('/') : -1;
  return slash > 0 ? (model as string).slice(0, slash) : undefined;
}

/**
 * `router_settings.provider_routes` (Switchyard's own): plain `provider/model` names, served without a model_list
 * entry per model. `true` adds a `<provider>/*` route for every provider the config already calls, with the
 * credentials and settings of its first entry (so `anthropic/claude-3-5-haiku-latest` works wherever an Anthropic key
 * is configured); a list names the providers, and one the config does not call yet takes its key from the
 * environment (OPENAI_API_KEY, ANTHROPIC_API_KEY, ...), read by the translator only. A group the config names
 * `<provider>/*` itself is never replaced. Computed from the config file alone, so every service derives the same
 * routes and deployment ids.
 */
export function providerRoutes(file: ConfigFile): Entry[] {
  const setting = file.router_settings.provider_routes;
  if (setting === undefined || setting === false) return [];
  const firstOf = new Map<string, Entry>();
  for (const entry of file.model_list) {
    const p = providerOf(entry);
    if (p !== undefined && p !== 'fake' && !firstOf.has(p)) firstOf.set(p, entry);
  }
  const providers = setting === true ? [...firstOf.keys()] : setting;
  const taken = new Set(file.model_list.map((e) => e.model_name));
  return providers
    .filter((p) => !taken.has(`${p}/*`))
    .map((p) => {
      const like = firstOf.get(p);
      const params: Record<string, unknown> = { ...(like?.litellm_params ?? {}) };
      // A route serves every model: the entry's own model choices stay with that entry.
      for (const own of ['model', 'custom_llm_provider', 'organization', 'weight', 'order', 'rpm', 'tpm'])
        delete params[own];
      return {
        model_name: `${p}/*`,
        litellm_params: { ...params, model: `${p}/*` },
        model_info: { id: `provider-route:${p}` },
      } as Entry;
    });
}
