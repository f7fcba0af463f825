import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ConfigFileSchema, type ConfigFile } from './config.schema';
import type { Deployment, SwitchyardConfig } from './switchyard-config';

const ENV_REF = 'os.environ/';

export class ConfigError extends Error {}

/** Resolves LiteLLM's `os.environ/NAME` references. A missing variable is an error naming it. */
export function resolveSecret(
  value: string | undefined,
  env: NodeJS.ProcessEnv,
  where: string,
): { value?: string; envName?: string } {
  if (value === undefined) return {};
  if (!value.startsWith(ENV_REF)) return { value };
  const name = value.slice(ENV_REF.length);
  const resolved = env[name];
  if (resolved === undefined || resolved === '') {
    throw new ConfigError(
      `${where} refers to environment variable ${name}, which is not set. Export ${name} or change the config.`,
    );
  }
  return { value: resolved, envName: name };
}

function splitProviderModel(model: string): { provider: string; model: string } {
  const slash = model.indexOf('/');
  // LiteLLM treats a bare model name as OpenAI's.
  if (slash <= 0) return { provider: 'openai', model };
  return { provider: model.slice(0, slash), model: model.slice(slash + 1) };
}

function deploymentId(entry: ConfigFile['model_list'][number], index: number): string {
  if (entry.model_info?.id) return entry.model_info.id;
  const { api_key: _secret, ...params } = entry.litellm_params;
  const digest = createHash('sha256')
    .update(JSON.stringify([entry.model_name, params, index]))
    .digest('hex');
  return `dep-${digest.slice(0, 16)}`;
}

/** Validates a parsed config document and resolves it into the shape the services use. */
export function buildConfig(doc: unknown, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  const parsed = ConfigFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid config:\n${lines.join('\n')}`);
  }
  const file = parsed.data;
  const deployments: Deployment[] = file.model_list.map((entry, index) => {
    const where = `model_list[${index}] (${entry.model_name})`;
    const p = entry.litellm_params;
    const { provider, model } = splitProviderModel(p.model);
    const key = resolveSecret(p.api_key, env, `${where}.litellm_params.api_key`);
    const base = resolveSecret(p.api_base, env, `${where}.litellm_params.api_base`);
    if (base.value !== undefined && !/^https?:\/\//.test(base.value)) {
      throw new ConfigError(`${where}.litellm_params.api_base must be an http(s) URL.`);
    }
    return {
      id: deploymentId(entry, index),
      modelName: entry.model_name,
      provider,
      model,
      apiBase: base.value?.replace(/\/+$/, ''),
      apiKey: key.value,
      apiKeyEnv: key.envName,
      apiVersion: p.api_version,
      organization: p.organization,
      weight: p.weight ?? 1,
      rpm: p.rpm,
      tpm: p.tpm,
      timeoutMs: p.timeout !== undefined ? p.timeout * 1000 : undefined,
      baseModel: typeof entry.model_info?.base_model === 'string' ? entry.model_info.base_model : undefined,
    };
  });
  const ids = new Set<string>();
  for (const d of deployments) {
    if (ids.has(d.id))
      throw new ConfigError(`Two model_list entries share model_info.id "${d.id}"; ids must be unique.`);
    ids.add(d.id);
  }
  const groups = new Map<string, Deployment[]>();
  for (const d of deployments) {
    const list = groups.get(d.modelName) ?? [];
    list.push(d);
    groups.set(d.modelName, list);
  }
  const rs = file.router_settings;
  const aliases: Record<string, string> = {};
  for (const [alias, target] of Object.entries(rs.model_group_alias ?? {})) {
    aliases[alias] = typeof target === 'string' ? target : target.model;
  }
  const master = resolveSecret(file.general_settings.master_key, env, 'general_settings.master_key');
  return {
    deployments,
    groups,
    routerSettings: {
      routingStrategy: rs.routing_strategy,
      numRetries: rs.num_retries,
      timeoutMs: rs.timeout * 1000,
      aliases,
    },
    masterKey: env.SWITCHYARD_MASTER_KEY || master.value,
  };
}

/** Reads and resolves the YAML config at `path`. Errors name the file and what to fix. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  if (!path) return buildConfig({}, env);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read config file ${path} (SWITCHYARD_CONFIG): ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new ConfigError(`Config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
  try {
    return buildConfig(doc, env);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${path}: ${e.message}`);
    throw e;
  }
}

/** The deployment groups and aliases, in the shape routing resolves models against. */
export function modelCatalog(config: SwitchyardConfig): {
  groups: SwitchyardConfig['groups'];
  aliases: SwitchyardConfig['routerSettings']['aliases'];
} {
  return { groups: config.groups, aliases: config.routerSettings.aliases };
}
