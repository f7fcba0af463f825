import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { GatewayError } from '@switchyard/contracts';
import type { ErrorEnvelope } from '../codecs/client-codec';
import { openAIChatCodec } from '../codecs/openai-chat.codec';
import { errorHeaders } from './error-envelope';
import { newRequestId } from './request-id';

/**
 * Writes a GatewayError in the client API's envelope (OpenAI's by default) with its status, retry hints and
 * request id: the one already set on the reply (the pipeline's), else a new one.
 */
export function sendError(reply: FastifyReply, error: GatewayError, codec: ErrorEnvelope = openAIChatCodec): void {
  const set = reply.getHeader('x-request-id');
  const requestId = typeof set === 'string' ? set : newRequestId();
  const status = codec.statusFor?.(error) ?? error.status;
  void reply.code(status).headers(errorHeaders(error, requestId)).send(codec.errorBody(error));
}

/** The same, on a raw response the handler has taken over (reply.hijack()). */
export function writeError(
  res: ServerResponse,
  error: GatewayError,
  requestId: string,
  codec: ErrorEnvelope = openAIChatCodec,
  extra: Record<string, string> = {},
): void {
  res.writeHead(codec.statusFor?.(error) ?? error.status, { ...errorHeaders(error, requestId), ...extra });
  res.end(codec.errorBody(error));
}
