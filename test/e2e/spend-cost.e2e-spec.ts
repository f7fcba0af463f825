import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import {
  type FakeUpstream,
  keySpendNanos,
  newKey,
  type Stack,
  startFakeOpenAI,
  startStack,
  waitFor,
} from '@switchyard/testing';

/**
 * Exact cost through the real services: each answer's `usage.cost` and `x-switchyard-cost`, the ClickHouse
 * rows, the key's Postgres spend and GET /v1/generation all equal the cost computed here, by hand, from the
 * usage the fake upstream reported, to the nano-dollar. Prices below are per token, in nano-USD.
 */
const PRICES: Record<string, { input: bigint; cached: bigint; output: bigint; reasoning: bigint } | 'provider' | null> =
  {
    // openai/gpt-4o at the catalogue's $2.50 / $1.25 / $10 per 1M.
    'gpt-4o': { input: 2500n, cached: 1250n, output: 10_000n, reasoning: 10_000n },
    // A self-hosted model behind base_model gpt-4o-mini ($0.15 / $0.075 / $0.60), never the alias's price.
    house: { input: 150n, cached: 75n, output: 600n, reasoning: 600n },
    // model_info prices in LiteLLM's names: $1 in, $0.10 cached, $2 out, $4 reasoning per 1M.
    custom: { input: 1000n, cached: 100n, output: 2000n, reasoning: 4000n },
    // No price anywhere: unpriced, never billed at 0 silently (and not at gpt-4o's price either).
    'gpt-4o-lookalike': null,
    // OpenRouter reports its cost (0.000421 USD): it wins.
    billed: 'provider',
  };

function expectedNanos(model: string, u: OpenAI.CompletionUsage): bigint | null {
  const p = PRICES[model];
  if (p === null || p === undefined) return null;
  if (p === 'provider') return 421_000n;
  const cached = BigInt(u.prompt_tokens_details?.cached_tokens ?? 0);
  const reasoning = BigInt(u.completion_tokens_details?.reasoning_tokens ?? 0);
  return (
    (BigInt(u.prompt_tokens) - cached) * p.input +
    cached * p.cached +
    (BigInt(u.completion_tokens) - reasoning) * p.output +
    reasoning * p.reasoning
  );
}

