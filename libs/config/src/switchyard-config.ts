/** The resolved configuration every service works from. */
export interface Deployment {
  /** Stable id: model_info.id, or derived from the entry so every service computes the same one. */
  id: string;
  /** The group (public model name) this deployment serves. */
  modelName: string;
  /** Provider prefix of litellm_params.model ("openai", "fake", ...). */
  provider: string;
  /** Model name sent upstream (litellm_params.model without the provider prefix). */
  model: string;
  apiBase?: string;
  /** Resolved secret. Never logged, never sent over NATS. */
  apiKey?: string;
  /** Name of the environment variable the key came from, for error messages. */
  apiKeyEnv?: string;
  apiVersion?: string;
  organization?: string;
  weight: number;
  rpm?: number;
  tpm?: number;
  timeoutMs?: number;
  /** Pricing lookups use this when set (model_info.base_model). */
  baseModel?: string;
}

export interface RouterSettings {
  routingStrategy: string;
  numRetries: number;
  timeoutMs: number;
  aliases: Record<string, string>;
}

export interface SwitchyardConfig {
  deployments: Deployment[];
  /** model_name → deployments, in config order. */
  groups: Map<string, Deployment[]>;
  routerSettings: RouterSettings;
  masterKey?: string;
}
