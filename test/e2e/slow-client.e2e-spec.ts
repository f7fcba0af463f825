import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import { type FakeUpstream, type Stack, startFakeOpenAI, startStack, waitFor } from '@switchyard/testing';

/** Bytes the gateway may hold for a client that does not read (SWITCHYARD_MAX_CLIENT_BUFFER_BYTES) in this test. */
const CLIENT_BUFFER = 64 * 1024;

/**
 * Backpressure: a client that asks for a long stream and stops reading cannot make the gateway buffer the
 * answer without bound. Past the limit the request ends as a 499 (`client_too_slow`), the upstream call
 * is stopped, and the tokens so far are still recorded.
 */
describe('a client that stops reading', () => {
  let upstream: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    // About 20 MB of stream, written as fast as the socket takes it: far more than the kernel's buffers.
    upstream = await startFakeOpenAI({ chunks: 100_000 });
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-slow', SWITCHYARD_MAX_CLIENT_BUFFER_BYTES: String(CLIENT_BUFFER) },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('is cut off once the gateway holds more than the limit for it, and the request is recorded as 499', async () => {
    const url = new URL(stack.gatewayUrl);
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Recite the longest timetable you know' }],
      stream: true,
    });
    const socket: Socket = connect(Number(url.port), url.hostname);
    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: ${url.host}\r\nauthorization: Bearer ${stack.masterKey}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      // Read the status line and headers, then stop reading.
      let head = '';
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          head += chunk.toString('latin1');
          if (head.includes('\r\n\r\n')) {
            socket.off('data', onData);
            socket.pause();
            resolve();
          }
        };
        socket.on('data', onData);
      });
      expect(head.startsWith('HTTP/1.1 200')).toBe(true);
      const requestId = /x-request-id: (\S+)/i.exec(head)?.[1];
      expect(requestId).toBeTruthy();

      // While we still read nothing, the gateway gives up on us and records the request.
      const row = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT status, error_type, completion_tokens FROM ${stack.clickhouse.database}.usage FINAL WHERE request_id = '${requestId}'`,
            format: 'JSONEachRow',
          });
          const [first] = (await r.json()) as { status: number; error_type: string; completion_tokens: string }[];
          return first;
        },
        { timeoutMs: 30_000, what: 'the usage row of the request cut off' },
      );
      expect(Number(row.status)).toBe(499);
      expect(row.error_type).toBe('client_too_slow');
      // Billed for the tokens the provider generated, not for nothing.
      expect(Number(row.completion_tokens)).toBeGreaterThan(0);

      // Reading now, we get what was in flight when the gateway cut us off, and then the end of the
      // connection: a small part of the 20 MB stream, and never its terminator.
      let received = 0;
      let tail = '';
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          tail = (tail + chunk.toString('latin1')).slice(-64);
        });
        socket.on('close', () => resolve());
        socket.on('error', () => undefined);
        socket.resume();
      });
      expect(received).toBeLessThan(10 * 1024 * 1024);
      expect(tail).not.toContain('[DONE]');
    } finally {
      socket.destroy();
      await ch.close();
    }
  });
});