const usd = (nanos: bigint) => {
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${nanos / 1_000_000_000n}.${frac}` : `${nanos / 1_000_000_000n}`;
};

describe('exact cost end to end', () => {
  let upstream: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-cost' },
      configYaml: `
model_list:
  - model_name: gpt-4o
    litellm_params: { model: openai/gpt-4o, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: house
    litellm_params: { model: openai/fake-cached, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
    model_info: { base_model: gpt-4o-mini }
  - model_name: custom
    litellm_params: { model: openai/fake-cached, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
    model_info:
      input_cost_per_token: 0.000001
      output_cost_per_token: 2e-6
      cache_read_input_token_cost: 1e-7
      output_cost_per_reasoning_token: 0.000004
  - model_name: gpt-4o-lookalike
    litellm_params: { model: openai/my-private-llama, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: billed
    litellm_params: { model: openrouter/fake-cost, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  it('prices every answer exactly, shows it to the client, and records the same figure everywhere', async () => {
    const { id: keyId, key } = await newKey(stack);
    const openai = new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const seen: { requestId: string; model: string; expected: bigint | null; stream: boolean }[] = [];

    for (const model of Object.keys(PRICES)) {
      for (const stream of [false, true]) {
        const content = `price me ${model} ${stream ? 'streamed' : 'whole'} ${'x'.repeat(seen.length * 7)}`;
        let usage: OpenAI.CompletionUsage | undefined;
        let requestId: string;
        if (stream) {
          const { data, response } = await openai.chat.completions
            .create({
              model,
              messages: [{ role: 'user', content }],
              stream: true,
              stream_options: { include_usage: true },
            })
            .withResponse();
          requestId = response.headers.get('x-request-id')!;
          expect(response.headers.get('x-switchyard-cost')).toBeNull();
          for await (const chunk of data) if (chunk.usage) usage = chunk.usage;
        } else {
          const { data, response } = await openai.chat.completions
            .create({ model, messages: [{ role: 'user', content }] })
            .withResponse();
          requestId = response.headers.get('x-request-id')!;
          usage = data.usage;
          const expected = expectedNanos(model, usage!);
          expect(response.headers.get('x-switchyard-cost'), model).toBe(expected === null ? null : usd(expected));
        }
        const expected = expectedNanos(model, usage!);
        const cost = (usage as OpenAI.CompletionUsage & { cost?: number }).cost;
        if (expected === null) expect(cost, `${model} has no price`).toBeUndefined();
        else expect(BigInt(Math.round(cost! * 1e9)), `${model} stream=${stream}`).toBe(expected);
        seen.push({ requestId, model, expected, stream });
      }
    }
    // The fake reported cached and reasoning tokens for fake-cached: the parts were really exercised.
    expect(seen.filter((s) => s.model === 'custom')).toHaveLength(2);

    const total = seen.reduce((a, s) => a + (s.expected ?? 0n), 0n);
    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT request_id, toString(cost_nanos) AS cost, unpriced, price_source,
                      toString(input_cost_nanos + cached_cost_nanos + cache_write_cost_nanos + output_cost_nanos + reasoning_cost_nanos + other_cost_nanos + retry_cost_nanos) AS parts
                    FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}'`,
            format: 'JSONEachRow',
          });
          const got = await r.json<{
            request_id: string;
            cost: string;
            unpriced: number;
            price_source: string;
            parts: string;
          }>();
          return got.length === seen.length ? got : undefined;
        },
        { timeoutMs: 15_000, what: 'every usage row in ClickHouse' },
      );
      const byId = new Map(rows.map((r) => [r.request_id, r]));
      for (const s of seen) {
        const row = byId.get(s.requestId)!;
        expect(BigInt(row.cost), `${s.model} stream=${s.stream}`).toBe(s.expected ?? 0n);
        expect(Number(row.unpriced), s.model).toBe(s.expected === null ? 1 : 0);
        expect(row.price_source).toBe(
          s.expected === null
            ? ''
            : s.model === 'billed'
              ? 'provider'
              : s.model === 'custom'
                ? 'override'
                : 'catalogue',
        );
        if (s.model !== 'billed') expect(row.parts).toBe(row.cost);
      }
      expect(rows.reduce((a, r) => a + BigInt(r.cost), 0n)).toBe(total);
    } finally {
      await ch.close();
    }
    expect(
      await waitFor(async () => ((await keySpendNanos(stack.databaseUrl, keyId)) === total ? total : undefined)),
    ).toBe(total);

    // GET /v1/generation: OpenRouter's shape, for the key that made the request only.
    const one = seen.find((s) => s.model === 'custom' && !s.stream)!;
    const res = await fetch(`${stack.gatewayUrl}/v1/generation?id=${one.requestId}`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      id: one.requestId,
      model: 'custom',
      provider_name: 'openai',
      total_cost_nanos: one.expected!.toString(),
      total_cost: Number(usd(one.expected!)),
      streamed: false,
      cancelled: false,
      unpriced: false,
    });
    expect(data['tokens_prompt']).toBeGreaterThan(0);
    expect(data['native_tokens_cached']).toBeGreaterThan(0);
    expect(data['native_tokens_reasoning']).toBe(1);
    expect(typeof data['created_at']).toBe('string');
    const other = await newKey(stack);
    const hidden = await fetch(`${stack.gatewayUrl}/v1/generation?id=${one.requestId}`, {
      headers: { authorization: `Bearer ${other.key}` },
    });
    expect(hidden.status).toBe(404);
    expect(((await hidden.json()) as { error: { type: string } }).error.type).toBeTruthy();
    const bad = await fetch(`${stack.gatewayUrl}/v1/generation`, { headers: { authorization: `Bearer ${key}` } });
    expect(bad.status).toBe(400);
    const anonymous = await fetch(`${stack.gatewayUrl}/v1/generation?id=${one.requestId}`);
    expect(anonymous.status).toBe(401);

    // The analytics API answers the same sums, per model and in total, from the same rows.
    const admin = (path: string) =>
      fetch(`${stack.adminUrl}${path}`, { headers: { authorization: `Bearer ${stack.masterKey}` } });
    const report = (await (await admin(`/v1/analytics?group_by=model,status&key=${keyId}`)).json()) as {
      data: Record<string, string | number | null>[];
      totals: Record<string, string | number | null>;
    };
    expect(report.totals).toMatchObject({
      spend_nanos: total.toString(),
      requests: seen.length,
      errors: 0,
      unpriced_requests: 2,
    });
    for (const model of Object.keys(PRICES)) {
      const mine = seen.filter((s) => s.model === model);
      const row = report.data.find((r) => r['model'] === model)!;
      expect(row, model).toMatchObject({
        status: 200,
        requests: mine.length,
        spend_nanos: mine.reduce((a, s) => a + (s.expected ?? 0n), 0n).toString(),
        unpriced_requests: PRICES[model] === null ? mine.length : 0,
      });
      expect(row['latency_ms_p50']).toBeGreaterThanOrEqual(0);
    }
    expect(report.data.filter((r) => r['ttft_ms_p50'] !== null).length).toBeGreaterThan(0);
    const daily = (await (await admin(`/v1/analytics?interval=day&key=${keyId}`)).json()) as typeof report;
    expect(daily.data).toHaveLength(1);
    expect(daily.data[0]!['bucket']).toBe(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
    const csv = await admin(`/v1/analytics?group_by=model&key=${keyId}&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe(
      'model,spend,spend_nanos,requests,errors,prompt_tokens,completion_tokens,cached_tokens,reasoning_tokens,latency_ms_p50,latency_ms_p95,latency_ms_p99,ttft_ms_p50,unpriced_requests',
    );
    expect(lines).toHaveLength(1 + Object.keys(PRICES).length);
    // A page at a time: two rows a page, every model once, the totals whole on each page; the CSV's cursor in
    // a header; a cursor of another query's shape, or a limit out of range, refused.
    const paged: Record<string, string | number | null>[] = [];
    let next: string | null = null;
    do {
      const page = (await (
        await admin(`/v1/analytics?group_by=model,status&key=${keyId}&limit=2${next ? `&cursor=${next}` : ''}`)
      ).json()) as typeof report & { next_cursor: string | null };
      expect(page.totals).toEqual(report.totals);
      paged.push(...page.data);
      next = page.next_cursor;
    } while (next);
    expect(paged).toEqual(report.data);
    const csvPage = await admin(`/v1/analytics?group_by=model&key=${keyId}&format=csv&limit=1`);
    const csvNext = csvPage.headers.get('x-switchyard-next-cursor');
    expect(csvNext).toBeTruthy();
    expect((await csvPage.text()).trim().split('\r\n')).toHaveLength(2);
    const csvSecond = await admin(`/v1/analytics?group_by=model&key=${keyId}&format=csv&limit=1&cursor=${csvNext}`);
    expect((await csvSecond.text()).trim().split('\r\n')).toHaveLength(2);
    const wrongCursor = await admin(`/v1/analytics?group_by=model&interval=day&cursor=${csvNext}`);
    expect(wrongCursor.status).toBe(400);
    expect(((await wrongCursor.json()) as { error: { param: string } }).error.param).toBe('cursor');
    expect((await admin(`/v1/analytics?group_by=model&limit=10001`)).status).toBe(400);
    const refused = await admin(`/v1/analytics?group_by=model;DROP`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { param: string } }).error.param).toBe('group_by');

    // Logs, three at a time: every request once, newest first, no page overlapping another.
    const pages: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await (
        await admin(`/v1/logs?key=${keyId}&limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      ).json()) as { data: { request_id: string; spend_nanos: string }[]; next_cursor: string | null };
      pages.push(...page.data.map((r) => r.request_id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(pages.sort()).toEqual(seen.map((s) => s.requestId).sort());
    expect((await admin(`/v1/logs?cursor=not-a-cursor`)).status).toBe(400);

    // LiteLLM's routes, in LiteLLM's shapes, from the same rows.
    const logs = (await (await admin(`/spend/logs?api_key=${key}`)).json()) as {
      request_id: string;
      spend: number;
      model_group: string;
      metadata: { spend_nanos: string };
    }[];
    expect(logs).toHaveLength(seen.length);
    expect(logs.reduce((a, l) => a + BigInt(l.metadata.spend_nanos), 0n)).toBe(total);
    const oneLog = (await (await admin(`/spend/logs?request_id=${one.requestId}`)).json()) as typeof logs;
    expect(oneLog.map((l) => [l.request_id, l.model_group])).toEqual([[one.requestId, 'custom']]);
    const today = new Date().toISOString().slice(0, 10);
    const global = (await (
      await admin(`/global/spend/report?group_by=api_key&start_date=${today}&end_date=${today}`)
    ).json()) as {
      group_by_day: string;
      api_keys: { api_key: string; total_spend: number; metadata: { model: string }[] }[];
    }[];
    const mine = global
      .find((d) => d.group_by_day === `${today}T00:00:00+00:00`)!
      .api_keys.find((k) => k.api_key === keyId)!;
    expect(Math.round(mine.total_spend * 1e9)).toBe(Number(total));
    expect(mine.metadata.map((m) => m.model).sort()).toEqual(Object.keys(PRICES).sort());
    // The same key's report as LiteLLM answers `api_key=`: totals and per-model details.
    const perKey = (await (await admin(`/global/spend/report?api_key=${key}`)).json()) as {
      api_key: string;
      total_cost: number;
      total_input_tokens: number;
      model_details: { model: string; total_cost: number }[];
    }[];
    expect(perKey.map((k) => k.api_key)).toEqual([keyId]);
    expect(Math.round(perKey[0]!.total_cost * 1e9)).toBe(Number(total));
    expect(perKey[0]!.model_details.map((m) => m.model).sort()).toEqual(Object.keys(PRICES).sort());
    expect(JSON.stringify(perKey)).not.toContain(key);
    expect((await admin(`/spend/logs?api_key=nonsense`)).status).toBe(400);
    expect((await admin(`/global/spend/report?api_key=nonsense`)).status).toBe(400);
  });
});
