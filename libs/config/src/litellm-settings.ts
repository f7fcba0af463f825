/**
 * Every LiteLLM proxy config setting and what Switchyard does with it: the one table behind the boot warning
 * ("ignored: router_settings.fallbacks, ...") and the README's "LiteLLM settings" table (a unit test keeps the
 * two equal). When a feature lands, its rows move from `ignored` to `supported` or `translated`.
 *
 * - supported: acted on as LiteLLM does.
 * - translated: acted on, the Switchyard way (the note says how).
 * - ignored: accepted so that a LiteLLM config loads unchanged, not acted on; named at boot when present.
 */
export type SettingStatus = 'supported' | 'translated' | 'ignored';

export interface LitellmSetting {
  /** Where the setting lives: `router_settings.fallbacks`, `model_list[].litellm_params.rpm`. */
  path: string;
  status: SettingStatus;
  note: string;
  /** For a supported setting acted on for some values only: true when `value` is one of them. */
  actsOn?: (value: unknown) => boolean;
}

const row = (path: string, status: SettingStatus, note = '', actsOn?: LitellmSetting['actsOn']): LitellmSetting => ({
  path,
  status,
  note,
  ...(actsOn ? { actsOn } : {}),
});
const ignored = (section: string, names: string, note = ''): LitellmSetting[] =>
  names
    .trim()
    .split(/\s+/)
    .map((name) => row(`${section}.${name}`, 'ignored', note));

const SECRET_REFS = '`os.environ/NAME` references are read';

