import { errorBody } from '@switchyard/contracts';
import type { ClientCodec } from './client-codec';
import { validateChatRequest } from './openai-chat.validator';

/**
 * The OpenAI Chat Completions API: requests checked as OpenAI checks them (openai-chat.validator.ts), errors
 * in `{"error": {"message", "type", "param", "code"}}` (in a stream, one more data event carrying it), and
 * `data: [DONE]` at the end of a stream.
 */
export const openAIChatCodec: ClientCodec = {
  api: 'openai.chat',
  summarise: validateChatRequest,
  errorBody: (e) => JSON.stringify(errorBody(e)),
  streamError: (e) => `data: ${JSON.stringify(errorBody(e))}\n\n`,
  terminator: Buffer.from('data: [DONE]\n\n'),
  streamHeaders: {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  },
  jsonContentType: 'application/json',
};
