import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeUpstream, type Stack, startFakeOpenAI, startStack, waitFor } from '@switchyard/testing';

const HEADERS_TIMEOUT_MS = 2000;
const REQUEST_TIMEOUT_MS = 3000;
const PER_CLIENT = 100;
const GRACE_MS = 1500;

interface Stalled {
  socket: Socket;
  /** The status line's code, once an answer arrived. */
  status?: number;
  closedAt?: number;
}

/**
 * Opens a connection from `localAddress` (a loopback address of its own, so it counts as another client),
 * sends a request's headers and part of its body, and never sends the rest.
 */
function stall(port: number, localAddress: string, path = '/v1/chat/completions'): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    const s: Stalled = { socket: connect({ host: '127.0.0.1', port, localAddress }) };
    let data = '';
    s.socket.on('data', (d: Buffer) => {
      data += d.toString();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m && s.status === undefined) s.status = Number(m[1]);
    });
    s.socket.on('error', () => undefined);
    s.socket.on('close', () => (s.closedAt = Date.now()));
    s.socket.once('connect', () => {
      s.socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`,
      );
      resolve(s);
    });
    s.socket.once('error', reject);
  });
}

/**
 * Stalled connections against the real gateway (and admin): bounded per client address, ended by the
 * request timeout with a 408, never in the way of other clients, and never holding up a shutdown.
 */
describe('stalled connections', () => {
  let upstream: FakeUpstream;
  let stack: Stack;
  let gatewayPort: number;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: {
        SWITCHYARD_HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
        SWITCHYARD_HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT: String(PER_CLIENT),
        SWITCHYARD_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: sk-upstream }
  - model_name: slow
    litellm_params: { model: openai/fake-slow, api_base: ${upstream.url}, api_key: sk-upstream }
`,
    });
    gatewayPort = Number(new URL(stack.gatewayUrl).port);
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('300 stalled uploads: others keep being served, the excess gets 429, the rest 408 within the timeout', async () => {
    const openedAt = Date.now();
    const stalled: Stalled[] = [];
    for (let i = 0; i < 300; i++) stalled.push(await stall(gatewayPort, '127.0.0.2'));
    const adminStalled = await Promise.all(
      Array.from({ length: 20 }, () => stall(Number(new URL(stack.adminUrl).port), '127.0.0.2', '/v1/teams')),
    );

    // Another client is served as usual meanwhile.
    const openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    for (let i = 0; i < 5; i++) {
      const r = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(r.choices[0]?.message.content).toBeTruthy();
    }
    expect((await fetch(`${stack.gatewayUrl}/health`)).status).toBe(200);
    expect((await fetch(`${stack.adminUrl}/health`)).status).toBe(200);

    // Every stalled connection is answered and closed within the request timeout (plus Node's sweep).
    const all = [...stalled, ...adminStalled];
    await waitFor(() => all.every((s) => s.closedAt !== undefined), {
      timeoutMs: REQUEST_TIMEOUT_MS + 4000,
      what: 'every stalled connection to be closed',
    });
    const lastClosed = Math.max(...all.map((s) => s.closedAt!));
    expect(lastClosed - openedAt).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
    const statuses = stalled.map((s) => s.status ?? 0);
    // The first PER_CLIENT were within the limit: the timeout ended them with a 408.
    expect(statuses.filter((s) => s === 408).length).toBeGreaterThanOrEqual(PER_CLIENT - 5);
    // Those past the limit were refused at once (a 429 before their body was read), not held.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(150);
    expect(statuses.every((s) => s === 408 || s === 429 || s === 0)).toBe(true);
    expect(adminStalled.filter((s) => s.status === 408).length).toBeGreaterThanOrEqual(15);
  });

  it('SIGTERM completes within the grace period while stalled connections and a slow call are open', async () => {
    const stalled = await Promise.all(Array.from({ length: 50 }, () => stall(gatewayPort, '127.0.0.3')));
    const openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    // An upstream call that would take 30 s: the grace period, not the call, bounds the shutdown.
    const slow = openai.chat.completions
      .create({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    await waitFor(() => upstream.requests > 0 || undefined, { what: 'the slow call to reach the upstream' });

    const adminStalled = await Promise.all(
      Array.from({ length: 20 }, () => stall(Number(new URL(stack.adminUrl).port), '127.0.0.3', '/v1/teams')),
    );

    /** Sends SIGTERM and resolves with how long the process took to exit. */
    const stop = async (pid: number, what: string): Promise<number> => {
      const sentAt = Date.now();
      process.kill(pid, 'SIGTERM');
      await waitFor(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        { timeoutMs: 10_000, intervalMs: 20, what: `${what} to exit` },
      );
      return Date.now() - sentAt;
    };
    const [gatewayTook, adminTook] = await Promise.all([
      stop(stack.pids.gateway!, 'the gateway'),
      stop(stack.pids.admin!, 'admin'),
    ]);
    // Well before the request timeout (3 s) would have ended the stalled uploads on its own.
    for (const took of [gatewayTook, adminTook]) {
      expect(took).toBeLessThan(GRACE_MS + 1000);
      expect(took).toBeGreaterThanOrEqual(GRACE_MS - 100);
    }
    expect([...stalled, ...adminStalled].every((s) => s.closedAt !== undefined)).toBe(true);
    expect(await slow).toBeInstanceOf(OpenAI.APIConnectionError);
  });
});
