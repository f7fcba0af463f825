import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { staticKeyCredentials } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';
import { normaliseGoogleError } from './gemini.errors';
import { buildGeminiRequest } from './gemini.request';
import { parseGeminiResponse } from './gemini.response';
import { GeminiStreamReader } from './gemini.stream';
import { geminiEmbeddings } from './gemini.embeddings';

/**
 * The Gemini API (Google AI Studio): `generateContent` / `streamGenerateContent?alt=sse` with the
 * deployment's key in `x-goog-api-key`. Each SSE event is a whole GenerateContentResponse.
 */
export const geminiAdapter: ProviderAdapter<'sse'> = {
  provider: 'gemini',
  api: 'native',
  streamFraming: 'sse',
  credentials: staticKeyCredentials,
  chat: {
    buildRequest: (input, deployment, ctx) => buildGeminiRequest(input, deployment, ctx),
    parseResponse: (body, input) => parseGeminiResponse(body, input),
    createStreamTranslator: (opts) =>
      canonicalStreamTranslator(
        opts,
        new GeminiStreamReader({ id: opts.request?.id, model: opts.request?.model, modelName: opts.request?.model }),
      ),
  },
  embeddings: geminiEmbeddings,
  normaliseError: (reply, deployment) => normaliseGoogleError(reply, deployment, 'gemini'),
};
