import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The HTTP plumbing every fake upstream shares: what differs between them is the API they speak, not this. */

/** Reads a request body whole, as bytes (what a request signature covers). */
export function readBodyBytes(req: IncomingMessage, then: (raw: Buffer) => void): void {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => then(parts.length === 1 ? parts[0]! : Buffer.concat(parts)));
}

/** Reads a request body whole, as text. */
export function readBody(req: IncomingMessage, then: (raw: string) => void): void {
  readBodyBytes(req, (raw) => then(raw.toString('utf8')));
}

/** Listens on loopback (keep-alive as a real API's load balancer allows it); returns the port. */
export async function listen(server: Server, port = 0): Promise<number> {
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** Stops a fake: `before` first (timers, counters), then the server and every open connection. */
export function closeServer(server: Server, before: () => void): Promise<void> {
  return new Promise<void>((resolve) => {
    before();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * Sends a whole body with its length; JSON unless `headers` name another content-type. Headers go out in
 * the order given after content-type and content-length. Nothing is sent to a client that has gone.
 */
export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Sends `body` as compact JSON (see sendText). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  sendText(res, status, JSON.stringify(body), headers);
}

/** Timers a fake starts (latency, pacing) and cancels all at once when it closes. */
export interface FakeTimers {
  /** Runs `fn` after `ms`, or now when `ms` is not positive. */
  later(ms: number, fn: () => void): void;
  clear(): void;
}

export function createFakeTimers(): FakeTimers {
  const timers = new Set<NodeJS.Timeout>();
  return {
    later(ms, fn) {
      if (ms <= 0) return fn();
      const t = setTimeout(() => {
        timers.delete(t);
        fn();
      }, ms);
      timers.add(t);
    },
    clear() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    },
  };
}

/**
 * Writes a stream's events (after its head is written): all at once, or one every `intervalMs` as a slow
 * provider paces them; stops when the client goes.
 */
export function writePaced(
  res: ServerResponse,
  events: readonly (string | Uint8Array)[],
  intervalMs: number,
  timers: FakeTimers,
): void {
  if (intervalMs <= 0) {
    return void res.end(
      events.every((e) => typeof e === 'string')
        ? events.join('')
        : Buffer.concat(events.map((e) => (typeof e === 'string' ? Buffer.from(e) : e))),
    );
  }
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (i === events.length - 1) return void res.end(events[i]!);
    res.write(events[i++]!);
    timers.later(intervalMs, next);
  };
  next();
}

/**
 * One answer's usage as a fake upstream wrote it (in the provider's own shape), beside the request body that
 * asked for it, so a test can sum what the providers would bill without reading anything the gateway produced.
 */
export interface FakeReportedUsage {
  body: unknown;
  usage: Record<string, unknown>;
}
