import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import {
  PROVIDER_PARAMS_SCHEMAS,
  REQUEST_DEFAULT_KEYS,
  SECRET_FIELDS,
  envFallbacksOf,
  PROVIDER_CREDENTIAL_GROUPS,
  PROVIDER_ENV_FALLBACKS,
  providerFamily,
  type ProviderFamily,
  type ProviderParams,
} from '@switchyard/providers';
import { litellmPriceOverrides, type PriceOverrides } from '@switchyard/pricing';
import { shuffleWeights, type FallbackSettings } from '@switchyard/routing';
import { AutoRouteError, buildAutoRoutes } from './auto-routes.config';
import { ConfigFileSchema, type ConfigFile } from './config.schema';
import { ignoredSettingsWarning } from './litellm-settings';
import { providerRoutes } from './provider-routes';
import { parseLitellmYaml } from './litellm-yaml';
import type { Deployment, ResolvedDeployment, SwitchyardConfig } from './switchyard-config';

const ENV_REF = 'os.environ/';

export class ConfigError extends Error {}

export interface LoadConfigOptions {
  /** Told once per load about what is kept but not acted on (ignored LiteLLM settings, unknown litellm_params fields). */
  warn?: (message: string) => void;
}

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

type Entry = ConfigFile['model_list'][number];
type Params = Record<string, unknown>;

/** What routing acts on: resolved in every view, from the environment too when the file refers to it. */
const ROUTING_FIELDS = ['weight', 'rpm', 'tpm', 'order', 'timeout', 'stream_timeout', 'max_retries'] as const;

/**
 * The order in which litellm_params have always been hashed into a deployment id (then the rest as
 * written). Changing it changes the id of every deployment, and with it usage history and health state.
 */
const ID_FIELD_ORDER = [
  'model',
  'api_base',
  'api_version',
  'weight',
  'rpm',
  'tpm',
  'timeout',
  'stream_timeout',
  'max_retries',
  'organization',
];

function isEnvRef(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENV_REF);
}

function splitProviderModel(model: string, custom: string | undefined): { provider: string; model: string } {
  if (custom !== undefined) {
    return { provider: custom, model: model.startsWith(`${custom}/`) ? model.slice(custom.length + 1) : model };
  }
  const slash = model.indexOf('/');
  // LiteLLM treats a bare model name as OpenAI's.
  if (slash <= 0) return { provider: 'openai', model };
  return { provider: model.slice(0, slash), model: model.slice(slash + 1) };
}

/** A model_list entry with the position it was written at (entries expanded from one share it). */
interface IndexedEntry {
  entry: Entry;
  index: number;
}

/**
 * LiteLLM's multi-organisation form: `organization` given as a list makes one deployment per organisation,
 * in list order, each a copy of the entry with one organisation. LiteLLM gives the copies one id; ids are
 * unique here, so a derived id includes the organisation and a written model_info.id gets `/<organisation>`.
 */
function expandEntries(list: readonly Entry[]): IndexedEntry[] {
  return list.flatMap((entry, index): IndexedEntry[] => {
    const orgs: unknown = entry.litellm_params['organization'];
    if (!Array.isArray(orgs)) return [{ entry, index }];
    const where = `model_list[${index}] (${entry.model_name}).litellm_params.organization`;
    if (orgs.length === 0)
      throw new ConfigError(`${where} is an empty list: name at least one organisation or remove it.`);
    return orgs.map((org, n) => {
      if (typeof org !== 'string' || org === '') {
        throw new ConfigError(`${where}[${n}] must be an organisation id (a string, or os.environ/NAME).`);
      }
      const id = entry.model_info?.id;
      return {
        entry: {
          ...entry,
          litellm_params: { ...entry.litellm_params, organization: org },
          ...(entry.model_info ? { model_info: { ...entry.model_info, ...(id ? { id: `${id}/${org}` } : {}) } } : {}),
        },
        index,
      };
    });
  });
}

