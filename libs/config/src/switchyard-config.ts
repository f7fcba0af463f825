import type { ProviderFamily, ProviderParams } from '@switchyard/providers';
import type { PriceOverrides } from '@switchyard/pricing';
import type { AutoRoute, CooldownRules, FallbackSettings, RequestNeed, RetryPolicy } from '@switchyard/routing';

/**
 * A deployment as routing sees it: no provider credentials, no provider settings. Every service holds
 * these (the routing view); only the translator holds `ResolvedDeployment`s.
 */
export interface Deployment {
  /** Stable id: model_info.id, or derived from the entry without its secrets, so every view computes the same one. */
  id: string;
  /** The group (public model name) this deployment serves. */
  modelName: string;
  /** Provider prefix of litellm_params.model, or litellm_params.custom_llm_provider ("openai", "fake", ...). */
  provider: string;
  /** Which settings schema the provider's litellm_params follow. */
  family: ProviderFamily;
  /** Model name sent upstream (litellm_params.model without the provider prefix). */
  model: string;
  /**
   * litellm_params.api_base when written in the file. An `os.environ/` api_base is resolved by the
   * translator only, so in the routing view it is absent.
   */
  apiBase?: string;
  weight: number;
  /** simple-shuffle's weight within the group: by weight, else rpm, else tpm, else even (shuffleWeights). */
  shuffleWeight?: number;
  rpm?: number;
  tpm?: number;
  /** litellm_params.order: lower orders are tried first. */
  order?: number;
  timeoutMs?: number;
  streamTimeoutMs?: number;
  maxRetries?: number;
  /** Pricing lookups use this when set (model_info.base_model). */
  baseModel?: string;
  /** model_info.mode: what the model does (chat when unset; embedding, image_generation, ...). */
  mode?: string;
  /**
   * What model_info says of the model's limits and capabilities (max_input_tokens, supports_vision, ...), for the
   * pre-call checks; each stated value wins over the pricing catalogue's.
   */
  modelInfo?: { contextWindow?: number; supports?: Partial<Record<RequestNeed, boolean>> };
  /**
   * Prices this deployment sets itself (model_info.input_cost_per_token, output_cost_per_token,
   * cache_read_input_token_cost, ...): they replace the catalogue's price of its model.
   */
  pricing?: PriceOverrides;
}

/** A deployment with its provider settings and credentials resolved: the translator's view. */
export interface ResolvedDeployment extends Deployment {
  /** Resolved secret. Never logged, never sent over NATS. */
  apiKey?: string;
  /** Name of the environment variable the key came from, for error messages. */
  apiKeyEnv?: string;
  apiVersion?: string;
  organization?: string;
  /** Every provider setting of litellm_params, typed by family; credentials resolved. */
  params: ProviderParams;
  /** OpenAI chat parameters from litellm_params: defaults for requests that do not set them. */
  requestDefaults: Readonly<Record<string, unknown>>;
}

export interface RouterSettings {
  routingStrategy: string;
  numRetries: number;
  /** router_settings.timeout in ms: a request's whole deadline, unless its group or itself sets another. */
  timeoutMs: number;
  /** model_group_timeouts: per group, the whole request (`timeoutMs`) and its first chunk (`streamTimeoutMs`). */
  groupTimeouts: Readonly<Record<string, { timeoutMs?: number; streamTimeoutMs?: number }>>;
  aliases: Record<string, string>;
  /** Aliases marked `hidden` in model_group_alias: routable, not listed by /v1/models. */
  hiddenAliases?: readonly string[];
  /** retry_policy: retries per error class (LiteLLM's names). */
  retryPolicy?: RetryPolicy;
  /** model_group_retry_policy: a retry policy per model group, over retry_policy. */
  groupRetryPolicy: Readonly<Record<string, RetryPolicy>>;
  /** retry_after in ms: the least wait before retrying the same deployment. */
  minRetryWaitMs: number;
  /** fallbacks, context_window_fallbacks, content_policy_fallbacks, default_fallbacks, max_fallbacks. */
  fallbacks: FallbackSettings;
  /** routing_strategy_args.lowest_latency_buffer (latency-based-routing). */
  latencyBuffer: number;
  /** allowed_fails, cooldown_time, disable_cooldowns. */
  cooldowns: CooldownRules;
  /** enable_pre_call_checks: skip deployments whose model cannot take the request (context window, capabilities). */
  preCallChecks: boolean;
  /** auto_routes: virtual models whose requests go to a group chosen by rules (patterns compiled and checked). */
  autoRoutes: readonly AutoRoute[];
}

/** The resolved configuration. `D` is `Deployment` in the routing view, `ResolvedDeployment` in the translator's. */
export interface SwitchyardConfig<D extends Deployment = Deployment> {
  deployments: D[];
  /** model_name → deployments, in config order. */
  groups: Map<string, D[]>;
  routerSettings: RouterSettings;
  /**
   * general_settings.master_key as written (possibly `os.environ/NAME`), unresolved: the gateway and admin
   * resolve it with resolveMasterKey, so no other service needs its variable.
   */
  masterKeySetting?: string;
  /** general_settings.alerting: the channels alerts (soft_budget crossings) go to; "webhook" posts to WEBHOOK_URL. */
  alerting?: readonly string[];
  /** general_settings.alert_types: when set, only these alert types are sent (LiteLLM's names). */
  alertTypes?: readonly string[];
  /** general_settings.spend_report_frequency (`1d`, `7d`, ...): a spend report per closed period of this length. */
  spendReportFrequency?: string;
}
