/**
 * The GenerateContent wire shapes (Gemini API `v1beta` and Vertex AI `v1`, which share them), as far as the
 * adapter writes or reads them. Field names are the REST API's lowerCamelCase JSON names. Every object keeps
 * an index signature on the response side: Google adds fields often, and unknown ones are ignored.
 */

export interface GeminiBlob {
  mimeType: string;
  /** Base64 (standard alphabet). */
  data: string;
}

export interface GeminiFileData {
  mimeType: string;
  /** A Files API URI, a `gs://` object, or an http(s) URL. */
  fileUri: string;
}

export interface GeminiFunctionCall {
  /** Set by the API on some models; echoed on the call and its functionResponse when it was. */
  id?: string;
  name: string;
  args?: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  /** A JSON object: `output` / `error` keys by convention, or the whole object is the output. */
  response: Record<string, unknown>;
}

export interface GeminiPart {
  text?: string;
  /** The part is a thought summary (only with `thinkingConfig.includeThoughts`). */
  thought?: boolean;
  /** Opaque (base64) context of the model's thinking; must be sent back on the part that carried it. */
  thoughtSignature?: string;
  inlineData?: GeminiBlob;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  [field: string]: unknown;
}

export type GeminiRole = 'user' | 'model';

export interface GeminiContent {
  role: GeminiRole;
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** Full JSON Schema (mutually exclusive with `parameters`, the OpenAPI subset). */
  parametersJsonSchema?: unknown;
}

export interface GeminiTool {
  functionDeclarations: GeminiFunctionDeclaration[];
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE';

export interface GeminiToolConfig {
  functionCallingConfig: { mode: GeminiFunctionCallingMode; allowedFunctionNames?: string[] };
}

export type GeminiThinkingLevel = 'MINIMAL' | 'LOW' | 'MEDIUM' | 'HIGH';

export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  /** Gemini 2.5: tokens of thinking (0 turns it off where the model allows, -1 lets the model decide). */
  thinkingBudget?: number;
  /** Gemini 3 and later; never together with thinkingBudget. */
  thinkingLevel?: GeminiThinkingLevel;
}

export interface GeminiSafetySetting {
  category: string;
  threshold: string;
  [field: string]: unknown;
}

export interface GeminiGenerationConfig {
  stopSequences?: string[];
  responseMimeType?: string;
  /** Full JSON Schema for the answer (mutually exclusive with `responseSchema`, the OpenAPI subset). */
  responseJsonSchema?: unknown;
  candidateCount?: number;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  thinkingConfig?: GeminiThinkingConfig;
}

/** POST .../models/{model}:generateContent (and :streamGenerateContent?alt=sse) body. */
export interface GenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: { parts: GeminiPart[] };
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  safetySettings?: GeminiSafetySetting[];
  generationConfig?: GeminiGenerationConfig;
  /** `cachedContents/...`: an explicit context cache created beforehand. */
  cachedContent?: string;
  [field: string]: unknown;
}

export type GeminiFinishReason =
  | 'FINISH_REASON_UNSPECIFIED'
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'IMAGE_PROHIBITED_CONTENT'
  | 'IMAGE_RECITATION'
  | 'UNEXPECTED_TOOL_CALL'
  | 'TOO_MANY_TOOL_CALLS'
  | (string & {});

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: GeminiFinishReason;
  index?: number;
  [field: string]: unknown;
}

export interface GeminiUsageMetadata {
  /** The whole prompt, cached part included. */
  promptTokenCount?: number;
  /** Generated answer tokens, thoughts excluded. */
  candidatesTokenCount?: number;
  /** Thinking tokens (billed as output). */
  thoughtsTokenCount?: number;
  /** The part of the prompt read from a context cache (implicit or explicit). */
  cachedContentTokenCount?: number;
  /** Prompt tokens of server-side tool results (search, code execution). */
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
  [field: string]: unknown;
}

export interface GenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string; [field: string]: unknown };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  [field: string]: unknown;
}

/** Google's error envelope (google.rpc.Status as JSON). */
export interface GoogleErrorBody {
  error: {
    code?: number;
    message?: string;
    /** The canonical code name: INVALID_ARGUMENT, RESOURCE_EXHAUSTED, ... */
    status?: string;
    details?: Array<{ '@type'?: string; reason?: string; retryDelay?: string; [field: string]: unknown }>;
  };
}
