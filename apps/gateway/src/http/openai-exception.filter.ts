import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, type GatewayError } from '@switchyard/contracts';
import { sendError } from './send-error';

/** Whatever goes wrong, the client gets OpenAI's error envelope; only a real bug is a 500, and it is logged. */
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
    // Answering before the client has finished sending makes it fail with EPIPE instead of reading
    // our 413: read and discard the rest of the body first, up to a cap.
    if (error.status === 413 && !req.raw.complete) return afterDraining(req.raw, () => sendError(reply, error));
    sendError(reply, error);
  }
}

const CHAT_PATH = /^\/(v1\/)?chat\/completions(\?|$)/;

/** Bytes of an oversized body we are willing to discard so the client can read the error; past it we hang up. */
const DRAIN_CAP_BYTES = 64 * 1024 * 1024;

function afterDraining(raw: FastifyRequest['raw'], then: () => void): void {
  let seen = 0;
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > DRAIN_CAP_BYTES) raw.destroy();
  });
  raw.once('end', then);
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
    if (status === 404)
      return Errors.notFound(
        `Unknown request URL: ${req.method} ${req.url.split('?')[0]}. See the API reference for valid endpoints.`,
      );
    if (status === 405)
      return { ...Errors.invalidRequest(`Method ${req.method} is not allowed on ${req.url.split('?')[0]}.`), status };
    return { ...Errors.invalidRequest(exception.message), status };
  }
  const e = exception as { statusCode?: number; code?: string; message?: string };
  if (e?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return Errors.payloadTooLarge(bodyLimit);
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    return { ...Errors.invalidRequest(e.message ?? 'Bad request.'), status: e.statusCode };
  }
  logger.error(
    `unhandled error on ${req.method} ${req.url.split('?')[0]}: ${(exception as Error)?.stack ?? String(exception)}`,
  );
  return Errors.internal(
    'The gateway hit an unexpected error. It has been logged; retry, and report it if it persists.',
  );
}
