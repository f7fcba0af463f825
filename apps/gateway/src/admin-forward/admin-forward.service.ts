import { Inject, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ENV, redactUrl, type Env } from '@switchyard/config';
import { Errors } from '@switchyard/contracts';
import { newRequestId } from '../http/request-id';
import { sendError } from '../http/send-error';

/** Request headers the admin service reads; everything else (hop-by-hop, cookies, ...) stays here. */
const FORWARDED_REQUEST_HEADERS = ['authorization', 'content-type', 'accept', 'user-agent'] as const;
/** Response headers passed back to the client. */
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'cache-control', 'location', 'www-authenticate'] as const;
/** Admin calls are small and quick; one that takes longer than this is answered 504. */
const ADMIN_TIMEOUT_MS = 60_000;

/**
 * One base URL, as with LiteLLM: the admin routes (`/key/generate`, `/v1/teams`, ...) answered on the
 * gateway's port by forwarding them to the admin service (SWITCHYARD_ADMIN_URL), which authenticates them
 * as it does on its own port. The gateway adds only a request id, and a 503 when admin cannot be reached.
 */
@Injectable()
export class AdminForwardService {
  private readonly logger = new Logger('AdminForward');
  private readonly origin: string;

  constructor(@Inject(ENV) env: Env) {
    this.origin = new URL(env.SWITCHYARD_ADMIN_URL).origin;
  }

  async forward(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const requestId = newRequestId();
    reply.header('x-request-id', requestId);
    const headers: Record<string, string> = { 'x-request-id': requestId };
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const v = req.headers[name];
      if (typeof v === 'string') headers[name] = v;
    }
    const raw = (req as FastifyRequest & { rawBody?: Buffer }).rawBody;
    let res: Response;
    try {
      // req.url always starts with the matched route's path ("/key/...", "/v1/teams..."), so it cannot
      // name another host.
      res = await fetch(`${this.origin}${req.url}`, {
        method: req.method,
        headers,
        body: raw && raw.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? raw : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const timedOut = err.name === 'TimeoutError';
      this.logger.warn(
        `request ${requestId}: admin at ${redactUrl(this.origin)} ${timedOut ? 'did not answer in time' : `is unreachable (${err.cause?.code ?? err.message})`}`,
      );
      return sendError(
        reply,
        timedOut
          ? Errors.timeout('The admin service did not answer in time. Retry in a moment.')
          : Errors.unavailable(
              'The admin routes are not available right now: the admin service cannot be reached. Retry in a moment; if it persists, the operator should check that the admin service is running.',
            ),
      );
    }
    const body = Buffer.from(await res.arrayBuffer());
    for (const name of FORWARDED_RESPONSE_HEADERS) {
      const v = res.headers.get(name);
      if (v !== null) reply.header(name, v);
    }
    void reply.code(res.status).send(body);
  }
}