/** Derived from the entry as written, without any credential field, so rotating a secret keeps the id. */
function deploymentId(entry: Entry, index: number): string {
  if (entry.model_info?.id) return entry.model_info.id;
  const raw: Params = entry.litellm_params;
  const params: Params = {};
  for (const key of [...ID_FIELD_ORDER, ...Object.keys(raw)]) {
    if (key in params || SECRET_FIELDS.has(key) || raw[key] === undefined) continue;
    params[key] = raw[key];
  }
  const digest = createHash('sha256')
    .update(JSON.stringify([entry.model_name, params, index]))
    .digest('hex');
  return `dep-${digest.slice(0, 16)}`;
}

function familySchema(family: ProviderFamily): z.ZodObject {
  return PROVIDER_PARAMS_SCHEMAS[family];
}

function fieldSchema(family: ProviderFamily, field: string): z.ZodType | undefined {
  return familySchema(family).shape[field];
}

/** An environment value for a typed field: as text when the field takes text, else as JSON ("600", "true"). */
function coerce(schema: z.ZodType | undefined, text: string): unknown {
  if (schema === undefined || schema.safeParse(text).success) return text;
  try {
    const value: unknown = JSON.parse(text);
    return schema.safeParse(value).success ? value : text;
  } catch {
    return text;
  }
}

/** One model_list entry, checked and split into what every view shares. */
interface ParsedEntry {
  where: string;
  raw: Params;
  id: string;
  modelName: string;
  provider: string;
  family: ProviderFamily;
  model: string;
  baseModel?: string;
  mode?: string;
  modelInfo?: Deployment['modelInfo'];
  pricing?: PriceOverrides;
}

