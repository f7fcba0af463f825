import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { errorBody, type GatewayError } from '@switchyard/contracts';

function errorHeaders(error: GatewayError): Record<string, string> {
  const h: Record<string, string> = { 'content-type': 'application/json' };
  if (error.retryAfter !== undefined) h['retry-after'] = String(Math.ceil(error.retryAfter));
  if (error.status === 401) h['www-authenticate'] = 'Bearer';
  return h;
}

/** Writes a GatewayError as OpenAI's error envelope with its status and retry hint. */
export function sendError(reply: FastifyReply, error: GatewayError): void {
  void reply
    .code(error.status)
    .headers(errorHeaders(error))
    .send(JSON.stringify(errorBody(error)));
}

/** The same, on a raw response the handler has taken over (reply.hijack()). */
export function writeError(res: ServerResponse, error: GatewayError, extra: Record<string, string> = {}): void {
  res.writeHead(error.status, { ...errorHeaders(error), ...extra });
  res.end(JSON.stringify(errorBody(error)));
}
