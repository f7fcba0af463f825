import { Errors, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { ProviderError } from '../provider-adapter';
import type { EmbeddingsInput, EmbeddingsRequest } from './embeddings.types';

/** OpenAI's limit: at most 2048 inputs in one request. */
export const MAX_EMBEDDING_INPUTS = 2048;

export type EmbeddingsCheck =
  | {
      ok: true;
      body: EmbeddingsRequest;
      texts?: string[];
      tokens?: number[][];
      encoding: 'float' | 'base64';
      dimensions?: number;
      /** Characters of input text (token inputs count four per token): the basis of usage estimates. */
      promptChars: number;
    }
  | { ok: false; error: GatewayError };

const bad = (message: string, param: string | null, code: string | null = 'invalid_value'): EmbeddingsCheck => ({
  ok: false,
  error: Errors.invalidRequest(message, param, code),
});

const isTokenId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Checks an embeddings request as OpenAI does (its messages and params), and reads its inputs. Shared by the
 * gateway (which refuses bad requests before they travel) and the translator (which reads the inputs).
 */
export function checkEmbeddingsRequest(doc: unknown): EmbeddingsCheck {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc))
    return bad('The request body must be a JSON object.', null, null);
  const body = doc as Record<string, unknown>;
  const model = body['model'];
  if (model === undefined) return bad("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  if (typeof model !== 'string' || model.length === 0)
    return bad("Invalid type for 'model': expected a non-empty string.", 'model', 'invalid_type');
  const input = body['input'];
  if (input === undefined) return bad("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  let texts: string[] | undefined;
  let tokens: number[][] | undefined;
  if (typeof input === 'string') texts = [input];
  else if (Array.isArray(input)) {
    if (input.length === 0) return bad("Invalid 'input': empty array. Expected at least one input.", 'input');
    if (input.every((v) => typeof v === 'string')) texts = input as string[];
    else if (input.every(isTokenId)) tokens = [input as number[]];
    else if (input.every((v) => Array.isArray(v) && v.length > 0 && v.every(isTokenId))) tokens = input as number[][];
    else
      return bad(
        "Invalid 'input': expected a string, an array of strings, an array of token ids (integers), or an array of non-empty token-id arrays.",
        'input',
        'invalid_type',
      );
  } else {
    return bad(
      "Invalid type for 'input': expected a string, an array of strings, or token arrays.",
      'input',
      'invalid_type',
    );
  }
  const count = (texts ?? tokens)!.length;
  if (count > MAX_EMBEDDING_INPUTS)
    return bad(`Invalid 'input': ${count} inputs; at most ${MAX_EMBEDDING_INPUTS} may be sent at once.`, 'input');
  if (texts !== undefined && texts.some((t) => t.length === 0))
    return bad("Invalid 'input': an input is an empty string; every input must have text.", 'input');
  const encoding = body['encoding_format'] ?? 'float';
  if (encoding !== 'float' && encoding !== 'base64')
    return bad(
      `Invalid value for 'encoding_format': expected 'float' or 'base64', got ${JSON.stringify(encoding)}.`,
      'encoding_format',
    );
  const dimensions = body['dimensions'];
  if (
    dimensions !== undefined &&
    dimensions !== null &&
    !(typeof dimensions === 'number' && Number.isInteger(dimensions) && dimensions >= 1)
  ) {
    return bad("Invalid value for 'dimensions': expected a positive integer.", 'dimensions');
  }
  const user = body['user'];
  if (user !== undefined && typeof user !== 'string')
    return bad("Invalid type for 'user': expected a string.", 'user', 'invalid_type');
  const promptChars =
    texts !== undefined ? texts.reduce((n, t) => n + t.length, 0) : tokens!.reduce((n, t) => n + t.length * 4, 0);
  return {
    ok: true,
    body: body as EmbeddingsRequest,
    ...(texts !== undefined && { texts }),
    ...(tokens !== undefined && { tokens }),
    encoding,
    ...(typeof dimensions === 'number' && { dimensions }),
    promptChars,
  };
}

/** The translator's view of an embeddings request; a body that is not one throws a ProviderError (400). */
export function embeddingsInput(raw: Uint8Array, summary: RequestSummary): EmbeddingsInput {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  } catch {
    throw new ProviderError(Errors.invalidRequest('The request body is not valid JSON.'));
  }
  const checked = checkEmbeddingsRequest(doc);
  if (!checked.ok) throw new ProviderError(checked.error);
  return {
    raw,
    summary,
    body: checked.body,
    ...(checked.texts !== undefined && { texts: checked.texts }),
    ...(checked.tokens !== undefined && { tokens: checked.tokens }),
    encoding: checked.encoding,
    ...(checked.dimensions !== undefined && { dimensions: checked.dimensions }),
  };
}

/**
 * The inputs as text, for upstreams that take only text; token inputs are refused with a 400 that says
 * what to send instead (the gateway has no tokenizer to turn them back into text).
 */
export function textInputs(input: EmbeddingsInput, provider: string): readonly string[] {
  if (input.texts !== undefined) return input.texts;
  throw new ProviderError(
    Errors.invalidRequest(
      `This model's provider (${provider}) takes text only: send 'input' as a string or an array of strings, not token ids.`,
      'input',
      'unsupported_input',
    ),
  );
}

/** A 400 for an embeddings option the provider cannot honour. */
export function unsupportedEmbeddingOption(message: string, param: string): ProviderError {
  return new ProviderError(Errors.invalidRequest(message, param, 'unsupported_parameter'));
}