/** model_info's LiteLLM price fields (input_cost_per_token, ...): a bad or unsupported one fails the config. */
function priceOverrides(entry: Entry, where: string): PriceOverrides | undefined {
  if (!entry.model_info) return undefined;
  try {
    return litellmPriceOverrides(entry.model_info, `${where}.model_info`);
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
}

function issuesError(where: string, error: z.ZodError, fromEnv: ReadonlyMap<string, string>): ConfigError {
  const lines = error.issues.map((i) => {
    const field = String(i.path[0] ?? '');
    const origin = fromEnv.has(field) ? ` (from environment variable ${fromEnv.get(field)})` : '';
    return `${where}.litellm_params.${i.path.join('.')}: ${i.message}${origin}`;
  });
  return new ConfigError(lines.join('\n'));
}

function parseEntry(entry: Entry, index: number): ParsedEntry {
  const where = `model_list[${index}] (${entry.model_name})`;
  const raw: Params = entry.litellm_params;
  for (const field of ['model', 'custom_llm_provider']) {
    if (isEnvRef(raw[field])) {
      throw new ConfigError(
        `${where}.litellm_params.${field} must be written in the config, not read from the environment.`,
      );
    }
  }
  const custom = typeof raw['custom_llm_provider'] === 'string' ? raw['custom_llm_provider'] : undefined;
  const { provider, model } = splitProviderModel(entry.litellm_params.model, custom);
  const family = providerFamily(provider);
  // Values written in the file are checked in every view, so a typo fails every service alike; values from
  // the environment are checked where they are resolved.
  const literal = Object.fromEntries(Object.entries(raw).filter(([, v]) => !isEnvRef(v)));
  const checked = familySchema(family).loose().safeParse(literal);
  if (!checked.success) throw issuesError(where, checked.error, new Map());
  const baseModel = entry.model_info?.base_model;
  return {
    where,
    raw,
    id: deploymentId(entry, index),
    modelName: entry.model_name,
    provider,
    family,
    model,
    baseModel: typeof baseModel === 'string' ? baseModel : undefined,
    mode: entry.model_info?.mode,
    modelInfo: modelInfoOf(entry.model_info),
    pricing: priceOverrides(entry, where),
  };
}

/** model_info's limits and capabilities in LiteLLM's names, for the pre-call checks; undefined when it states none. */
function modelInfoOf(info: Entry['model_info']): Deployment['modelInfo'] {
  if (!info) return undefined;
  const contextWindow = info.max_input_tokens ?? info.max_tokens;
  const supports: NonNullable<Deployment['modelInfo']>['supports'] = {};
  if (info.supports_function_calling !== undefined) supports.tools = info.supports_function_calling;
  if (info.supports_vision !== undefined) supports.vision = info.supports_vision;
  if (info.supports_response_schema !== undefined) supports.json_schema = info.supports_response_schema;
  if (info.supports_reasoning !== undefined) supports.reasoning = info.supports_reasoning;
  if (contextWindow === undefined && Object.keys(supports).length === 0) return undefined;
  return {
    ...(contextWindow !== undefined && { contextWindow }),
    ...(Object.keys(supports).length > 0 && { supports }),
  };
}

/** Resolves `os.environ/` references of the given fields (all when `only` is undefined); others are left out. */
function resolveFields(
  p: ParsedEntry,
  env: NodeJS.ProcessEnv,
  only: readonly string[] | undefined,
): { values: Params; fromEnv: Map<string, string> } {
  const values: Params = {};
  const fromEnv = new Map<string, string>();
  for (const [field, value] of Object.entries(p.raw)) {
    if (only !== undefined && !only.includes(field)) continue;
    const where = `${p.where}.litellm_params.${field}`;
    if (isEnvRef(value)) {
      const resolved = resolveSecret(value, env, where);
      values[field] = coerce(fieldSchema(p.family, field), resolved.value!);
      fromEnv.set(field, resolved.envName!);
    } else if (field === 'extra_headers' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      values[field] = Object.fromEntries(
        Object.entries(value).map(([header, v]) => [
          header,
          isEnvRef(v) ? resolveSecret(v, env, `${where}.${header}`).value : v,
        ]),
      );
    } else {
      values[field] = value;
    }
  }
  return { values, fromEnv };
}

function checkApiBase(where: string, apiBase: unknown): string | undefined {
  if (apiBase === undefined) return undefined;
  if (typeof apiBase !== 'string' || !/^https?:\/\//.test(apiBase)) {
    throw new ConfigError(`${where}.litellm_params.api_base must be an http(s) URL.`);
  }
  return apiBase.replace(/\/+$/, '');
}

function routingDeployment(p: ParsedEntry, typed: Params): Deployment {
  const num = (field: string): number | undefined => typed[field] as number | undefined;
  const seconds = (field: string): number | undefined => (num(field) !== undefined ? num(field)! * 1000 : undefined);
  return {
    id: p.id,
    modelName: p.modelName,
    provider: p.provider,
    family: p.family,
    model: p.model,
    apiBase: isEnvRef(p.raw['api_base']) ? undefined : checkApiBase(p.where, p.raw['api_base']),
    weight: num('weight') ?? 1,
    // The weight as written, until assemble() turns it into the group's simple-shuffle weight.
    shuffleWeight: num('weight'),
    rpm: num('rpm'),
    tpm: num('tpm'),
    order: num('order'),
    timeoutMs: seconds('timeout'),
    streamTimeoutMs: seconds('stream_timeout'),
    maxRetries: num('max_retries'),
    baseModel: p.baseModel,
    mode: p.mode,
    ...(p.modelInfo && { modelInfo: p.modelInfo }),
    ...(p.pricing && { pricing: p.pricing }),
  };
}

/** The routing view of one entry: routing fields resolved, no provider setting or credential. */
function toRouting(p: ParsedEntry, env: NodeJS.ProcessEnv): Deployment {
  const { values, fromEnv } = resolveFields(p, env, ROUTING_FIELDS);
  const typed = familySchema(p.family).safeParse({ ...values, model: p.raw['model'] });
  if (!typed.success) throw issuesError(p.where, typed.error, fromEnv);
  return routingDeployment(p, typed.data);
}

/**
 * Fills the settings the entry leaves out from the provider's usual environment variables (ANTHROPIC_API_KEY,
 * AZURE_API_BASE, AWS_REGION, ...), as LiteLLM does; recorded in `fromEnv` so errors name the variable.
 */
function applyEnvFallbacks(p: ParsedEntry, env: NodeJS.ProcessEnv, values: Params, fromEnv: Map<string, string>): void {
  const fields = Object.hasOwn(PROVIDER_ENV_FALLBACKS, p.provider)
    ? Object.keys(PROVIDER_ENV_FALLBACKS[p.provider]!)
    : [];
  // A credential the entry configures itself rules out the environment's fallbacks for the other kinds.
  const groups = Object.hasOwn(PROVIDER_CREDENTIAL_GROUPS, p.provider) ? PROVIDER_CREDENTIAL_GROUPS[p.provider]! : [];
  const chosen = groups.find((g) => g.some((f) => values[f] !== undefined));
  const excluded = new Set(chosen === undefined ? [] : groups.filter((g) => g !== chosen).flat());
  for (const field of fields) {
    if (values[field] !== undefined || excluded.has(field)) continue;
    const name = envFallbacksOf(p.provider, field).find((n) => env[n] !== undefined && env[n] !== '');
    if (name === undefined) continue;
    values[field] = coerce(fieldSchema(p.family, field), env[name]!);
    fromEnv.set(field, name);
  }
}

/** The translator's view of one entry: every field resolved and typed; unknown fields kept and reported. */
function toResolved(
  p: ParsedEntry,
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
  globalDropParams: boolean | undefined,
): ResolvedDeployment {
  const { values, fromEnv } = resolveFields(p, env, undefined);
  applyEnvFallbacks(p, env, values, fromEnv);
  // litellm_settings.drop_params is every deployment's default; a deployment's own setting wins.
  if (values['drop_params'] === undefined && globalDropParams !== undefined) values['drop_params'] = globalDropParams;
  const schema = familySchema(p.family);
  const typed = schema.loose().safeParse(values);
  if (!typed.success) throw issuesError(p.where, typed.error, fromEnv);
  const unknown = Object.keys(values).filter((field) => !(field in schema.shape));
  if (unknown.length > 0) {
    warn(
      `${p.where}.litellm_params: ${unknown.join(', ')} ${unknown.length === 1 ? 'is not a setting' : 'are not settings'} ` +
        `Switchyard knows for ${p.family} deployments; kept, but not acted on. Check the spelling if it should be.`,
    );
  }
  const settings: Params = { family: p.family };
  const requestDefaults: Params = {};
  for (const [field, value] of Object.entries(typed.data as Params)) {
    if (field === 'model' || value === undefined) continue;
    if (REQUEST_DEFAULT_KEYS.has(field)) requestDefaults[field] = value;
    else settings[field] = value;
  }
  const text = (field: string): string | undefined =>
    typeof settings[field] === 'string' ? (settings[field] as string) : undefined;
  return {
    ...routingDeployment(p, typed.data as Params),
    apiBase: checkApiBase(p.where, settings['api_base']),
    apiKey: text('api_key'),
    apiKeyEnv: fromEnv.get('api_key'),
    apiVersion: text('api_version'),
    organization: text('organization'),
    params: settings as ProviderParams,
    requestDefaults,
  };
}

function parseFile(doc: unknown): ConfigFile {
  const parsed = ConfigFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`Invalid config:\n${lines.join('\n')}`);
  }
  return parsed.data;
}

