import { z } from 'zod';

/** Timeouts are seconds, as in LiteLLM; one day is the most a single model call may take here. */
const MAX_TIMEOUT_S = 86_400;
const TIMEOUT_MESSAGE = `timeout is in seconds and at most ${MAX_TIMEOUT_S} (one day)`;

/**
 * The YAML config in LiteLLM's shape, so an existing LiteLLM proxy config loads unchanged.
 * Unknown keys are kept (passthrough): LiteLLM configs carry many settings we do not act on yet.
 * Only `model` is checked here: the provider settings are typed per provider family (see
 * PROVIDER_PARAMS_SCHEMAS in @switchyard/providers) once the provider is known, by buildConfig.
 */
export const LitellmParamsSchema = z
  .object({
    model: z.string().min(1, 'litellm_params.model is required, e.g. "openai/gpt-4o"'),
  })
  .passthrough();

export const ModelEntrySchema = z
  .object({
    model_name: z.string().min(1),
    litellm_params: LitellmParamsSchema,
    model_info: z
      .object({
        id: z.string().optional(),
        base_model: z.string().optional(),
        /** What the model does, in LiteLLM's words: chat (the default), embedding, image_generation, ... */
        mode: z.string().min(1).optional(),
        /** Pre-call checks: the model's context window, over the pricing catalogue's (LiteLLM's names). */
        max_input_tokens: z.number().int().positive().optional(),
        max_tokens: z.number().int().positive().optional(),
        /** Pre-call checks: what the model can do, over the pricing catalogue's capabilities. */
        supports_function_calling: z.boolean().optional(),
        supports_vision: z.boolean().optional(),
        supports_response_schema: z.boolean().optional(),
        supports_reasoning: z.boolean().optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

const retries = () => z.number().int().nonnegative().max(100);

/** LiteLLM's RetryPolicy: retries per exception class. */
export const RetryPolicySchema = z
  .object({
    BadRequestErrorRetries: retries().optional(),
    AuthenticationErrorRetries: retries().optional(),
    TimeoutErrorRetries: retries().optional(),
    RateLimitErrorRetries: retries().optional(),
    ContentPolicyViolationErrorRetries: retries().optional(),
    InternalServerErrorRetries: retries().optional(),
  })
  .strict();

/** LiteLLM writes fallbacks as a list of `{group: [models...]}` objects. */
export const FallbackListSchema = z.array(
  z.record(z.string().min(1), z.array(z.string().min(1)), {
    message: 'each entry maps a model group to the list of models to fall back to, e.g. {"gpt-4o": ["claude"]}',
  }),
);

/** The settings of routing's resilience that LiteLLM accepts both in router_settings and in litellm_settings. */
export const ResilienceSettingsSchema = z.object({
  num_retries: retries().optional(),
  fallbacks: FallbackListSchema.optional(),
  context_window_fallbacks: FallbackListSchema.optional(),
  content_policy_fallbacks: FallbackListSchema.optional(),
  default_fallbacks: z.array(z.string().min(1)).optional(),
  allowed_fails: z.number().int().nonnegative().optional(),
  /** Seconds. */
  cooldown_time: z.number().nonnegative().max(MAX_TIMEOUT_S).optional(),
});

/** One rule of an auto route: every condition it sets must hold; the first rule that matches wins. */
export const AutoRouteRuleSchema = z
  .object({
    name: z.string().min(1).max(64).optional(),
    model: z.string().min(1),
    min_prompt_tokens: z.number().int().nonnegative().optional(),
    max_prompt_tokens: z.number().int().nonnegative().optional(),
    tools: z.boolean().optional(),
    images: z.boolean().optional(),
    tag: z.string().min(1).optional(),
    /** A regular expression tested against the end of the last user message (bounded: see compileRoutePattern). */
    last_user_message_matches: z.string().optional(),
    ignore_case: z.boolean().optional(),
  })
  .strict();

/** Switchyard's rule-based model routes: a virtual model whose requests go to a group chosen by rules. */
export const AutoRouteSchema = z
  .object({
    model: z.string().min(1),
    rules: z.array(AutoRouteRuleSchema).max(64).default([]),
    default: z.string().min(1),
  })
  .strict();

export const RouterSettingsSchema = z
  .object({
    ...ResilienceSettingsSchema.shape,
    routing_strategy: z.string().default('simple-shuffle'),
    routing_strategy_args: z
      .object({
        /** latency-based-routing: deployments within this fraction of the lowest latency share the load. */
        lowest_latency_buffer: z.number().nonnegative().max(100).optional(),
      })
      .passthrough()
      .optional(),
    max_fallbacks: z.number().int().nonnegative().max(100).optional(),
    disable_cooldowns: z.boolean().optional(),
    enable_pre_call_checks: z.boolean().optional(),
    auto_routes: z.array(AutoRouteSchema).max(64).optional(),
    retry_policy: RetryPolicySchema.optional(),
    model_group_retry_policy: z.record(z.string(), RetryPolicySchema).optional(),
    /** Seconds: the least wait before retrying the same deployment. */
    retry_after: z.number().nonnegative().max(MAX_TIMEOUT_S).optional(),
    timeout: z.number().positive().max(MAX_TIMEOUT_S, TIMEOUT_MESSAGE).default(600),
    /** Switchyard's own: `<provider>/*` routes for every provider the config calls (true) or for those named. */
    provider_routes: z
      .union([z.boolean(), z.array(z.string().regex(/^[a-z0-9_]+$/, 'a provider name such as openai'))])
      .optional(),
    /** Seconds a streamed attempt may wait for its first chunk, for deployments and groups that set none. */
    stream_timeout: z.number().positive().max(MAX_TIMEOUT_S, TIMEOUT_MESSAGE).optional(),
    /** Switchyard's own: per model group, `timeout` (whole request) and `stream_timeout` (first chunk), seconds. */
    model_group_timeouts: z
      .record(
        z.string(),
        z
          .object({
            timeout: z.number().positive().max(MAX_TIMEOUT_S, TIMEOUT_MESSAGE).optional(),
            stream_timeout: z.number().positive().max(MAX_TIMEOUT_S, TIMEOUT_MESSAGE).optional(),
          })
          .strict(),
      )
      .optional(),
    model_group_alias: z
      .record(
        z.string(),
        // hidden: routable, but left out of /v1/models (LiteLLM's meaning).
        z.union([z.string(), z.object({ model: z.string(), hidden: z.boolean().optional() }).passthrough()]),
      )
      .optional(),
  })
  .passthrough();

export const GeneralSettingsSchema = z
  .object({
    master_key: z.string().optional(),
    /** LiteLLM's alert channels; Switchyard sends "webhook" (to WEBHOOK_URL) and ignores the others. */
    alerting: z.array(z.string()).optional(),
    /** LiteLLM's alert types; when set, only these are sent ("budget_alerts", "spend_reports"). */
    alert_types: z.array(z.string()).optional(),
    /** How often a spend report goes out, LiteLLM's form: `30s`, `15m`, `12h`, `1d`, `7d`, `30d`. */
    spend_report_frequency: z
      .string()
      .regex(/^[1-9]\d{0,5}(s|m|h|d)$/, 'a duration like 30s, 15m, 12h, 1d, 7d or 30d')
      .optional(),
  })
  .passthrough();

export const ConfigFileSchema = z
  .object({
    model_list: z.array(ModelEntrySchema).default([]),
    router_settings: RouterSettingsSchema.default({ routing_strategy: 'simple-shuffle', timeout: 600 }),
    general_settings: GeneralSettingsSchema.default({}),
    litellm_settings: ResilienceSettingsSchema.passthrough().optional(),
  })
  .passthrough();
export type ConfigFile = z.infer<typeof ConfigFileSchema>;
