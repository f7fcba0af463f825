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
import { vertexPublisherUrl } from '../vertex/vertex.url';
import { GEMINI_API_BASE, geminiModelId, googleHeaders } from './gemini.request';

/*
 * Embeddings on Google's two APIs:
 * - the Gemini API: `models/{m}:embedContent` for one input, `models/{m}:batchEmbedContents` for several
 *   (each request naming the model), `outputDimensionality` from `dimensions`. It reports no token counts:
 *   usage is estimated from the characters (and flagged as an estimate).
 * - Vertex AI: the publisher model's `:predict` with one instance per input, `parameters.outputDimensionality`;
 *   each prediction reports its `statistics.token_count`, whose sum is the usage.
 */

interface GeminiEmbedContent {
  model?: string;
  content: { parts: Array<{ text: string }> };
  outputDimensionality?: number;
}

function geminiRoot(deployment: ProviderDeployment): string {
  const base = (deployment.apiBase ?? GEMINI_API_BASE).replace(/\/+$/, '');
  return /\/v1(beta\d*|alpha)?$/.test(base) ? base : `${base}/v1beta`;
}

export function buildGeminiEmbeddingsRequest(
  input: EmbeddingsInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const key = ctx.credentials.apiKey;
  if (key === undefined || key.length === 0) {
    throw new Error(
      `deployment '${deployment.id}' (gemini/${deployment.model}) has no api_key; set litellm_params.api_key (or GEMINI_API_KEY).`,
    );
  }
  const texts = textInputs(input, 'gemini');
  const model = geminiModelId(deployment.model);
  const one = (text: string, withModel: boolean): GeminiEmbedContent => ({
    ...(withModel && { model: `models/${model}` }),
    content: { parts: [{ text }] },
    ...(input.dimensions !== undefined && { outputDimensionality: input.dimensions }),
  });
  const single = texts.length === 1;
  return {
    url: `${geminiRoot(deployment)}/models/${model}:${single ? 'embedContent' : 'batchEmbedContents'}`,
    method: 'POST',
    headers: googleHeaders(deployment, false, { 'x-goog-api-key': key }),
    body: JSON.stringify(single ? one(texts[0]!, false) : { requests: texts.map((t) => one(t, true)) }),
  };
}

export function parseGeminiEmbeddingsResponse(body: string | Uint8Array, input: EmbeddingsInput): ParsedResponse {
  const doc = parseJson(body, 'gemini') as {
    embedding?: { values?: unknown };
    embeddings?: Array<{ values?: unknown } | null>;
    usageMetadata?: { promptTokenCount?: unknown } | null;
  };
  const texts = input.texts ?? [];
  const raw =
    doc.embedding !== undefined
      ? [doc.embedding?.values]
      : Array.isArray(doc.embeddings)
        ? doc.embeddings.map((e) => e?.values)
        : undefined;
  const vectors = checkVectors(raw, texts.length, 'gemini');
  // Newer answers may count the input (usageMetadata); without it the request is billed by the estimate,
  // and the usage row says so.
  const counted = doc.usageMetadata?.promptTokenCount;
  if (typeof counted !== 'number' || !Number.isInteger(counted) || counted < 0)
    return estimatedEmbeddingsAnswer(input, vectors);
  const usage = inputUsage(counted);
  return { body: openAIEmbeddingsBody(input, vectors, usage), usage };
}

export function buildVertexEmbeddingsRequest(
  input: EmbeddingsInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const token = ctx.credentials.token?.value;
  if (token === undefined || token.length === 0) {
    throw new Error(
      `deployment '${deployment.id}' (vertex_ai/${deployment.model}) has no access token from its service account.`,
    );
  }
  const texts = textInputs(input, 'vertex_ai');
  // Vertex serves Gemini embedding models one instance per request (its text-embedding models take up to 250).
  if (/gemini-embedding/.test(deployment.model) && texts.length > 1) {
    throw unsupportedEmbeddingOption(
      `${deployment.model} on Vertex AI embeds one text per request; this request has ${texts.length}. Send one input per request, or use text-embedding-005 for batches.`,
      'input',
    );
  }
  const body: { instances: Array<{ content: string }>; parameters?: { outputDimensionality: number } } = {
    instances: texts.map((content) => ({ content })),
  };
  if (input.dimensions !== undefined) body.parameters = { outputDimensionality: input.dimensions };
  return {
    url: vertexPublisherUrl(
      deployment,
      'google',
      geminiModelId(deployment.model),
      'predict',
      ctx.credentials.projectId,
    ),
    method: 'POST',
    headers: googleHeaders(deployment, false, { authorization: `Bearer ${token}` }),
    body: JSON.stringify(body),
  };
}

export function parseVertexEmbeddingsResponse(body: string | Uint8Array, input: EmbeddingsInput): ParsedResponse {
  const doc = parseJson(body, 'vertex_ai') as {
    predictions?: Array<{ embeddings?: { values?: unknown; statistics?: { token_count?: unknown } } } | null>;
  };
  const predictions = Array.isArray(doc.predictions) ? doc.predictions : undefined;
  const vectors = checkVectors(
    predictions?.map((p) => p?.embeddings?.values),
    input.texts?.length ?? 0,
    'vertex_ai',
  );
  let tokens = 0;
  let counted = true;
  for (const p of predictions!) {
    const n = p?.embeddings?.statistics?.token_count;
    if (typeof n === 'number' && Number.isFinite(n) && n >= 0) tokens += Math.floor(n);
    else counted = false;
  }
  if (!counted) return estimatedEmbeddingsAnswer(input, vectors);
  const usage = inputUsage(tokens);
  return { body: openAIEmbeddingsBody(input, vectors, usage), usage };
}

function parseJson(body: string | Uint8Array, provider: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  } catch {
    throw badResponse(`The ${provider} embeddings answer is not JSON. Retry the request.`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    throw badResponse(`The ${provider} embeddings answer is not a JSON object. Retry the request.`);
  return doc as Record<string, unknown>;
}

export const geminiEmbeddings: EmbeddingsOperation = {
  buildRequest: buildGeminiEmbeddingsRequest,
  parseResponse: (body, input) => parseGeminiEmbeddingsResponse(body, input),
};

export const vertexEmbeddings: EmbeddingsOperation = {
  buildRequest: buildVertexEmbeddingsRequest,
  parseResponse: (body, input) => parseVertexEmbeddingsResponse(body, input),
};