function assemble<D extends Deployment>(file: ConfigFile, deployments: D[]): SwitchyardConfig<D> {
  const ids = new Set<string>();
  for (const d of deployments) {
    if (ids.has(d.id))
      throw new ConfigError(`Two model_list entries share model_info.id "${d.id}"; ids must be unique.`);
    ids.add(d.id);
  }
  const groups = new Map<string, D[]>();
  for (const d of deployments) {
    const list = groups.get(d.modelName) ?? [];
    list.push(d);
    groups.set(d.modelName, list);
  }
  for (const list of groups.values()) {
    const weights = shuffleWeights(list.map((d) => ({ weight: d.shuffleWeight, rpm: d.rpm, tpm: d.tpm })));
    list.forEach((d, i) => (d.shuffleWeight = weights[i]));
  }
  const rs = file.router_settings;
  // A group's stream_timeout is the default of its deployments that set none.
  for (const [group, t] of Object.entries(rs.model_group_timeouts ?? {})) {
    if (t.stream_timeout === undefined) continue;
    for (const d of groups.get(group) ?? []) d.streamTimeoutMs ??= t.stream_timeout * 1000;
  }
  if (rs.stream_timeout !== undefined) for (const d of deployments) d.streamTimeoutMs ??= rs.stream_timeout * 1000;
  const aliases: Record<string, string> = {};
  const hiddenAliases: string[] = [];
  for (const [alias, target] of Object.entries(rs.model_group_alias ?? {})) {
    aliases[alias] = typeof target === 'string' ? target : target.model;
    if (typeof target !== 'string' && target.hidden === true) hiddenAliases.push(alias);
  }
  // LiteLLM takes these in litellm_settings too; router_settings wins where both set one.
  const ls = file.litellm_settings ?? {};
  const fallbackMap = (name: string, list: Record<string, string[]>[] | undefined): Record<string, string[]> => {
    const out: Record<string, string[]> = {};
    for (const entry of list ?? []) {
      for (const [group, models] of Object.entries(entry)) {
        if (out[group] !== undefined) throw new ConfigError(`${name} lists the model group "${group}" twice.`);
        out[group] = models;
      }
    }
    return out;
  };
  const fallbacks: FallbackSettings = {
    fallbacks: fallbackMap('fallbacks', rs.fallbacks ?? ls.fallbacks),
    contextWindowFallbacks: fallbackMap(
      'context_window_fallbacks',
      rs.context_window_fallbacks ?? ls.context_window_fallbacks,
    ),
    contentPolicyFallbacks: fallbackMap(
      'content_policy_fallbacks',
      rs.content_policy_fallbacks ?? ls.content_policy_fallbacks,
    ),
    defaultFallbacks: rs.default_fallbacks ?? ls.default_fallbacks ?? [],
    maxFallbacks: rs.max_fallbacks ?? 5,
  };
  return {
    deployments,
    groups,
    routerSettings: {
      routingStrategy: rs.routing_strategy,
      numRetries: rs.num_retries ?? ls.num_retries ?? 0,
      timeoutMs: rs.timeout * 1000,
      groupTimeouts: Object.fromEntries(
        Object.entries(rs.model_group_timeouts ?? {}).map(([group, t]) => [
          group,
          {
            ...(t.timeout !== undefined && { timeoutMs: t.timeout * 1000 }),
            ...(t.stream_timeout !== undefined && { streamTimeoutMs: t.stream_timeout * 1000 }),
          },
        ]),
      ),
      aliases,
      ...(hiddenAliases.length > 0 ? { hiddenAliases } : {}),
      ...(rs.retry_policy ? { retryPolicy: rs.retry_policy } : {}),
      groupRetryPolicy: rs.model_group_retry_policy ?? {},
      minRetryWaitMs: (rs.retry_after ?? 0) * 1000,
      latencyBuffer: rs.routing_strategy_args?.lowest_latency_buffer ?? 0,
      fallbacks,
      cooldowns: {
        allowedFails: rs.allowed_fails ?? ls.allowed_fails ?? 3,
        cooldownTimeMs: (rs.cooldown_time ?? ls.cooldown_time ?? 5) * 1000,
        ...(rs.disable_cooldowns ? { disabled: true } : {}),
      },
      preCallChecks: rs.enable_pre_call_checks === true,
      autoRoutes: autoRoutesOf(rs.auto_routes ?? [], { groups, aliases }),
    },
    masterKeySetting: file.general_settings.master_key,
    alerting: file.general_settings.alerting ?? [],
    ...(file.general_settings.alert_types !== undefined && { alertTypes: file.general_settings.alert_types }),
    ...(file.general_settings.spend_report_frequency !== undefined && {
      spendReportFrequency: file.general_settings.spend_report_frequency,
    }),
  };
}

