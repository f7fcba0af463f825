import { errorBody, type ClientApi, type GatewayError } from '@switchyard/contracts';

/**
 * How the OpenAI Chat Completions API frames what the gateway writes itself: its error envelope (as a
 * whole response, and in-band in a stream that already started) and its stream terminator. The bytes of
 * answers come from the translator, already in this API.
 */
export const openAIChatCodec = {
  api: 'openai.chat' as ClientApi,
  /** `{"error": {"message", "type", "param", "code"}}` */
  errorBody(e: GatewayError): string {
    return JSON.stringify(errorBody(e));
  },
  /** OpenAI reports an error inside a stream as one more data event carrying the envelope. */
  streamError(e: GatewayError): string {
    return `data: ${JSON.stringify(errorBody(e))}\n\n`;
  },
  terminator: Buffer.from('data: [DONE]\n\n'),
  streamHeaders: {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  } as Record<string, string>,
  jsonContentType: 'application/json',
};

export type ClientCodec = typeof openAIChatCodec;
