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
 * Whatever a client or a provider puts in a request's fields, its usage row reaches both stores: lone
 * UTF-16 surrogates and over-long text in `user`, `model` and tags are made storable at the edge, and
 * absurd usage from a provider is clamped and flagged, never a reason to drop the row.
 */
describe('poisoned fields and absurd usage end to end', () => {
  let upstream: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-poison' },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: broken
    litellm_params: { model: openai/fake-absurd-usage, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  /** Sends a raw JSON text (so lone surrogates go out as the \\uXXXX escapes a client would send). */
  async function send(key: string, json: string): Promise<{ status: number; requestId: string }> {
    const res = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: json,
    });
    await res.arrayBuffer();
    return { status: res.status, requestId: res.headers.get('x-request-id')! };
  }

  it('stores and bills every request, whatever its fields and its provider report', async () => {
    const { id: keyId, key } = await newKey(
      stack,
      {},
      { team_alias: `poison-${Math.random().toString(36).slice(2, 8)}` },
    );
    const longTag = 't'.repeat(500);
    const poisoned = await send(
      key,
      `{"model":"gpt-4o-mini","user":"\\ud800end-user","messages":[{"role":"user","content":"hi"}],"metadata":{"tags":["\\udfff","${longTag}"]}}`,
    );
    expect(poisoned.status).toBe(200);
    const unknownModel = await send(
      key,
      `{"model":"\\udbff${'m'.repeat(300)}","messages":[{"role":"user","content":"hi"}]}`,
    );
    expect(unknownModel.status).toBe(404);
    const absurd = await send(key, `{"model":"broken","messages":[{"role":"user","content":"hi"}]}`);
    expect(absurd.status).toBe(200);

    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      type Row = {
        request_id: string;
        status: number;
        end_user: string;
        requested_model: string;
        tags: string[];
        prompt_tokens: string;
        completion_tokens: string;
        usage_clamped: number;
        cost_nanos: string;
      };
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT request_id, status, end_user, requested_model, tags, prompt_tokens, completion_tokens, usage_clamped, cost_nanos
                    FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}'`,
            format: 'JSONEachRow',
          });
          const all = (await r.json()) as Row[];
          return all.length === 3 ? all : undefined;
        },
        { timeoutMs: 30_000, what: 'the three usage rows' },
      );
      const byId = new Map(rows.map((r) => [r.request_id, r]));
      const p = byId.get(poisoned.requestId)!;
      expect(p.end_user).toBe('\uFFFDend-user');
      expect(p.tags[0]).toBe('\uFFFD');
      expect(p.tags[1]!.length).toBeLessThanOrEqual(128);
      const u = byId.get(unknownModel.requestId)!;
      expect(Number(u.status)).toBe(404);
      expect(u.requested_model.startsWith('\uFFFD')).toBe(true);
      expect(u.requested_model.length).toBeLessThanOrEqual(256);
      const a = byId.get(absurd.requestId)!;
      expect(Number(a.usage_clamped)).toBe(1);
      expect(Number(a.prompt_tokens)).toBe(1_000_000_000);
      expect(Number(a.completion_tokens)).toBe(0);

      // Postgres billed exactly what ClickHouse priced, all three rows included.
      const total = rows.reduce((sum, r) => sum + BigInt(r.cost_nanos), 0n);
      await waitFor(async () => (await keySpendNanos(stack.databaseUrl, keyId)) === total, {
        what: 'the key spend in Postgres to match the rows',
      });
    } finally {
      await ch.close();
    }
  });
});
