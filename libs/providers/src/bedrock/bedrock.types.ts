/**
 * The Bedrock runtime Converse / ConverseStream wire shapes (restJson1), as far as the adapter writes or
 * reads them. Names and nesting follow the API reference and @aws-sdk/client-bedrock-runtime's models;
 * blobs (`bytes`, `redactedContent`) travel as base64 strings in JSON.
 */

export interface BedrockCachePoint {
  cachePoint: { type: 'default'; ttl?: '5m' | '1h' };
}

export type BedrockImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface BedrockImageBlock {
  image: { format: BedrockImageFormat; source: { bytes: string } };
}

export interface BedrockToolUseBlock {
  toolUse: { toolUseId: string; name: string; input: unknown };
}

export type BedrockToolResultContent = { text: string } | { json: unknown } | BedrockImageBlock;

export interface BedrockToolResultBlock {
  toolResult: { toolUseId: string; content: BedrockToolResultContent[]; status?: 'success' | 'error' };
}

export type BedrockReasoningContent =
  | { reasoningText: { text: string; signature?: string } }
  /** Base64 of the encrypted reasoning (Anthropic's `redacted_thinking`). */
  | { redactedContent: string };

export interface BedrockReasoningBlock {
  reasoningContent: BedrockReasoningContent;
}

export type BedrockContentBlock =
  | { text: string }
  | BedrockImageBlock
  | BedrockToolUseBlock
  | BedrockToolResultBlock
  | BedrockReasoningBlock
  | BedrockCachePoint;

export interface BedrockMessage {
  role: 'user' | 'assistant';
  content: BedrockContentBlock[];
}

export type BedrockSystemBlock = { text: string } | BedrockCachePoint;

export interface BedrockInferenceConfig {
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stopSequences?: string[];
}

export interface BedrockToolSpec {
  toolSpec: { name: string; description?: string; inputSchema: { json: unknown }; strict?: boolean };
}

export type BedrockTool = BedrockToolSpec | BedrockCachePoint;

export type BedrockToolChoice =
  { auto: Record<string, never> } | { any: Record<string, never> } | { tool: { name: string } };

export interface BedrockToolConfig {
  tools: BedrockTool[];
  toolChoice?: BedrockToolChoice;
}

export interface BedrockOutputConfig {
  textFormat: {
    type: 'json_schema';
    structure: { jsonSchema: { schema: string; name?: string; description?: string } };
  };
}

/** The body of POST /model/{modelId}/converse and /converse-stream (the model id is in the path). */
export interface ConverseRequest {
  messages: BedrockMessage[];
  system?: BedrockSystemBlock[];
  inferenceConfig?: BedrockInferenceConfig;
  toolConfig?: BedrockToolConfig;
  additionalModelRequestFields?: Record<string, unknown>;
  requestMetadata?: Record<string, string>;
  serviceTier?: { type: 'priority' | 'default' | 'flex' | 'reserved' };
  outputConfig?: BedrockOutputConfig;
}

export type BedrockStopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'guardrail_intervened'
  | 'content_filtered'
  | 'malformed_model_output'
  | 'malformed_tool_use'
  | 'model_context_window_exceeded';

export interface BedrockTokenUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** A Converse answer (200). */
export interface ConverseResponse {
  output: { message?: BedrockMessage };
  stopReason: BedrockStopReason | string;
  usage: BedrockTokenUsage;
  metrics?: { latencyMs: number };
  additionalModelResponseFields?: unknown;
}

/*
 * ConverseStream event payloads, one per `:event-type`. Bedrock adds a `p` member of random padding to
 * each (so the size of an event does not tell its content); readers ignore it.
 */
export interface MessageStartEvent {
  role: 'assistant';
}

export interface ContentBlockStartEvent {
  contentBlockIndex: number;
  start: { toolUse?: { toolUseId: string; name: string } };
}

export interface ContentBlockDeltaEvent {
  contentBlockIndex: number;
  delta: {
    text?: string;
    toolUse?: { input: string };
    reasoningContent?: { text?: string; signature?: string; redactedContent?: string };
  };
}

export interface ContentBlockStopEvent {
  contentBlockIndex: number;
}

export interface MessageStopEvent {
  stopReason: BedrockStopReason | string;
  additionalModelResponseFields?: unknown;
}

export interface MetadataEvent {
  usage: BedrockTokenUsage;
  metrics?: { latencyMs: number };
}

/** Bedrock's error body (HTTP errors and stream exceptions alike). */
export interface BedrockErrorBody {
  message?: string;
  Message?: string;
  originalStatusCode?: number;
  originalMessage?: string;
}