export const LITELLM_SETTINGS: readonly LitellmSetting[] = [
  row('model_list[].model_name', 'supported', 'the group clients ask for; `*` patterns are wildcard routes'),
  row('model_list[].litellm_params.model', 'supported', '`provider/model`; a `*` sends the model the client asked for'),
  row('model_list[].litellm_params.api_key', 'supported', `${SECRET_REFS} by the translator only`),
  row('model_list[].litellm_params.api_base', 'supported'),
  row('model_list[].litellm_params.organization', 'supported', 'a list makes one deployment per organisation'),
  row('model_list[].litellm_params.weight', 'supported', 'weighted pick within a group (simple-shuffle)'),
  row('model_list[].litellm_params.timeout', 'supported', 'seconds, per attempt (the whole answer)'),
  row(
    'model_list[].litellm_params.stream_timeout',
    'supported',
    'seconds a streamed attempt may wait for its first chunk; past it the router retries elsewhere',
  ),
  row('model_list[].litellm_params.extra_headers', 'supported'),
  row('model_list[].litellm_params.extra_body', 'supported', "members added to the body; the client's own value wins"),
  row(
    'model_list[].litellm_params.drop_params',
    'supported',
    'a parameter the provider cannot take is dropped (and logged) instead of a 400; a request may set it too',
  ),
  row(
    'model_list[].litellm_params.additional_drop_params',
    'supported',
    'these request fields are always dropped for the deployment; a request may add its own',
  ),
  row(
    'model_list[].litellm_params.<provider settings>',
    'supported',
    'typed per provider family (Azure, Bedrock, Vertex AI, ...); unknown fields are named at boot',
  ),
  row(
    'model_list[].litellm_params.<chat parameters>',
    'supported',
    'defaults for requests that do not set them (`temperature`, `max_tokens`, ...)',
  ),
  row(
    'model_list[].litellm_params.rpm',
    'supported',
    'usage-based-routing-v2 keeps the deployment under it; simple-shuffle weighs by it when no weight is set',
  ),
  row(
    'model_list[].litellm_params.tpm',
    'supported',
    'usage-based-routing-v2 keeps the deployment under it; simple-shuffle weighs by it when no weight or rpm is set',
  ),
  row('model_list[].litellm_params.order', 'supported', 'lower orders serve first; the next order when none can'),
  row(
    'model_list[].litellm_params.max_retries',
    'translated',
    "the router's retries after this deployment failed (LiteLLM hands it to the provider's client)",
  ),
  row('model_list[].model_info.id', 'supported', 'the deployment id'),
  row(
    'model_list[].model_info.base_model',
    'translated',
    'the model priced, and whose limits the pre-call checks read',
  ),
  row(
    'model_list[].model_info.max_input_tokens',
    'supported',
    'the context window the pre-call checks use (over the catalogue; `max_tokens` when this is absent)',
  ),
  row(
    'model_list[].model_info.supports_function_calling',
    'supported',
    'with `supports_vision`, `supports_response_schema`, `supports_reasoning`: capabilities the pre-call checks use, over the catalogue',
  ),
  row(
    'model_list[].model_info.input_cost_per_token',
    'supported',
    "the deployment's own prices (and LiteLLM's other price fields: see Spend and pricing); others are refused",
  ),
  row(
    'router_settings.routing_strategy',
    'supported',
    'simple-shuffle (by weight, else rpm, else tpm), least-busy (fewest requests in flight), latency-based-routing ' +
      '(lowest recent latency, time to first token for streams), usage-based-routing-v2 (lowest usage this minute, ' +
      'under each rpm / tpm) and cost-based-routing (cheapest by the price catalogue), over every router',
    (v) =>
      v === undefined ||
      [
        'simple-shuffle',
        'least-busy',
        'latency-based-routing',
        'usage-based-routing-v2',
        'usage-based-routing',
        'cost-based-routing',
      ].includes(String(v)),
  ),
  row('router_settings.model_group_alias', 'supported', 'string or `{model: ...}`'),
  row(
    'router_settings.timeout',
    'translated',
    "the whole request's deadline, enforced by the gateway; a request's `timeout` (or `x-switchyard-timeout`) wins",
  ),
  row(
    'router_settings.stream_timeout',
    'supported',
    'seconds to first chunk, for deployments that set no `stream_timeout`; a request may set its own',
  ),
  row(
    'router_settings.provider_routes',
    'supported',
    "Switchyard's own: `true` serves `provider/model` names for every provider the config calls, with its first entry's key; a list names providers (keys from the environment)",
  ),
  row(
    'router_settings.model_group_timeouts',
    'supported',
    "Switchyard's own: `{group: {timeout, stream_timeout}}`, between the request's and the global ones",
  ),
  row(
    'router_settings.num_retries',
    'supported',
    "retries in a model group, to another deployment when there is one; a request's `num_retries` wins",
  ),
  row(
    'router_settings.fallbacks',
    'supported',
    "`[{group: [models]}]`, tried in order when a group fails; a request's `fallbacks` / `models` replace them",
  ),
  row('router_settings.context_window_fallbacks', 'supported', 'on a context-window error (else `fallbacks`)'),
  row('router_settings.content_policy_fallbacks', 'supported', 'on a content-policy error (else `fallbacks`)'),
  row('router_settings.default_fallbacks', 'supported', 'for groups without `fallbacks` of their own'),
  row('router_settings.max_fallbacks', 'supported', 'default 5'),
  row(
    'router_settings.allowed_fails',
    'supported',
    'failures per deployment within a minute before it cools down (default 3), counted across router instances',
  ),
  row(
    'router_settings.cooldown_time',
    'supported',
    "seconds (default 5); a 429 cools down for the provider's retry-after; shared by router instances through Redis",
  ),
  row('router_settings.disable_cooldowns', 'supported'),
  row(
    'router_settings.enable_pre_call_checks',
    'supported',
    'skips deployments whose context window cannot hold prompt plus max_tokens (then context_window_fallbacks) or whose model lacks tools, images, JSON schema or reasoning the request uses',
  ),
  row(
    'router_settings.auto_routes',
    'supported',
    "Switchyard's own: virtual models routed to a group by rules on the request (prompt tokens, tools, images, a tag, a bounded regex on the last user message), first match wins, else `default`",
  ),
  row(
    'router_settings.routing_strategy_args',
    'supported',
    '`lowest_latency_buffer` (latency-based-routing: deployments within that fraction of the lowest share the load)',
  ),
  row(
    'router_settings.retry_policy',
    'supported',
    'retries per error class (`RateLimitErrorRetries`, `TimeoutErrorRetries`, ...), over `num_retries`',
  ),
  row('router_settings.model_group_retry_policy', 'supported', 'a `retry_policy` per model group'),
  row(
    'router_settings.retry_after',
    'supported',
    "seconds: the least wait before retrying the same deployment (the provider's retry-after is always honoured)",
  ),
  ...ignored(
    'router_settings',
    `allowed_fails_policy optional_pre_call_checks
     redis_host redis_port redis_password redis_url cache_responses caching_groups client_ttl
     default_max_parallel_requests default_priority polling_interval provider_budget_config
     enable_tag_filtering tag_filtering_match_any default_litellm_params set_verbose debug_level`,
  ),
  row(
    'litellm_settings.drop_params',
    'supported',
    "drops what a provider cannot take instead of a 400; a deployment's or request's own `drop_params` wins",
  ),
  ...`num_retries fallbacks context_window_fallbacks content_policy_fallbacks default_fallbacks allowed_fails
     cooldown_time`
    .split(/\s+/)
    .map((name) => row(`litellm_settings.${name}`, 'supported', `as \`router_settings.${name}\`, which wins`)),
  ...ignored(
    'litellm_settings',
    `modify_params request_timeout cache cache_params
     success_callback failure_callback callbacks service_callback set_verbose json_logs
     turn_off_message_logging redact_user_api_key_info redact_messages_in_exceptions max_budget budget_duration
     default_team_settings default_internal_user_params default_key_generate_params
     upperbound_key_generate_params key_generation_settings max_end_user_budget disable_end_user_cost_tracking
     force_ipv4 ssl_verify public_model_groups enable_json_schema_validation return_response_headers
     check_provider_endpoint guardrails enable_preview_features langfuse_default_tags`,
  ),
  row(
    'general_settings.master_key',
    'supported',
    'SWITCHYARD_MASTER_KEY wins; a key under 32 characters listens on loopback only',
  ),
  row(
    'general_settings.alerting',
    'supported',
    '`["webhook"]`: a key, team or end user crossing its `soft_budget` is POSTed to `WEBHOOK_URL` (once per budget period, retried until it answers 2xx); other channels are ignored',
  ),
  row(
    'general_settings.spend_report_frequency',
    'supported',
    'with `alerting: ["webhook"]`: every closed period of this length (`30s`, `15m`, `12h`, `1d`, `7d`, `30d`; periods aligned to the Unix epoch, so `1d` is a UTC day) a spend report (total, top 5 teams and keys by spend) is POSTed to `WEBHOOK_URL` by a BullMQ job, retried until it answers 2xx',
  ),
  row(
    'general_settings.alert_types',
    'supported',
    'when set, only the listed types are sent: `budget_alerts` (soft_budget crossings), `spend_reports`; unset, both are',
  ),
  ...ignored('general_settings', 'database_url', 'Switchyard reads DATABASE_URL from the environment'),
  ...ignored(
    'general_settings',
    `database_connection_pool_limit database_connection_timeout store_model_in_db store_prompts_in_spend_logs
     disable_spend_logs disable_master_key_return disable_reset_budget disable_adding_master_key_hash_to_db
     enable_jwt_auth litellm_jwtauth allowed_routes admin_only_routes allowed_ips enforce_user_param
     enable_oauth2_auth use_x_forwarded_for custom_auth custom_key_generate max_parallel_requests
     global_max_parallel_requests infer_model_from_keys background_health_checks health_check_interval
     health_check_details alerting_threshold alert_to_webhook_url alerting_args
     ui_access_mode proxy_batch_write_at proxy_budget_rescheduler_min_time proxy_budget_rescheduler_max_time
     allow_requests_on_db_unavailable pass_through_endpoints public_routes user_header_name
     key_management_system key_management_settings forward_client_headers_to_llm_api
     maximum_spend_logs_retention_period store_audit_logs max_request_size_mb max_response_size_mb`,
  ),
  ...ignored('', 'environment_variables', 'set the variables in the environment instead').map((s) => ({
    ...s,
    path: s.path.slice(1),
  })),
];