function autoRoutesOf(...args: Parameters<typeof buildAutoRoutes>): ReturnType<typeof buildAutoRoutes> {
  try {
    return buildAutoRoutes(...args);
  } catch (e) {
    if (e instanceof AutoRouteError) throw new ConfigError(e.message);
    throw e;
  }
}

/**
 * The translator's view of a parsed config document: every deployment with its provider settings typed
 * and its credentials resolved. A missing variable fails, naming it and the model_list entry.
 */
export function buildConfig(
  doc: unknown,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): SwitchyardConfig<ResolvedDeployment> {
  const file = parseFile(doc);
  const warn = options.warn ?? (() => undefined);
  // Named once per boot, by the translator (the one service that loads this view).
  const ignored = ignoredSettingsWarning(doc);
  if (ignored !== undefined) warn(ignored);
  const dropParams = file.litellm_settings?.['drop_params'];
  if (dropParams !== undefined && typeof dropParams !== 'boolean')
    throw new ConfigError('litellm_settings.drop_params must be true or false.');
  const deployments = expandEntries([...file.model_list, ...providerRoutes(file)]).map(({ entry, index }) =>
    toResolved(parseEntry(entry, index), env, warn, dropParams),
  );
  return assemble(file, deployments);
}

/**
 * The routing view every service but the translator loads: deployments with what routing needs (ids,
 * groups, weights, limits, timeouts), no provider credential and no provider setting. Provider variables
 * need not be set, nor the master key's (only the gateway and admin resolve it: see resolveMasterKey).
 */
