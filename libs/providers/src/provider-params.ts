import { z } from 'zod';

/**
 * The provider settings a deployment may carry in `litellm_params`, per provider family, with the names
 * LiteLLM uses so a LiteLLM proxy config loads unchanged. Fields registered with `secret()` are credentials:
 * only the translator resolves them, and they never feed a deployment id.
 */

const secrets = z.registry<{ secret: true }>();

/** Declares a field as a credential (resolved only in the translator; an `os.environ/NAME` reference as a rule). */
function secret<T extends z.ZodType>(schema: T): T {
  secrets.add(schema, { secret: true });
  return schema;
}

/** Timeouts are seconds, as in LiteLLM; one day is the most a single model call may take here. */
const MAX_TIMEOUT_S = 86_400;
const seconds = z
  .number()
  .positive()
  .max(MAX_TIMEOUT_S, `timeout is in seconds and at most ${MAX_TIMEOUT_S} (one day)`)
  .optional();

/**
 * OpenAI chat parameters. Given in litellm_params they are defaults for requests that do not set them,
 * as in LiteLLM. Ranges are OpenAI's; a provider with narrower ones answers with its own 400.
 */
export const RequestDefaultsSchema = z.object({
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  n: z.number().int().positive().optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  max_tokens: z.number().int().positive().optional(),
  max_completion_tokens: z.number().int().positive().optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  logit_bias: z.record(z.string(), z.number()).optional(),
  logprobs: z.boolean().optional(),
  top_logprobs: z.number().int().min(0).max(20).optional(),
  seed: z.number().int().optional(),
  user: z.string().optional(),
  response_format: z.record(z.string(), z.unknown()).optional(),
  tools: z.array(z.record(z.string(), z.unknown())).optional(),
  tool_choice: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  parallel_tool_calls: z.boolean().optional(),
  reasoning_effort: z.string().optional(),
  modalities: z.array(z.string()).optional(),
  audio: z.record(z.string(), z.unknown()).optional(),
  prediction: z.record(z.string(), z.unknown()).optional(),
  service_tier: z.string().optional(),
  store: z.boolean().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  verbosity: z.string().optional(),
  web_search_options: z.record(z.string(), z.unknown()).optional(),
});
export type RequestDefaults = z.infer<typeof RequestDefaultsSchema>;
export const REQUEST_DEFAULT_KEYS: ReadonlySet<string> = new Set(Object.keys(RequestDefaultsSchema.shape));

/** Settings every provider family takes. */
const common = {
  model: z.string().min(1, 'litellm_params.model is required, e.g. "openai/gpt-4o"'),
  custom_llm_provider: z.string().min(1).optional(),
  api_key: secret(z.string().optional()),
  api_base: z.string().optional(),
  timeout: seconds,
  stream_timeout: seconds,
  max_retries: z.number().int().nonnegative().optional(),
  /** Header values may carry tokens (a gateway's own auth in front of the provider): treated as secrets. */
  extra_headers: secret(z.record(z.string(), z.string()).optional()),
  /** Members added to every request body (provider-specific parameters); the client's own value wins. */
  extra_body: z.record(z.string(), z.unknown()).optional(),
  drop_params: z.boolean().optional(),
  additional_drop_params: z.array(z.string()).optional(),
  input_cost_per_token: z.number().nonnegative().optional(),
  output_cost_per_token: z.number().nonnegative().optional(),
  tpm: z.number().int().positive().optional(),
  rpm: z.number().int().positive().optional(),
  weight: z.number().positive().optional(),
  order: z.number().int().positive().optional(),
  merge_reasoning_content_in_choices: z.boolean().optional(),
};

/** OpenAI and every server speaking its API (groq, mistral, vLLM, ... and any provider with an api_base). */
export const OpenAIParamsSchema = z.object({ ...common, organization: z.string().optional() });

export const AzureParamsSchema = z.object({
  ...common,
  api_version: z.string().optional(),
  /** A Microsoft Entra ID token used instead of api_key. */
  azure_ad_token: secret(z.string().optional()),
  /** Entra ID service principal: the three together replace api_key. */
  tenant_id: z.string().optional(),
  client_id: z.string().optional(),
  client_secret: secret(z.string().optional()),
  /** Entra ID username/password flow. */
  azure_username: z.string().optional(),
  azure_password: secret(z.string().optional()),
  /** Token scope; LiteLLM defaults to https://cognitiveservices.azure.com/.default. */
  azure_scope: z.string().optional(),
});

