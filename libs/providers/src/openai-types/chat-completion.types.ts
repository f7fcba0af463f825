/**
 * The OpenAI Chat Completions wire shapes the gateway speaks to clients, and that OpenAI-compatible
 * upstreams speak to us. Only the fields Switchyard reads or writes are spelled out; every object keeps
 * an index signature so fields we do not know yet travel through untouched.
 */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';

export interface ChatContentPartText {
  type: 'text';
  text: string;
}

export interface ChatContentPartOther {
  type: 'image_url' | 'input_audio' | 'file' | 'refusal';
  [field: string]: unknown;
}

export type ChatContentPart = ChatContentPartText | ChatContentPartOther;

export interface ChatToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content?: string | ChatContentPart[] | null;
  name?: string;
  tool_calls?: ChatToolCall[];
  tool_call_id?: string;
  [field: string]: unknown;
}

export interface ChatStreamOptions {
  include_usage?: boolean;
  [field: string]: unknown;
}

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: ChatStreamOptions | null;
  n?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  user?: string;
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  [field: string]: unknown;
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** The request's cost in USD, as OpenRouter reports it. */
  cost?: number;
  prompt_tokens_details?: { cached_tokens?: number; audio_tokens?: number; [field: string]: unknown } | null;
  completion_tokens_details?: {
    reasoning_tokens?: number;
    audio_tokens?: number;
    accepted_prediction_tokens?: number;
    rejected_prediction_tokens?: number;
    [field: string]: unknown;
  } | null;
  /** Prompt tokens written to the provider's prompt cache (Anthropic's count, as LiteLLM shows it). */
  cache_creation_input_tokens?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call';

export interface ChatCompletionChoice {
  index: number;
  message: {
    role: 'assistant';
    content: string | null;
    refusal?: string | null;
    tool_calls?: ChatToolCall[];
    annotations?: unknown[];
    [field: string]: unknown;
  };
  logprobs: unknown | null;
  finish_reason: FinishReason | null;
}

/** A non-streaming answer (`object: "chat.completion"`). */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: CompletionUsage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  [field: string]: unknown;
}

export interface ChatCompletionChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: Array<{
    index: number;
    id?: string;
    type?: 'function';
    function?: { name?: string; arguments?: string };
  }>;
  [field: string]: unknown;
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: ChatCompletionChunkDelta;
  logprobs?: unknown | null;
  finish_reason: FinishReason | null;
}

/**
 * One streamed event (`object: "chat.completion.chunk"`). With `stream_options.include_usage` every chunk
 * carries `usage: null` and one last chunk has `choices: []` and the usage of the whole request.
 */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
  service_tier?: string | null;
  [field: string]: unknown;
}

/** OpenAI's error envelope, as upstreams send it (fields may be missing on non-OpenAI servers). */
export interface OpenAIErrorEnvelope {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}
