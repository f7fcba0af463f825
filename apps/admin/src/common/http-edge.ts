import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import {
  applyServerTimeouts,
  clientErrorStatus,
  ClientConnectionLimiter,
  endConnectionsAfterGrace,
  writeRawResponse,
  type HttpEdgeSettings,
} from '@switchyard/http';
import { Errors, errorBody, type GatewayError } from '@switchyard/contracts';

interface Req {
  socket: Socket;
}
interface Res {
  setHeader(name: string, value: string): unknown;
  status(code: number): { json(body: unknown): unknown };
}

/**
 * The admin's HTTP edge, bounded like the gateway's: header and request timeouts, connections per client
 * address, the parser's own rejections in the OpenAI envelope, and a shutdown that ends connections still
 * open after the grace period. Returns the middleware that answers requests past the connection limit.
 */
export function hardenAdminServer(
  server: Server,
  edge: HttpEdgeSettings,
  onForcedClose: (open: number) => void,
): (req: Req, res: Res, next: () => void) => void {
  applyServerTimeouts(server, edge);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { status, message } = clientErrorStatus(err, edge);
    const error: GatewayError = { ...Errors.invalidRequest(message), status };
    writeRawResponse(socket, status, { 'content-type': 'application/json' }, JSON.stringify(errorBody(error)));
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => endConnectionsAfterGrace(server, edge.shutdownGraceMs, onForcedClose));
  }
  const limiter = new ClientConnectionLimiter(edge.maxConnectionsPerClient);
  limiter.attach(server);
  return (req, res, next) => {
    if (!limiter.isOverLimit(req.socket)) return next();
    res.setHeader('connection', 'close');
    res.status(429).json(
      errorBody({
        ...Errors.rateLimited(
          `Too many open connections from your address (at most ${limiter.max}). Reuse connections (keep-alive) or close idle ones, then retry.`,
        ),
        code: 'too_many_connections',
      }),
    );
  };
}
