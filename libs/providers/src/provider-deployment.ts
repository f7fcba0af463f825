import type { ProviderParams } from './provider-params';

/**
 * What an adapter needs to know about a deployment. The translator's deployments from @switchyard/config
 * satisfy it structurally; providers stay free of the config library (module boundaries: domain → contracts only).
 */
export interface ProviderDeployment {
  id: string;
  /** The public model group name, for messages. */
  modelName: string;
  /** Provider prefix of litellm_params.model ("openai", "fake", ...). */
  provider: string;
  /** Model name sent upstream. */
  model: string;
  apiBase?: string;
  /**
   * `model_info.base_model`: the model behind an opaque upstream id (an application inference profile ARN,
   * say), for adapters that pick features by model family. Absent: the model id says it.
   */
  baseModel?: string;
  /** Resolved secret: goes into the request headers, never into messages or logs. */
  apiKey?: string;
  /** Name of the environment variable the key came from, for error messages. */
  apiKeyEnv?: string;
  apiVersion?: string;
  organization?: string;
  /**
   * Every provider setting of litellm_params, typed by family, credentials resolved (aws_*, vertex_*,
   * azure_ad_token, extra_headers, ...). Absent: none configured.
   */
  params?: ProviderParams;
  /**
   * OpenAI chat parameters given in litellm_params (temperature, max_tokens, stop, ...): defaults for
   * requests that do not set them, as in LiteLLM. Absent: none.
   */
  requestDefaults?: Readonly<Record<string, unknown>>;
}
