import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { staticKeyCredentials } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';
import { normaliseCohereError } from './cohere.errors';
import { buildCohereRequest } from './cohere.request';
import { parseCohereResponse } from './cohere.response';
import { CohereStreamReader } from './cohere.stream';
import { cohereEmbeddings } from './cohere.embeddings';

/**
 * Cohere's Chat API v2 (`cohere/` and LiteLLM's `cohere_chat/` prefix): its own request and answer shapes,
 * SSE events named by `type`; answers are written as OpenAI chat by the canonical encoder.
 */
export function createCohereAdapter(provider: string): ProviderAdapter<'sse'> {
  return {
    provider,
    api: 'native',
    streamFraming: 'sse',
    credentials: staticKeyCredentials,
    chat: {
      buildRequest: (input, deployment, ctx) => buildCohereRequest(input, deployment, ctx),
      parseResponse: (body, input) => parseCohereResponse(body, input),
      createStreamTranslator: (opts) => {
        const now = Date.now();
        const head = {
          id: opts.request?.id ?? `chatcmpl-${now.toString(36)}`,
          model: opts.request?.model ?? '',
          created: Math.floor(now / 1000),
        };
        return canonicalStreamTranslator(opts, new CohereStreamReader(head));
      },
    },
    embeddings: cohereEmbeddings,
    normaliseError: (reply, deployment) => normaliseCohereError(reply, deployment),
  };
}

export const cohereAdapter = createCohereAdapter('cohere');
export const cohereChatAdapter = createCohereAdapter('cohere_chat');
