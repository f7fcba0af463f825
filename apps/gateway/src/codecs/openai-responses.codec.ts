import { errorBody, type GatewayError } from '@switchyard/contracts';
import type { ClientCodec, StreamContext } from './client-codec';
import { openAIChatCodec } from './openai-chat.codec';
import { validateResponsesRequest } from './openai-responses.validator';

const EMPTY = new Uint8Array(0);

/**
 * The end of a Responses stream that broke after it began: OpenAI's `error` event (the SDKs raise it as an
 * APIError), then `response.failed` with the response's error, numbered after the last event the client got
 * (`lastSequence`, -1 when unknown).
 */
export function responsesStreamError(e: GatewayError, ctx: StreamContext, lastSequence: number): string {
  const { error } = errorBody(e);
  const failed = {
    id: ctx.responseId ?? `resp_${ctx.requestId}`,
    object: 'response',
    created_at: ctx.created,
    status: 'failed',
    background: false,
    error: { code: error.code ?? 'server_error', message: error.message },
    incomplete_details: null,
    model: ctx.model,
    output: [],
    usage: null,
  };
  const seq = lastSequence + 1;
  return (
    `event: error\ndata: ${JSON.stringify({ type: 'error', code: error.code, message: error.message, param: error.param, sequence_number: seq })}\n\n` +
    `event: response.failed\ndata: ${JSON.stringify({ type: 'response.failed', response: failed, sequence_number: seq + 1 })}\n\n`
  );
}

/**
 * OpenAI's Responses API (`POST /v1/responses`): requests checked as OpenAI checks them
 * (openai-responses.validator.ts), errors in `{"error": {"message", "type", "param", "code"}}`. A stream ends
 * with its own `response.completed` (written by the upstream, or by the translator's encoder), so the gateway
 * adds nothing at its end; one that breaks after it began ends with `error` and `response.failed`.
 */
export const openAIResponsesCodec: ClientCodec = {
  api: 'openai.responses',
  summarise: (body) => validateResponsesRequest(body),
  errorBody: (e) => JSON.stringify(errorBody(e)),
  streamError: (e, ctx) => responsesStreamError(e, ctx, -1),
  terminator: EMPTY,
  streamHeaders: openAIChatCodec.streamHeaders,
  jsonContentType: 'application/json',
};
