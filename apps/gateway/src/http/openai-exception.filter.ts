import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, type GatewayError } from '@switchyard/contracts';
import { envelopeFor } from './error-envelope';
import { sendError } from './send-error';
import { unservedEndpointMessage } from './unserved-endpoints';

/**
 * Whatever goes wrong, the client gets the error envelope of its API (OpenAI's, or Anthropic's on
 * `/v1/messages`); only a real bug is a 500, and it is logged.
 */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  /**
   * @param onChatRejected called for a chat completion refused before its handler ran (unparsable or
   *   oversized body): it records the request's usage event and returns its request id.
   */
  constructor(
    private readonly bodyLimit: number,
    private readonly onChatRejected?: (req: FastifyRequest, error: GatewayError) => string,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    if (reply.sent || reply.raw.headersSent) return;
    const error = toGatewayError(exception, req, this.logger, this.bodyLimit);
    if (this.onChatRejected && req.method === 'POST' && CHAT_PATH.test(req.url)) {
      reply.header('x-request-id', this.onChatRejected(req, error));
    }
    if (error.status === 413 && !req.raw.complete) discardRest(req.raw, reply);
    sendError(reply, error, envelopeFor(req.url));
  }
}

/** The front doors whose refused requests are recorded (chat completions, Anthropic messages). */
const CHAT_PATH = /^\/(v1\/)?(chat\/completions|messages(\/count_tokens)?)(\?|$)/;

/**
 * How long the rest of an oversized body is read and discarded after its 413 went out. The 413 is written at
 * once, but closing a socket with unread bytes resets it, and a reset can make the client drop our answer
 * before reading it; so we keep reading, without storing, for this long, and then close.
 */
export const DISCARD_WINDOW_MS = 5_000;

function discardRest(raw: FastifyRequest['raw'], reply: FastifyReply): void {
  // Fastify asks to close the connection after a body it stopped reading; keeping it open while we discard is
  // what lets the client read the answer, and the connection is reusable if the body ends in time.
  reply.removeHeader('connection');
  const timer = setTimeout(() => raw.socket.destroy(), DISCARD_WINDOW_MS);
  timer.unref();
  raw.on('data', () => undefined);
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
  raw.resume();
}

export function toGatewayError(
  exception: unknown,
  req: { method: string; url: string },
  logger: Logger,
  bodyLimit: number,
): GatewayError {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status === 413) return Errors.payloadTooLarge(bodyLimit);
    if (status === 404) {
      const unserved = unservedEndpointMessage(req.url);
      if (unserved) return { ...Errors.notFound(unserved), code: 'endpoint_not_supported' };
      return Errors.notFound(
        `Unknown request URL: ${req.method} ${req.url.split('?')[0]}. See the API reference for valid endpoints.`,
      );
    }
    if (status === 405)
      return { ...Errors.invalidRequest(`Method ${req.method} is not allowed on ${req.url.split('?')[0]}.`), status };
    return { ...Errors.invalidRequest(exception.message), status };
  }
  const e = exception as { statusCode?: number; code?: string; message?: string; param?: unknown };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return Errors.payloadTooLarge(bodyLimit);
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const param = typeof e.param === 'string' ? e.param : null;
    return { ...Errors.invalidRequest(e.message ?? 'Bad request.', param), status: e.statusCode };
  }
  logger.error(
    `unhandled error on ${req.method} ${req.url.split('?')[0]}: ${(exception as Error)?.stack ?? String(exception)}`,
  );
  return Errors.internal(
    'The gateway hit an unexpected error. It has been logged; retry, and report it if it persists.',
  );
}