const BY_PATH = new Map(LITELLM_SETTINGS.map((s) => [s.path, s]));
const SECTIONS = ['router_settings', 'litellm_settings', 'general_settings'] as const;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The settings of a config document Switchyard accepts but does not act on, each named once, in table order,
 * then the keys the table does not know (named too: a typo would otherwise be accepted in silence).
 */
export function ignoredSettings(doc: unknown): string[] {
  if (!isRecord(doc)) return [];
  const present: string[] = [];
  const unknown: string[] = [];
  const note = (path: string, value: unknown) => {
    const s = BY_PATH.get(path);
    if (s === undefined) unknown.push(`${path} (not a setting Switchyard knows)`);
    else if (s.status === 'ignored') present.push(path);
    else if (s.actsOn && !s.actsOn(value)) present.push(`${path}: ${String(value)}`);
  };
  for (const section of SECTIONS) {
    const values = doc[section];
    if (isRecord(values)) for (const [key, value] of Object.entries(values)) note(`${section}.${key}`, value);
  }
  if (doc['environment_variables'] !== undefined) note('environment_variables', doc['environment_variables']);
  const entries = Array.isArray(doc['model_list']) ? doc['model_list'] : [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const params = isRecord(entry) && isRecord(entry['litellm_params']) ? entry['litellm_params'] : {};
    for (const key of Object.keys(params)) {
      const path = `model_list[].litellm_params.${key}`;
      if (BY_PATH.get(path)?.status === 'ignored' && !seen.has(path)) {
        seen.add(path);
        present.push(path);
      }
    }
  }
  const order = (p: string) => LITELLM_SETTINGS.findIndex((s) => p === s.path || p.startsWith(`${s.path}:`));
  return [...present.sort((a, b) => order(a) - order(b)), ...unknown];
}

/** The boot warning for `ignoredSettings`, or undefined when every setting present is acted on. */
export function ignoredSettingsWarning(doc: unknown): string | undefined {
  const names = ignoredSettings(doc);
  if (names.length === 0) return undefined;
  return (
    `ignored: ${names.join(', ')}. These LiteLLM settings are accepted so the config loads unchanged, ` +
    `but Switchyard does not act on them yet (README.md, "LiteLLM settings").`
  );
}

/** The README's table: one row per setting. */
export function litellmSettingsTable(): string {
  const lines = ['| setting | status | note |', '| --- | --- | --- |'];
  for (const s of LITELLM_SETTINGS) lines.push(`| \`${s.path}\` | ${s.status} | ${s.note} |`);
  return lines.join('\n');
}
