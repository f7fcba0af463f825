/**
 * What an adapter needs to know about a deployment. `Deployment` from @switchyard/config satisfies it
 * structurally; providers stay free of the config library (module boundaries: domain → contracts only).
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
  /** Resolved secret: goes into the request headers, never into messages or logs. */
  apiKey?: string;
  /** Name of the environment variable the key came from, for error messages. */
  apiKeyEnv?: string;
  apiVersion?: string;
  organization?: string;
}
