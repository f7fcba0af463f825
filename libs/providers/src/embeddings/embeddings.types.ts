import type { RequestSummary } from '@switchyard/contracts';

/** OpenAI's embeddings request (`POST /v1/embeddings`), as a client sends it. */
export interface EmbeddingsRequest {
  model: string;
  /** A string, an array of strings, an array of token ids, or an array of token-id arrays. */
  input: string | string[] | number[] | number[][];
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
  user?: string;
  [member: string]: unknown;
}

/** One vector of OpenAI's answer: floats, or their little-endian float32 bytes in base64. */
export interface EmbeddingObject {
  object: 'embedding';
  index: number;
  embedding: number[] | string;
}

/** OpenAI's embeddings answer (`object: "list"`). */
export interface EmbeddingsResponse {
  object: 'list';
  data: EmbeddingObject[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** What an adapter reads of a checked embeddings request: the inputs, one kind or the other, and the options. */
export interface EmbeddingsInput {
  /** The client's JSON bytes: pass-through adapters send these (with the model edited). */
  readonly raw: Uint8Array;
  readonly summary: RequestSummary;
  readonly body: EmbeddingsRequest;
  /** The inputs as text, when the client sent text. */
  readonly texts?: readonly string[];
  /** The inputs as token ids, when the client sent tokens (only OpenAI-compatible upstreams take them). */
  readonly tokens?: readonly (readonly number[])[];
  /** How the client wants vectors written. */
  readonly encoding: 'float' | 'base64';
  readonly dimensions?: number;
}
