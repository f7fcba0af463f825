import type { ProviderAdapter } from '../provider-adapter';
import { createBedrockCredentials } from './bedrock.credentials';
import { normaliseBedrockError } from './bedrock.errors';
import { buildBedrockRequest } from './bedrock.request';
import { bedrockCompletionId, parseBedrockResponse } from './bedrock.response';
import { signBedrockRequest } from './bedrock.signer';
import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { BedrockStreamReader } from './bedrock.stream';

/**
 * AWS Bedrock through the runtime's Converse API (`bedrock/<model id>`, or LiteLLM's `bedrock/converse/...`):
 * requests translated to Converse and signed with SigV4, answers and ConverseStream event streams translated
 * back to OpenAI chat completions.
 */
export const bedrockAdapter: ProviderAdapter<'aws-eventstream'> = {
  provider: 'bedrock',
  api: 'native',
  streamFraming: 'aws-eventstream',
  credentials: createBedrockCredentials(),
  chat: {
    buildRequest: (input, deployment, ctx) => buildBedrockRequest(input, deployment, ctx),
    signRequest: async (request, ctx) => {
      const aws = ctx.credentials.aws;
      if (aws === undefined) throw new Error('bedrock requests need AWS keys; the credentials resolved to none');
      return signBedrockRequest(request, aws, ctx.now());
    },
    parseResponse: (body, input) => parseBedrockResponse(body, input),
    createStreamTranslator: (opts) =>
      canonicalStreamTranslator(
        opts,
        new BedrockStreamReader({
          id: opts.request?.id ?? bedrockCompletionId(),
          model: opts.request?.model ?? '',
          created: Math.floor(Date.now() / 1000),
        }),
      ),
  },
  normaliseError: (reply, deployment) => normaliseBedrockError(reply, deployment),
};
