import type { RequestContext } from '../credentials/credentials.types';
import type { ChatInput, ChatOperation, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { openAIHeaders, openAIUrl, type OpenAICompatibleProfile } from './openai.request';
import { parseOpenAIResponse } from './openai.response';
import { createOpenAIStreamTranslator } from './openai.stream';

/**
 * The upstream body of a legacy completions request to a server that speaks that API: the client's, with the
 * deployment's model, `stream_options.include_usage` on streams (so usage is always recorded; the client's
 * own choice decides whether it sees the usage chunk), and without the members only the gateway reads.
 */
export function openAICompletionsBody(
  input: ChatInput,
  deployment: ProviderDeployment,
  profile?: OpenAICompatibleProfile,
): string {
  const raw = input.raw;
  const out = JSON.parse(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8')) as Record<
    string,
    unknown
  >;
  out['model'] = deployment.model;
  const s = input.summary;
  if (profile?.noStreamOptions) delete out['stream_options'];
  else if (input.stream && !s.includeUsage) out['stream_options'] = { ...(s.streamOptions ?? {}), include_usage: true };
  for (const member of s.strip) delete out[member];
  return JSON.stringify(out);
}

export function buildOpenAICompletionsRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
  url: string,
  headers: Record<string, string>,
  profile?: OpenAICompatibleProfile,
): UpstreamRequest {
  if (input.stream) headers['accept'] = 'text/event-stream';
  return { url, method: 'POST', headers, body: openAICompletionsBody(input, deployment, profile) };
}

/**
 * Legacy completions (`{api_base}/completions`) of the OpenAI-compatible family: passed through, answers
 * forwarded byte for byte and only scanned for usage, like chat.
 */
export function openAICompletions(profile: OpenAICompatibleProfile): ChatOperation<'sse'> {
  return {
    buildRequest: (input, deployment, ctx) =>
      buildOpenAICompletionsRequest(
        input,
        deployment,
        ctx,
        openAIUrl(profile, deployment, 'completions'),
        openAIHeaders(deployment, ctx),
        profile,
      ),
    parseResponse: (body) => parseOpenAIResponse(body),
    createStreamTranslator: (opts) => createOpenAIStreamTranslator(opts),
  };
}
