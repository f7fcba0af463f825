import { errorBody, type GatewayError, type RequestSummary } from '@switchyard/contracts';
import { checkCompletionRequest } from '@switchyard/providers';
import type { ClientCodec } from './client-codec';
import { openAIChatCodec } from './openai-chat.codec';
import { validateChatRequest } from './openai-chat.validator';

/** A stand-in conversation: lets the chat validator check the members the two APIs share. */
const NO_MESSAGES = [{ role: 'user', content: '' }];

/**
 * OpenAI's legacy Completions API (`POST /v1/completions`): `prompt` checked here, every member it shares
 * with chat (model, stream, stream_options, sampling settings, stop, user, metadata, routing hints) by the
 * chat validator, with OpenAI's messages. Streams end with `[DONE]`; a stream that breaks ends with one
 * `text_completion` chunk whose choices finish with `error` and carry the error beside them, as chat does.
 */
export const openAICompletionsCodec: ClientCodec = {
  api: 'openai.completions',
  summarise: validateCompletionRequest,
  errorBody: (e) => JSON.stringify(errorBody(e)),
  streamError: (e, ctx) => {
    const chunk = {
      id: `cmpl-${ctx.requestId}`,
      object: 'text_completion',
      created: ctx.created,
      model: ctx.model,
      choices: Array.from({ length: ctx.n }, (_, index) => ({
        text: '',
        index,
        logprobs: null,
        finish_reason: 'error',
      })),
      ...errorBody(e),
    };
    return `data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`;
  },
  terminator: openAIChatCodec.terminator,
  streamHeaders: openAIChatCodec.streamHeaders,
  jsonContentType: 'application/json',
};

export function validateCompletionRequest(
  body: unknown,
): { ok: true; value: RequestSummary } | { ok: false; error: GatewayError } {
  const checked = checkCompletionRequest(body);
  if (!checked.ok) return checked;
  const shared = validateChatRequest({ ...checked.body, messages: NO_MESSAGES });
  if (!shared.ok) return shared;
  return { ok: true, value: { ...shared.value, promptChars: checked.promptChars } };
}
