/**
 * The environment variables each provider's settings fall back to when `litellm_params` leaves them out,
 * as LiteLLM reads them (first set one wins). Only the translator's view of the config applies them, since
 * only it holds credentials; a value written in the config (or an `os.environ/NAME` reference) always wins.
 */
export const PROVIDER_ENV_FALLBACKS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  openai: { api_key: ['OPENAI_API_KEY'], api_base: ['OPENAI_API_BASE', 'OPENAI_BASE_URL'] },
  azure: {
    api_key: ['AZURE_API_KEY', 'AZURE_OPENAI_API_KEY'],
    api_base: ['AZURE_API_BASE', 'AZURE_OPENAI_ENDPOINT'],
    api_version: ['AZURE_API_VERSION', 'OPENAI_API_VERSION'],
    azure_ad_token: ['AZURE_AD_TOKEN'],
    tenant_id: ['AZURE_TENANT_ID'],
    client_id: ['AZURE_CLIENT_ID'],
    client_secret: ['AZURE_CLIENT_SECRET'],
  },
  anthropic: { api_key: ['ANTHROPIC_API_KEY'], api_base: ['ANTHROPIC_API_BASE', 'ANTHROPIC_BASE_URL'] },
  gemini: { api_key: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], api_base: ['GEMINI_API_BASE'] },
  vertex_ai: {
    vertex_project: ['VERTEXAI_PROJECT', 'VERTEX_PROJECT', 'GOOGLE_CLOUD_PROJECT'],
    vertex_location: ['VERTEXAI_LOCATION', 'VERTEX_LOCATION'],
    vertex_credentials: ['VERTEXAI_CREDENTIALS', 'GOOGLE_APPLICATION_CREDENTIALS'],
  },
  bedrock: {
    aws_access_key_id: ['AWS_ACCESS_KEY_ID'],
    aws_secret_access_key: ['AWS_SECRET_ACCESS_KEY'],
    aws_session_token: ['AWS_SESSION_TOKEN'],
    aws_region_name: ['AWS_REGION_NAME', 'AWS_REGION', 'AWS_DEFAULT_REGION'],
  },
  cohere: { api_key: ['COHERE_API_KEY', 'CO_API_KEY'], api_base: ['COHERE_API_BASE'] },
  cohere_chat: { api_key: ['COHERE_API_KEY', 'CO_API_KEY'], api_base: ['COHERE_API_BASE'] },
  groq: { api_key: ['GROQ_API_KEY'] },
  mistral: { api_key: ['MISTRAL_API_KEY'], api_base: ['MISTRAL_API_BASE'] },
  deepseek: { api_key: ['DEEPSEEK_API_KEY'], api_base: ['DEEPSEEK_API_BASE'] },
  together_ai: { api_key: ['TOGETHERAI_API_KEY', 'TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY'] },
  fireworks_ai: { api_key: ['FIREWORKS_AI_API_KEY', 'FIREWORKS_API_KEY'] },
  openrouter: { api_key: ['OPENROUTER_API_KEY', 'OR_API_KEY'], api_base: ['OPENROUTER_API_BASE'] },
  xai: { api_key: ['XAI_API_KEY'], api_base: ['XAI_API_BASE'] },
  perplexity: { api_key: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'] },
  deepinfra: { api_key: ['DEEPINFRA_API_KEY'] },
  cerebras: { api_key: ['CEREBRAS_API_KEY'], api_base: ['CEREBRAS_API_BASE'] },
  ollama: { api_key: ['OLLAMA_API_KEY'], api_base: ['OLLAMA_API_BASE'] },
  ollama_chat: { api_key: ['OLLAMA_API_KEY'], api_base: ['OLLAMA_API_BASE'] },
  lm_studio: { api_key: ['LM_STUDIO_API_KEY'], api_base: ['LM_STUDIO_API_BASE'] },
  hosted_vllm: { api_key: ['HOSTED_VLLM_API_KEY'], api_base: ['HOSTED_VLLM_API_BASE'] },
};

/** The fallback variables of one provider's setting, most preferred first (empty when it has none). */
export function envFallbacksOf(provider: string, field: string): readonly string[] {
  const byField = Object.hasOwn(PROVIDER_ENV_FALLBACKS, provider) ? PROVIDER_ENV_FALLBACKS[provider]! : undefined;
  return byField !== undefined && Object.hasOwn(byField, field) ? byField[field]! : [];
}