export function buildRoutingConfig(doc: unknown, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  const file = parseFile(doc);
  const deployments = expandEntries([...file.model_list, ...providerRoutes(file)]).map(({ entry, index }) =>
    toRouting(parseEntry(entry, index), env),
  );
  return assemble(file, deployments);
}

function readConfigDocument(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read config file ${path} (SWITCHYARD_CONFIG): ${(e as Error).message}`);
  }
  try {
    return parseLitellmYaml(text);
  } catch (e) {
    throw new ConfigError(`Config file ${path} is not valid YAML: ${(e as Error).message}`);
  }
}

function fromFile<T>(path: string | undefined, build: (doc: unknown) => T): T {
  if (!path) return build({});
  const doc = readConfigDocument(path);
  try {
    return build(doc);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${path}: ${e.message}`);
    throw e;
  }
}

/** Reads the YAML config at `path` into the translator's view (see buildConfig). Errors name the file and what to fix. */
export function loadConfig(
  path: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: LoadConfigOptions = {},
): SwitchyardConfig<ResolvedDeployment> {
  return fromFile(path, (doc) => buildConfig(doc, env, options));
}

/** Reads the YAML config at `path` into the routing view (see buildRoutingConfig). */
export function loadRoutingConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): SwitchyardConfig {
  return fromFile(path, (doc) => buildRoutingConfig(doc, env));
}

/** The deployment groups and aliases, in the shape routing resolves models against. */
export function modelCatalog<D extends Deployment>(
  config: SwitchyardConfig<D>,
): {
  groups: SwitchyardConfig<D>['groups'];
  aliases: SwitchyardConfig['routerSettings']['aliases'];
} {
  return { groups: config.groups, aliases: config.routerSettings.aliases };
}
