import type { RequestContext } from '../credentials/credentials.types';
import { badResponse } from '../errors/bad-response';
import {
  checkVectors,
  estimatedEmbeddingsAnswer,
  inputUsage,
  openAIEmbeddingsBody,
} from '../embeddings/embeddings.response';
import { textInputs, unsupportedEmbeddingOption } from '../embeddings/embeddings.request';
import type { EmbeddingsInput } from '../embeddings/embeddings.types';
import type { EmbeddingsOperation, ParsedResponse, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';

/** Cohere's input types; OpenAI's request has none, so documents are assumed, as LiteLLM does. */
const INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering']);

/**
 * Cohere's `input_type`: the request's own `input_type` (LiteLLM passes this Cohere parameter through), else
 * `search_document`. A value Cohere does not know is refused here with the ones it does.
 */
export function cohereInputType(input: EmbeddingsInput): string {
  const given = input.body['input_type'];
  if (given === undefined || given === null) return 'search_document';
  if (typeof given !== 'string' || !INPUT_TYPES.has(given))
    throw unsupportedEmbeddingOption(
      `Invalid 'input_type' for a Cohere embedding model: expected one of ${[...INPUT_TYPES].join(', ')}.`,
      'input_type',
    );
  return given;
}

/**
 * Cohere Embed API v2 (`POST {api_base}/v2/embed`): `{model, texts, input_type, embedding_types: ["float"]}`,
 * `output_dimension` from `dimensions` (embed-v4.0 and later take it; Cohere refuses it for v3), answered
 * `{embeddings: {float: [...]}, meta: {billed_units: {input_tokens}}}`.
 */
export function buildCohereEmbeddingsRequest(
  input: EmbeddingsInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const texts = textInputs(input, deployment.provider);
  const body: Record<string, unknown> = {
    model: deployment.model,
    texts,
    input_type: cohereInputType(input),
    embedding_types: ['float'],
  };
  if (input.dimensions !== undefined) body['output_dimension'] = input.dimensions;
  const base = (deployment.apiBase ?? 'https://api.cohere.com').replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (ctx.credentials.apiKey) headers['authorization'] = `Bearer ${ctx.credentials.apiKey}`;
  const extra = deployment.params?.extra_headers;
  if (extra !== undefined) for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
  return { url: `${base}/v2/embed`, method: 'POST', headers, body: JSON.stringify(body) };
}

export function parseCohereEmbeddingsResponse(body: string | Uint8Array, input: EmbeddingsInput): ParsedResponse {
  let doc: { embeddings?: { float?: unknown } | null; meta?: { billed_units?: { input_tokens?: unknown } } | null };
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as typeof doc;
  } catch {
    throw badResponse('The cohere embeddings answer is not JSON. Retry the request.');
  }
  if (doc === null || typeof doc !== 'object') throw badResponse('The cohere embeddings answer is not an object.');
  const vectors = checkVectors(doc.embeddings?.float, input.texts?.length ?? 0, 'cohere');
  const billed = doc.meta?.billed_units?.input_tokens;
  if (typeof billed !== 'number' || !Number.isFinite(billed) || billed < 0)
    return estimatedEmbeddingsAnswer(input, vectors);
  const usage = inputUsage(Math.floor(billed));
  return { body: openAIEmbeddingsBody(input, vectors, usage), usage };
}

export const cohereEmbeddings: EmbeddingsOperation = {
  buildRequest: buildCohereEmbeddingsRequest,
  parseResponse: (body, input) => parseCohereEmbeddingsResponse(body, input),
};
