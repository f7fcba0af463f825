/**
 * Cohere Chat API v2 wire shapes (POST /v2/chat), as the official SDK's serialisers write them (snake_case).
 * Only what Switchyard writes or reads is spelled out; replies keep an index signature so fields we do not
 * read yet cost nothing.
 */

export interface CohereTextPart {
  type: 'text';
  text: string;
}

export interface CohereImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
}

export interface CohereThinkingPart {
  type: 'thinking';
  thinking: string;
}

export interface CohereToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type CohereMessage =
  | { role: 'system'; content: string | CohereTextPart[] }
  | { role: 'user'; content: string | Array<CohereTextPart | CohereImagePart> }
  | {
      role: 'assistant';
      content?: string | Array<CohereTextPart | CohereThinkingPart>;
      tool_calls?: CohereToolCall[];
      tool_plan?: string;
    }
  | { role: 'tool'; tool_call_id: string; content: string | CohereTextPart[] };

export interface CohereTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

export type CohereResponseFormat = { type: 'text' } | { type: 'json_object'; json_schema?: Record<string, unknown> };

export interface CohereThinking {
  type: 'enabled' | 'disabled';
  token_budget?: number;
}

/** The request body. Fields the gateway does not translate (k, safety_mode, documents...) pass through. */
export interface CohereChatRequest {
  model: string;
  messages: CohereMessage[];
  stream?: boolean;
  tools?: CohereTool[];
  strict_tools?: boolean;
  tool_choice?: 'REQUIRED' | 'NONE';
  response_format?: CohereResponseFormat;
  max_tokens?: number;
  stop_sequences?: string[];
  temperature?: number;
  seed?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  k?: number;
  p?: number;
  logprobs?: boolean;
  thinking?: CohereThinking;
  [field: string]: unknown;
}

export type CohereFinishReason = 'COMPLETE' | 'STOP_SEQUENCE' | 'MAX_TOKENS' | 'TOOL_CALL' | 'ERROR' | 'TIMEOUT';

export interface CohereUsage {
  billed_units?: { input_tokens?: number; output_tokens?: number; [field: string]: unknown } | null;
  tokens?: { input_tokens?: number; output_tokens?: number } | null;
  cached_tokens?: number | null;
}

/** Log-probabilities of one generated text piece: one number per token id, no per-token text. */
export interface CohereLogprobItem {
  text?: string | null;
  token_ids: number[];
  logprobs?: number[] | null;
}

/** A non-streamed answer. */
export interface CohereChatResponse {
  id: string;
  finish_reason: CohereFinishReason | string;
  message: {
    role: 'assistant';
    content?: Array<{ type: string; text?: string; thinking?: string; [field: string]: unknown }> | null;
    tool_calls?: Array<Partial<CohereToolCall> & { function?: { name?: string; arguments?: string } }> | null;
    tool_plan?: string | null;
    citations?: unknown[] | null;
  };
  usage?: CohereUsage | null;
  logprobs?: CohereLogprobItem[] | null;
  [field: string]: unknown;
}

/**
 * One streamed event (the SSE `data`; the SSE `event` name repeats `type`). `delta` holds what the event
 * adds; its shape depends on `type`.
 */
export interface CohereStreamEvent {
  type: string;
  id?: string;
  index?: number;
  delta?: {
    message?: {
      role?: string;
      content?: { type?: string; text?: string; thinking?: string } | unknown[];
      tool_plan?: string;
      tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } } | unknown[];
      citations?: unknown;
    };
    finish_reason?: string;
    error?: string | null;
    usage?: CohereUsage | null;
  };
  logprobs?: CohereLogprobItem | null;
  [field: string]: unknown;
}

/** Cohere's error body (`{"message": ...}`, sometimes with an `id`). */
export interface CohereErrorBody {
  id?: string;
  message?: string;
}
