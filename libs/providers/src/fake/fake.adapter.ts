import type { ProviderDeployment } from '../provider-deployment';
import { normaliseOpenAIError } from '../openai/openai.errors';
import { buildOpenAIRequest } from '../openai/openai.request';
import { parseOpenAIResponse } from '../openai/openai.response';
import { createOpenAIStreamTranslator } from '../openai/openai.stream';
import { staticKeyCredentials } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';

/**
 * Where the built-in fake provider lives. Nothing listens there (`.invalid` never resolves): the
 * translator's pools answer this origin in process with serveFake(), through the same HTTP-shaped path as
 * every other upstream.
 */
export const FAKE_ORIGIN = 'http://switchyard-fake.invalid';

/**
 * The built-in demo provider (`litellm_params.model: "fake/<name>"`): speaks the OpenAI wire format, so it
 * shares every translation step with real OpenAI-compatible upstreams.
 */
export const fakeAdapter: ProviderAdapter = {
  provider: 'fake',
  api: 'openai.chat',
  streamFraming: 'sse',
  credentials: staticKeyCredentials,
  chat: {
    buildRequest: (input, deployment: ProviderDeployment, ctx) =>
      buildOpenAIRequest(
        { provider: 'fake' },
        input,
        deployment,
        ctx,
        `${FAKE_ORIGIN}/${encodeURIComponent(deployment.model)}/chat/completions`,
      ),
    parseResponse: (body) => parseOpenAIResponse(body),
    createStreamTranslator: (opts) => createOpenAIStreamTranslator(opts),
  },
  normaliseError: (reply, deployment) => normaliseOpenAIError(reply, deployment),
};
