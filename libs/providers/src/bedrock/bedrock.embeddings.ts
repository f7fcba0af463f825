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
import { cohereInputType } from '../cohere/cohere.embeddings';
import type { EmbeddingsOperation, ParsedResponse, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { bedrockRegion } from './bedrock.credentials';
import { bedrockModel, encodeModelId } from './bedrock.model';
import { bedrockOrigin } from './bedrock.request';

/*
 * Embeddings on Bedrock, through the runtime's InvokeModel (`POST /model/{id}/invoke`) with each model
 * family's own body:
 * - Amazon Titan Text Embeddings (`amazon.titan-embed-text-v1`, `-v2:0`): `{inputText}` (v2 also
 *   `dimensions`: 256, 512 or 1024), one text per call, answered `{embedding, inputTextTokenCount}`.
 *   A request with several inputs is refused (400): Titan embeds one text per call.
 * - Cohere Embed on Bedrock (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`, `cohere.embed-v4:0`):
 *   `{texts, input_type}` (v4 also `output_dimension`), answered `{embeddings: [[...]]}`; token counts
 *   come in the `x-amzn-bedrock-input-token-count` header.
 */

type Family = 'titan' | 'titan-v2' | 'cohere' | 'cohere-v4';

function familyOf(deployment: ProviderDeployment): Family {
  const base = bedrockModel(deployment).base;
  if (base.startsWith('amazon.titan-embed-text-v2')) return 'titan-v2';
  if (base.startsWith('amazon.titan-embed')) return 'titan';
  if (base.startsWith('cohere.embed-v4')) return 'cohere-v4';
  if (base.startsWith('cohere.embed')) return 'cohere';
  throw unsupportedEmbeddingOption(
    `The model '${deployment.modelName}' (bedrock/${deployment.model}) is not an embedding model Switchyard can call on Bedrock: Amazon Titan Text Embeddings and Cohere Embed are.`,
    'model',
  );
}

export function buildBedrockEmbeddingsRequest(
  input: EmbeddingsInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const family = familyOf(deployment);
  const texts = textInputs(input, 'bedrock');
  let body: Record<string, unknown>;
  if (family === 'titan' || family === 'titan-v2') {
    if (texts.length !== 1) {
      throw unsupportedEmbeddingOption(
        `Amazon Titan embeds one text per request; this request has ${texts.length}. Send one input per request, or use a Cohere Embed model for batches.`,
        'input',
      );
    }
    body = { inputText: texts[0] };
    if (input.dimensions !== undefined) {
      if (family === 'titan') {
        throw unsupportedEmbeddingOption(
          "Amazon Titan Text Embeddings v1 has one size (1536); leave out 'dimensions', or use v2 (256, 512 or 1024).",
          'dimensions',
        );
      }
      body['dimensions'] = input.dimensions;
    }
  } else {
    body = { texts, input_type: cohereInputType(input) };
    if (input.dimensions !== undefined) {
      if (family === 'cohere') {
        throw unsupportedEmbeddingOption(
          "Cohere Embed v3 has one size (1024); leave out 'dimensions', or use cohere.embed-v4:0 (256, 512, 1024 or 1536).",
          'dimensions',
        );
      }
      body['output_dimension'] = input.dimensions;
    }
  }
  const model = bedrockModel(deployment);
  const region = ctx.credentials.aws?.region ?? bedrockRegion(deployment, {});
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  const extra = deployment.params?.extra_headers;
  if (extra !== undefined) for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
  return {
    url: `${bedrockOrigin(deployment, region)}/model/${encodeModelId(model.id)}/invoke`,
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  };
}

function header(headers: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function parseBedrockEmbeddingsResponse(
  body: string | Uint8Array,
  input: EmbeddingsInput,
  headers: Readonly<Record<string, string | string[] | undefined>>,
): ParsedResponse {
  let doc: { embedding?: unknown; inputTextTokenCount?: unknown; embeddings?: unknown };
  try {
    doc = JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString('utf8')) as typeof doc;
  } catch {
    throw badResponse('The bedrock embeddings answer is not JSON. Retry the request.');
  }
  if (doc === null || typeof doc !== 'object') throw badResponse('The bedrock embeddings answer is not an object.');
  const count = input.texts?.length ?? 0;
  let vectors: number[][];
  let tokens: number | undefined;
  if (doc.embedding !== undefined) {
    vectors = checkVectors([doc.embedding], count, 'bedrock');
    if (typeof doc.inputTextTokenCount === 'number') tokens = doc.inputTextTokenCount;
  } else {
    // Cohere answers a list of float lists, or (when embedding types were asked for) lists by type.
    const e = doc.embeddings as unknown;
    const floats = Array.isArray(e) ? e : (e as { float?: unknown } | null)?.float;
    vectors = checkVectors(floats, count, 'bedrock');
  }
  const counted = Number(header(headers, 'x-amzn-bedrock-input-token-count'));
  if (tokens === undefined && Number.isInteger(counted) && counted >= 0) tokens = counted;
  if (tokens === undefined) return estimatedEmbeddingsAnswer(input, vectors);
  const usage = inputUsage(Math.floor(tokens));
  return { body: openAIEmbeddingsBody(input, vectors, usage), usage };
}

export const bedrockEmbeddings: EmbeddingsOperation = {
  buildRequest: buildBedrockEmbeddingsRequest,
  parseResponse: parseBedrockEmbeddingsResponse,
};
