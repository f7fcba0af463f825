import { randomUUID } from 'node:crypto';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { HttpRequest, HttpResponse } from './http.types';
import { Errors, errorBody, type GatewayError } from '@switchyard/contracts';
import { ApiException } from './api.exception';

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  limit?: number;
}

/** Maps every error, including Express body-parser and routing errors, to the OpenAI envelope. */
export function toGatewayError(exception: unknown, req?: Pick<HttpRequest, 'method' | 'path'>): GatewayError {
  if (exception instanceof ApiException) return exception.error;
  const raw = exception as BodyParserError;
  if (raw?.type === 'entity.too.large' || (exception instanceof HttpException && exception.getStatus() === 413)) {
    const limit = typeof raw?.limit === 'number' ? raw.limit : 0;
    return limit
      ? Errors.payloadTooLarge(limit)
      : { ...Errors.payloadTooLarge(0), message: 'Request body is too large. Send a smaller request.' };
  }
  if (raw?.type === 'entity.parse.failed') return malformedJson();
  if (isPostgresDataException(exception)) {
    // Class 22 is "data exception": the value, not the server, is at fault. Never echo Postgres' text (it can quote SQL).
    return Errors.invalidRequest(
      'A value in the request cannot be stored (for example a NUL character or an out-of-range number). Check the strings and numbers you sent.',
      null,
      'invalid_value',
    );
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Only Nest's own layers raise HttpException here: body parsing (400) and route matching (404).
    if (status === 400) {
      // Express raises URIError for a path like /v1/keys/%FF; everything else here is body parsing.
      if (/decode param/i.test(exception.message)) {
        return Errors.invalidRequest(
          'The URL path is not valid percent-encoding. Encode ids with encodeURIComponent.',
          null,
          'invalid_path',
        );
      }
      return malformedJson();
    }
    if (status === 404) {
      // The path is not echoed: callers paste secrets into URLs, and an error body must not carry them back.
      return Errors.notFound(
        `The admin API has no ${req?.method ?? ''} route at this path. See /docs for its routes.`.replace(/\s+/g, ' '),
      );
    }
    if (status < 500)
      return {
        kind: 'bad_request',
        status,
        message: exception.message,
        type: 'invalid_request_error',
        param: null,
        code: null,
      };
  }
  const status = raw?.statusCode ?? raw?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      kind: 'bad_request',
      status,
      message: 'The request could not be read. Check its Content-Type and encoding.',
      type: 'invalid_request_error',
      param: null,
      code: null,
    };
  }
  return Errors.internal('Internal error in the admin service; see its log. Retry later.');
}

/** A pg DatabaseError of SQLSTATE class 22 (data exception: 22021 bad byte sequence, 22P05 untranslatable character, ...). */
function isPostgresDataException(e: unknown): boolean {
  const err = e as { code?: unknown; severity?: unknown } | null;
  return typeof err?.code === 'string' && /^22[0-9A-Z]{3}$/.test(err.code) && typeof err.severity === 'string';
}

function malformedJson(): GatewayError {
  return Errors.invalidRequest(
    'The request body is not valid JSON. Send a JSON object with Content-Type: application/json.',
    null,
    'invalid_json',
  );
}

/** The gateway's request id when it forwarded the call (its `req_` + 32 hex form only), else a new one. */
function requestIdOf(req: Pick<HttpRequest, 'headers'>): string {
  const given = req.headers['x-request-id'];
  if (typeof given === 'string' && /^req_[0-9a-f]{32}$/.test(given)) return given;
  return `req_${randomUUID().replace(/-/g, '')}`;
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<HttpRequest>();
    const res = ctx.getResponse<HttpResponse>();
    const error = toGatewayError(exception, req);
    if (error.status >= 500) {
      this.logger.error(`${req.method} ${req.path} failed: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    if (res.headersSent) return;
    res.setHeader('x-request-id', requestIdOf(req));
    res.status(error.status).json(errorBody(error));
  }
}
