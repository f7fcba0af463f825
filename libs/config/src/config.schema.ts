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
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

export const RouterSettingsSchema = z
  .object({
    routing_strategy: z.string().default('simple-shuffle'),
    num_retries: z.number().int().nonnegative().default(0),
    timeout: z.number().positive().max(MAX_TIMEOUT_S, TIMEOUT_MESSAGE).default(600),
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
  })
  .passthrough();

export const ConfigFileSchema = z
  .object({
    model_list: z.array(ModelEntrySchema).default([]),
    router_settings: RouterSettingsSchema.default({ routing_strategy: 'simple-shuffle', num_retries: 0, timeout: 600 }),
    general_settings: GeneralSettingsSchema.default({}),
    litellm_settings: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
export type ConfigFile = z.infer<typeof ConfigFileSchema>;
