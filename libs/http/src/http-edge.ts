import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { Env } from '@switchyard/config';

/**
 * What bounds a service's HTTP edge against clients that hold connections without finishing requests
 * (gateway and admin alike): header, request and keep-alive timeouts, connections per client address, and
 * how long shutdown waits for connections still open.
 */
export interface HttpEdgeSettings {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** 0 = no limit. */
  maxConnectionsPerClient: number;
  shutdownGraceMs: number;
}

export function httpEdgeSettings(env: Env): HttpEdgeSettings {
  return {
    headersTimeoutMs: env.SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: env.SWITCHYARD_HTTP_KEEPALIVE_TIMEOUT_MS,
    maxConnectionsPerClient: env.SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT,
    shutdownGraceMs: env.SWITCHYARD_SHUTDOWN_GRACE_MS,
  };
}

/**
 * Node's server options for those timeouts. Node enforces header and request timeouts on a sweep every
 * `connectionsCheckingInterval` (30 s by default, which would let a stalled upload outlive its timeout by that
 * much), so the sweep runs at a quarter of the shorter timeout, between 100 ms and 1 s.
 */
export function nodeServerOptions(s: HttpEdgeSettings): ServerOptions {
  const sweep = Math.min(1000, Math.max(100, Math.floor(Math.min(s.headersTimeoutMs, s.requestTimeoutMs) / 4)));
  return {
    headersTimeout: s.headersTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    connectionsCheckingInterval: sweep,
  };
}

/**
 * Counts the open connections of each client address. A connection opened past the limit is marked, and
 * the service answers its first request with a 429 and closes it (isOverLimit), so a client that piles up
 * connections is refused in its own API's envelope instead of starving everyone of file descriptors.
 */
export class ClientConnectionLimiter {
  private readonly open = new Map<string, number>();
  private readonly over = new WeakSet<Socket>();

  constructor(readonly max: number) {}

  attach(server: Server): void {
    if (this.max === 0) return;
    server.prependListener('connection', (socket: Socket) => {
      const address = socket.remoteAddress ?? 'unknown';
      const count = (this.open.get(address) ?? 0) + 1;
      this.open.set(address, count);
      if (count > this.max) this.over.add(socket);
      socket.once('close', () => {
        const left = (this.open.get(address) ?? 1) - 1;
        if (left <= 0) this.open.delete(address);
        else this.open.set(address, left);
      });
    });
  }

  isOverLimit(socket: Socket | null | undefined): boolean {
    return socket != null && this.over.has(socket);
  }
}

/**
 * Starts the shutdown grace period: connections still open `graceMs` after it began (a stalled upload, a
 * stream that outlives the grace) are destroyed, so the server's close, and the process, can complete.
 */
export function endConnectionsAfterGrace(server: Server, graceMs: number, onForced?: (open: number) => void): void {
  const timer = setTimeout(() => {
    server.getConnections((_e, open) => {
      if (open > 0) onForced?.(open);
      server.closeAllConnections();
    });
  }, graceMs);
  timer.unref();
}

/** Status and message for the rejections Node's HTTP parser raises before any handler runs ('clientError'). */
export function clientErrorStatus(
  err: NodeJS.ErrnoException,
  s: HttpEdgeSettings,
): { status: number; message: string } {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        message: `The request did not arrive in full within ${seconds(s.requestTimeoutMs)} (or its headers within ${seconds(s.headersTimeoutMs)}). Send it again, in one go.`,
      };
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        message:
          'The request headers are larger than the server accepts (16 KiB in all). Send fewer or shorter headers.',
      };
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_URL':
      return { status: 400, message: 'The request line is not valid HTTP/1.1. Check the method and the URL.' };
    default:
      return { status: 400, message: 'The request is not valid HTTP/1.1 and could not be read.' };
  }
}

/**
 * Writes a whole HTTP response on a socket the parser gave up on, then closes it; unless a response was
 * already started on it (the rejection came after its answer, e.g. a timeout while discarding a body), in
 * which case it is only closed.
 */
export function writeRawResponse(socket: Socket, status: number, headers: Record<string, string>, body: string): void {
  const started = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
  if (socket.writable && !started) {
    const lines = Object.entries({
      ...headers,
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }).map(([k, v]) => `${k}: ${v}`);
    socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
    // A client that does not read its answer must not hold the socket: close it after a short wait.
    setTimeout(() => socket.destroy(), 1000).unref();
    return;
  }
  socket.destroy();
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/** Applies the timeouts to a server created elsewhere (Express's, made by Nest); call before listen. */
export function applyServerTimeouts(server: Server, s: HttpEdgeSettings): void {
  const o = nodeServerOptions(s);
  server.headersTimeout = o.headersTimeout!;
  server.requestTimeout = o.requestTimeout!;
  server.keepAliveTimeout = o.keepAliveTimeout!;
  // Read by Node when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    o.connectionsCheckingInterval!;
}
