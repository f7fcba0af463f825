import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import {
  type FakeUpstream,
  keySpendNanos,
  type Stack,
  startFakeOpenAI,
  startStack,
  waitFor,
  newKey,
} from '@switchyard/testing';

/**
 * A client that goes away in the middle of a stream: the gateway tells the translator, which stops the
 * upstream call and reports the tokens so far; the request is still recorded (status 499) and billed.
 */
describe('client disconnect end to end', () => {
  let upstream: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    // 60 pieces, one every 100 ms: about 6 s of stream, cut after the first chunk.
    upstream = await startFakeOpenAI({ chunks: 60, chunkIntervalMs: 100 });
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-disconnect' },
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

  it('a stream aborted after its first chunk is stopped upstream, recorded as 499 and billed', async () => {
    const { id: keyId, key } = await newKey(stack);
    const abortedBefore = upstream.aborted;

    const abort = new AbortController();
    const res = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: 'Tell me a long story about a railway switchyard' }],
        stream: true,
      }),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let received = '';
    while (!received.includes('"content":"Hello"')) {
      const { value, done } = await reader.read();
      expect(done).toBe(false);
      received += new TextDecoder().decode(value);
    }
    abort.abort();
    await reader.cancel().catch(() => undefined);

    // The translator aborted its upstream call: the fake saw the connection close long before its end.
    await waitFor(() => upstream.aborted === abortedBefore + 1, {
      timeoutMs: 5_000,
      what: 'the fake upstream to see its connection closed',
    });

    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const row = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT status, error_type, prompt_tokens, completion_tokens, cost_nanos
                    FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}'`,
            format: 'JSONEachRow',
          });
          const [first] = (await r.json()) as {
            status: number;
            error_type: string;
            prompt_tokens: string;
            completion_tokens: string;
            cost_nanos: string;
          }[];
          return first;
        },
        { timeoutMs: 20_000, what: 'the usage row of the aborted request' },
      );
      expect(Number(row.status)).toBe(499);
      expect(row.error_type).toBe('client_disconnected');
      expect(Number(row.prompt_tokens)).toBeGreaterThan(0);
      expect(Number(row.completion_tokens)).toBeGreaterThan(0);
      // Cut after a few of the 60 pieces: an estimate of what was streamed, not the whole answer.
      expect(Number(row.completion_tokens)).toBeLessThan(60);
      expect(BigInt(row.cost_nanos)).toBeGreaterThan(0n);

      const spend = await waitFor(
        async () => {
          const nanos = await keySpendNanos(stack.databaseUrl, keyId);
          return nanos > 0n ? nanos : undefined;
        },
        { what: 'the key spend in Postgres' },
      );
      expect(spend).toBe(BigInt(row.cost_nanos));
    } finally {
      await ch.close();
    }
  });
});
