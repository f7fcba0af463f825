import { errorBody } from '@switchyard/contracts';
import type { ClientCodec } from './client-codec';
import { validateChatRequest } from './openai-chat.validator';

/**
 * The OpenAI Chat Completions API: requests checked as OpenAI checks them (openai-chat.validator.ts), errors
 * in `{"error": {"message", "type", "param", "code"}}`, and `data: [DONE]` at the end of a stream. A stream
 * that breaks after it began ends with one more chunk: every choice with `finish_reason: "error"` and the
 * error object beside them (the OpenAI SDKs raise it as an APIError), then `[DONE]`; never as if the answer
 * had finished.
 */
export const openAIChatCodec: ClientCodec = {
  api: 'openai.chat',
  summarise: validateChatRequest,
  errorBody: (e) => JSON.stringify(errorBody(e)),
  streamError: (e, ctx) => {
    const chunk = {
      id: `chatcmpl-${ctx.requestId}`,
      object: 'chat.completion.chunk',
      created: ctx.created,
      model: ctx.model,
      choices: Array.from({ length: ctx.n }, (_, index) => ({
        index,
        delta: {},
        logprobs: null,
        finish_reason: 'error',
      })),
      ...errorBody(e),
    };
    return `data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`;
  },
  terminator: Buffer.from('data: [DONE]\n\n'),
  streamHeaders: {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  },
  jsonContentType: 'application/json',
};
