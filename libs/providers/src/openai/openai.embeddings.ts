import type { RequestContext } from '../credentials/credentials.types';
import { badResponse } from '../errors/bad-response';
import { base64Float32, float32Base64 } from '../embeddings/embeddings.response';
import type { EmbeddingsInput } from '../embeddings/embeddings.types';
import type { EmbeddingsOperation, ParsedResponse, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { openAIHeaders, openAIUrl, type OpenAICompatibleProfile } from './openai.request';
import { toTokenUsage } from './openai.response';

/**
 * The upstream body of an OpenAI-API embeddings request: the client's, with the deployment's model and
 * without the members only the gateway reads. Every other member (dimensions, encoding_format, user, token
 * inputs) goes as it came: the server speaks this API.
 */
export function openAIEmbeddingsUpstreamBody(input: EmbeddingsInput, deployment: ProviderDeployment): string {
  const out: Record<string, unknown> = { ...input.body, model: deployment.model };
  for (const member of input.summary.strip) delete out[member];
  return JSON.stringify(out);
}

export function buildOpenAIEmbeddingsRequest(
  input: EmbeddingsInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
  url: string,
  headers = openAIHeaders(deployment, ctx),
): UpstreamRequest {
  return { url, method: 'POST', headers, body: openAIEmbeddingsUpstreamBody(input, deployment) };
}

interface WireEmbeddings {
  data?: Array<{ embedding?: unknown } | null>;
  usage?: { prompt_tokens?: number; total_tokens?: number } | null;
}

/**
 * An OpenAI-API embeddings answer: forwarded as it came, usage read from it. A compatible server that
 * ignores `encoding_format: "base64"` (answers floats) gets its vectors encoded here, so the client always
 * receives what it asked for; likewise base64 where floats were asked for.
 */
export function parseOpenAIEmbeddingsResponse(body: string | Uint8Array, input: EmbeddingsInput): ParsedResponse {
  let doc: WireEmbeddings;
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as WireEmbeddings;
  } catch {
    throw badResponse('The provider answered the embeddings request with a body that is not JSON. Retry the request.');
  }
  if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.data))
    throw badResponse(
      'The provider answered the embeddings request with JSON that is not an embeddings list (no "data"). Check the deployment\'s api_base.',
    );
  let rewrite = false;
  for (const item of doc.data) {
    const e = item?.embedding;
    if (input.encoding === 'base64' && Array.isArray(e)) {
      (item as { embedding: unknown }).embedding = float32Base64(e as number[]);
      rewrite = true;
    } else if (input.encoding === 'float' && typeof e === 'string') {
      (item as { embedding: unknown }).embedding = base64Float32(e);
      rewrite = true;
    } else if (!Array.isArray(e) && typeof e !== 'string') {
      throw badResponse('The provider answered the embeddings request with an item that has no embedding. Retry.');
    }
  }
  const u = doc.usage;
  const usage =
    u !== null && typeof u === 'object'
      ? toTokenUsage({ prompt_tokens: u.prompt_tokens ?? 0, completion_tokens: 0, total_tokens: u.total_tokens ?? 0 })
      : undefined;
  return { body: rewrite ? JSON.stringify(doc) : null, usage };
}

/** Embeddings of the OpenAI-compatible family: `{api_base}/embeddings`, bodies passed through. */
export function openAIEmbeddings(profile: OpenAICompatibleProfile): EmbeddingsOperation {
  return {
    buildRequest: (input, deployment, ctx) =>
      buildOpenAIEmbeddingsRequest(input, deployment, ctx, openAIUrl(profile, deployment, 'embeddings')),
    parseResponse: (body, input) => parseOpenAIEmbeddingsResponse(body, input),
  };
}
