import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientErrorStatus, ClientConnectionLimiter, writeRawResponse, type HttpEdgeSettings } from '@switchyard/http';
import { Errors, type GatewayError } from '@switchyard/contracts';
import { openAIChatCodec } from '../codecs/openai-chat.codec';
import { envelopeFor, errorHeaders } from './error-envelope';
import { newRequestId } from './request-id';
import { sendError } from './send-error';

/**
 * Fastify's own rejections, raised before any route or Nest filter runs (a malformed percent-escape in the
 * path, an over-long parameter), in the envelope of the client's API instead of Fastify's.
 */
export function frameworkError(error: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 ? error.statusCode : 400;
  let gatewayError: GatewayError;
  if (error.code === 'FST_ERR_BAD_URL') {
    gatewayError = Errors.invalidRequest(
      'The URL is not valid: it has a malformed percent-escape (%XX). Encode each path segment with encodeURIComponent.',
      null,
      'invalid_url',
    );
  } else if (status < 500) {
    gatewayError = { ...Errors.invalidRequest('The request URL could not be routed. Check the path.'), status };
  } else {
    gatewayError = Errors.internal('The gateway could not route this request. Retry it.');
  }
  sendError(reply, gatewayError, envelopeFor(req.raw.url));
}

/**
 * What Node's HTTP parser rejects before Fastify sees a request (headers too large, a request not received
 * within its timeout, bytes that are not HTTP): an answer in OpenAI's envelope, then the connection closes.
 */
export function clientErrorHandler(settings: HttpEdgeSettings) {
  return (err: NodeJS.ErrnoException, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = clientErrorStatus(err, settings);
    const error: GatewayError =
      status === 408
        ? { ...Errors.timeout(message), status: 408, type: 'invalid_request_error', code: 'request_timeout' }
        : { ...Errors.invalidRequest(message), status };
    writeRawResponse(socket, status, errorHeaders(error, newRequestId()), openAIChatCodec.errorBody(error));
  };
}

/**
 * Bounds connections per client address: a request arriving on a connection past the limit is answered
 * 429 and its connection closed, before its body is read.
 */
export function limitConnectionsPerClient(fastify: FastifyInstance, max: number): void {
  const limiter = new ClientConnectionLimiter(max);
  limiter.attach(fastify.server);
  if (max === 0) return;
  fastify.addHook('onRequest', (req, reply, done) => {
    if (!limiter.isOverLimit(req.raw.socket)) return done();
    reply.header('connection', 'close');
    sendError(
      reply,
      {
        ...Errors.rateLimited(
          `Too many open connections from your address (at most ${max}). Reuse connections (keep-alive) or close idle ones, then retry.`,
          1,
        ),
        code: 'too_many_connections',
      },
      envelopeFor(req.raw.url),
    );
  });
}
