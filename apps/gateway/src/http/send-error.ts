import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { GatewayError } from '@switchyard/contracts';
import type { ClientCodec } from '../codecs/client-codec';
import { openAIChatCodec } from '../codecs/openai-chat.codec';

function errorHeaders(error: GatewayError): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (error.retryAfter !== undefined) h['retry-after'] = String(Math.ceil(error.retryAfter));
  if (error.status === 401) h['www-authenticate'] = 'Bearer';
  return h;
}

/** Writes a GatewayError in the client API's envelope (OpenAI's by default) with its status and retry hint. */
export function sendError(reply: FastifyReply, error: GatewayError, codec: ClientCodec = openAIChatCodec): void {
  void reply.code(error.status).headers(errorHeaders(error)).send(codec.errorBody(error));
}

/** The same, on a raw response the handler has taken over (reply.hijack()). */
export function writeError(
  res: ServerResponse,
  error: GatewayError,
  extra: Record<string, string> = {},
  codec: ClientCodec = openAIChatCodec,
): void {
  res.writeHead(error.status, { ...errorHeaders(error), ...extra });
  res.end(codec.errorBody(error));
}
