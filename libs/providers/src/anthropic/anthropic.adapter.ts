import { staticKeyCredentials, type CredentialSource } from '../credentials/credentials.types';
import type { ProviderAdapter } from '../provider-adapter';
import { normaliseAnthropicError } from './anthropic.errors';
import { ANTHROPIC_API, buildAnthropicRequest, type AnthropicApiVariant } from './anthropic.request';
import { createAnthropicPassthrough } from './anthropic.passthrough';
import { parseAnthropicResponse } from './anthropic.response';
import { createAnthropicStreamTranslator } from './anthropic.stream';

/**
 * An adapter for an Anthropic Messages API: Anthropic's own, or a variant of it on another cloud (a
 * different URL, authentication and small body edits; see AnthropicApiVariant). Answers are translated
 * into OpenAI chat completions; requests of Messages clients pass through (anthropic.passthrough.ts).
 */
export function createAnthropicAdapter(
  variant: AnthropicApiVariant,
  credentials: CredentialSource = staticKeyCredentials,
): ProviderAdapter<'sse'> {
  return {
    provider: variant.provider,
    api: 'native',
    streamFraming: 'sse',
    credentials,
    chat: {
      buildRequest: (input, deployment, ctx) => buildAnthropicRequest(variant, input, deployment, ctx),
      parseResponse: (body) => parseAnthropicResponse(body),
      createStreamTranslator: (opts) => createAnthropicStreamTranslator(opts),
    },
    // Messages clients (the Anthropic SDKs, Claude Code) are passed through.
    passthrough: { 'anthropic.messages': createAnthropicPassthrough(variant) },
    normaliseError: (reply, deployment) => normaliseAnthropicError(reply, deployment),
  };
}

/** `anthropic/<model>`: POST {api_base}/v1/messages with the deployment's api_key as `x-api-key`. */
export const anthropicAdapter: ProviderAdapter<'sse'> = createAnthropicAdapter(ANTHROPIC_API);
