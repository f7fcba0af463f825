import type { TokenUsage } from '@switchyard/contracts';
import { badResponse } from '../errors/bad-response';
import type { ParsedResponse } from '../provider-adapter';
import { estimateTokens } from '../usage/usage.estimate';
import type { EmbeddingsInput, EmbeddingsResponse } from './embeddings.types';

/**
 * A vector as OpenAI writes it with `encoding_format: "base64"`: its float32 values, little-endian, in
 * base64 (what the OpenAI SDKs decode with a Float32Array).
 */
export function float32Base64(vector: readonly number[]): string {
  const buf = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) buf.writeFloatLE(vector[i]!, i * 4);
  return buf.toString('base64');
}

/** The floats of a base64 float32 vector (tests, and upstreams that answer base64 to a float request). */
export function base64Float32(text: string): number[] {
  const buf = Buffer.from(text, 'base64');
  const out: number[] = new Array<number>(buf.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

/** Checks that an upstream's vectors are lists of finite numbers; a 502 (retryable) when they are not. */
export function checkVectors(vectors: unknown, count: number, provider: string): number[][] {
  if (!Array.isArray(vectors) || vectors.length !== count)
    throw badResponse(
      `The ${provider} answer holds ${Array.isArray(vectors) ? vectors.length : 'no'} embeddings for ${count} inputs. Retry the request.`,
    );
  for (const v of vectors)
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x)))
      throw badResponse(`The ${provider} answer holds an embedding that is not a list of numbers. Retry the request.`);
  return vectors as number[][];
}

/**
 * OpenAI's embeddings answer for vectors a native provider returned: one `embedding` object per input, in
 * input order, each written as the client asked (floats, or base64 encoded here at the edge).
 */
export function openAIEmbeddingsBody(input: EmbeddingsInput, vectors: readonly number[][], usage: TokenUsage): string {
  const doc: EmbeddingsResponse = {
    object: 'list',
    data: vectors.map((v, index) => ({
      object: 'embedding',
      index,
      embedding: input.encoding === 'base64' ? float32Base64(v) : v,
    })),
    model: input.summary.model,
    usage: { prompt_tokens: usage.promptTokens, total_tokens: usage.promptTokens },
  };
  return JSON.stringify(doc);
}

/** Input-only usage: what an embeddings request is billed by. */
export function inputUsage(promptTokens: number): TokenUsage {
  return { promptTokens, completionTokens: 0, cachedTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 };
}

/**
 * The answer of a provider that reported no token counts: the body says the estimate the request is billed
 * by (from the input's characters), and `usage` is left undefined so the usage row is flagged as estimated.
 */
export function estimatedEmbeddingsAnswer(input: EmbeddingsInput, vectors: readonly number[][]): ParsedResponse {
  const usage = inputUsage(estimateTokens(input.summary.promptChars));
  return { body: openAIEmbeddingsBody(input, vectors, usage), usage: undefined, generatedChars: 0 };
}