export const AnthropicParamsSchema = z.object({ ...common });

export const GeminiParamsSchema = z.object({ ...common });

export const VertexParamsSchema = z.object({
  ...common,
  vertex_project: z.string().optional(),
  vertex_location: z.string().optional(),
  /** A service account: path to its JSON file, the JSON as a string, or the object itself. */
  vertex_credentials: secret(z.union([z.string(), z.record(z.string(), z.unknown())]).optional()),
});

/** Bedrock and the other AWS-signed providers (sagemaker). */
export const BedrockParamsSchema = z.object({
  ...common,
  aws_access_key_id: secret(z.string().optional()),
  aws_secret_access_key: secret(z.string().optional()),
  aws_session_token: secret(z.string().optional()),
  aws_region_name: z.string().optional(),
  aws_role_name: z.string().optional(),
  aws_session_name: z.string().optional(),
  aws_profile_name: z.string().optional(),
  aws_web_identity_token: secret(z.string().optional()),
  aws_sts_endpoint: z.string().optional(),
  aws_external_id: z.string().optional(),
  aws_bedrock_runtime_endpoint: z.string().optional(),
});

export const CohereParamsSchema = z.object({ ...common });

/** One settings schema per provider family, request defaults included (they are typed the same everywhere). */
export const PROVIDER_PARAMS_SCHEMAS = {
  openai: OpenAIParamsSchema.extend(RequestDefaultsSchema.shape),
  azure: AzureParamsSchema.extend(RequestDefaultsSchema.shape),
  anthropic: AnthropicParamsSchema.extend(RequestDefaultsSchema.shape),
  gemini: GeminiParamsSchema.extend(RequestDefaultsSchema.shape),
  vertex_ai: VertexParamsSchema.extend(RequestDefaultsSchema.shape),
  bedrock: BedrockParamsSchema.extend(RequestDefaultsSchema.shape),
  cohere: CohereParamsSchema.extend(RequestDefaultsSchema.shape),
} as const;
export type ProviderFamily = keyof typeof PROVIDER_PARAMS_SCHEMAS;

const FAMILY_OF_PROVIDER: Readonly<Record<string, ProviderFamily>> = {
  azure: 'azure',
  azure_ai: 'azure',
  anthropic: 'anthropic',
  gemini: 'gemini',
  vertex_ai: 'vertex_ai',
  vertex_ai_beta: 'vertex_ai',
  bedrock: 'bedrock',
  sagemaker: 'bedrock',
  cohere: 'cohere',
  cohere_chat: 'cohere',
};

/** The settings family of a provider prefix; anything not listed speaks OpenAI's API (or is the fake one). */
export function providerFamily(provider: string): ProviderFamily {
  return FAMILY_OF_PROVIDER[provider] ?? 'openai';
}

type Settings<S extends z.ZodObject> = Omit<z.infer<S>, 'model' | keyof RequestDefaults> & {
  /** Fields LiteLLM may know but Switchyard does not; kept as given (a warning named them at load). */
  [unknown: string]: unknown;
};

/** A deployment's provider settings (credentials resolved), by family. Request defaults are kept apart. */
export type ProviderParams =
  | ({ family: 'openai' } & Settings<typeof OpenAIParamsSchema>)
  | ({ family: 'azure' } & Settings<typeof AzureParamsSchema>)
  | ({ family: 'anthropic' } & Settings<typeof AnthropicParamsSchema>)
  | ({ family: 'gemini' } & Settings<typeof GeminiParamsSchema>)
  | ({ family: 'vertex_ai' } & Settings<typeof VertexParamsSchema>)
  | ({ family: 'bedrock' } & Settings<typeof BedrockParamsSchema>)
  | ({ family: 'cohere' } & Settings<typeof CohereParamsSchema>);

/** Whether a field of a family's settings is a credential. */
export function isSecretField(family: ProviderFamily, field: string): boolean {
  const schema = (PROVIDER_PARAMS_SCHEMAS[family].shape as Record<string, z.ZodType>)[field];
  return schema !== undefined && secrets.has(schema);
}

/** Every credential field of any family: none of them may feed a deployment id, whatever the provider. */
export const SECRET_FIELDS: ReadonlySet<string> = new Set(
  Object.values(PROVIDER_PARAMS_SCHEMAS).flatMap((schema) =>
    Object.entries(schema.shape)
      .filter(([, field]) => secrets.has(field))
      .map(([name]) => name),
  ),
);
