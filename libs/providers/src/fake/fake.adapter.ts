import type { ProviderDeployment } from '../provider-deployment';
import { normaliseOpenAIError } from '../openai/openai.errors';
import { buildOpenAIRequest } from '../openai/openai.request';
import { parseOpenAIResponse } from '../openai/openai.response';
import { createOpenAIStreamTranslator } from '../openai/openai.stream';
import type { ProviderAdapter } from '../provider-adapter';
import { serveFake } from './fake.responder';

/**
 * The built-in demo provider (`litellm_params.model: "fake/<name>"`): speaks the OpenAI wire format and is
 * served in process, so it shares every translation step with real OpenAI-compatible upstreams.
 */
export const fakeAdapter: ProviderAdapter = {
  provider: 'fake',
  streamFraming: 'sse',
  transport: 'in-process',
  buildRequest: (input, deployment: ProviderDeployment) =>
    buildOpenAIRequest(
      { provider: 'fake' },
      input,
      deployment,
      `fake://local/${encodeURIComponent(deployment.model)}/chat/completions`,
    ),
  parseResponse: (body) => parseOpenAIResponse(body),
  createStreamTranslator: (opts) => createOpenAIStreamTranslator(opts),
  normaliseError: (reply, deployment) => normaliseOpenAIError(reply, deployment),
  serve: (request) => serveFake(request),
};
