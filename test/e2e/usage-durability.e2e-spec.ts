import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import { keySpendNanos, repoRoot, type Stack, startStack, waitFor } from '@switchyard/testing';

function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * No lost usage record: requests answered while the spend service is down are counted and billed once
 * it is back, exactly once each, because the events wait in JetStream.
 */
describe('usage while spend is down', () => {
  let stack: Stack;
  let spend: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startStack({
      configYaml: 'model_list:\n  - model_name: echo\n    litellm_params: { model: fake/gpt-4o-mini }\n',
    });
  });

  afterAll(async () => {
    spend?.kill('SIGTERM');
    await stack?.stop();
  });

  it('records and bills every request answered during the outage once spend returns', async () => {
    const created = await fetch(`${stack.adminUrl}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { id: keyId, key } = (await created.json()) as { id: string; key: string };
    const openai = new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });

    process.kill(stack.pids.spend!, 'SIGTERM');
    await waitFor(() => exited(stack.pids.spend!), { timeoutMs: 10_000, what: 'spend to exit' });

    let prompt = 0;
    let completion = 0;
    for (let i = 0; i < 12; i++) {
      const res = await openai.chat.completions.create({
        model: 'echo',
        messages: [{ role: 'user', content: `during the outage ${i}` }],
      });
      prompt += res.usage!.prompt_tokens;
      completion += res.usage!.completion_tokens;
    }

    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const count = async () => {
        const r = await ch.query({
          query: `SELECT count() AS n, sum(prompt_tokens) AS p, sum(completion_tokens) AS c, sum(cost_nanos) AS cost FROM ${stack.clickhouse.database}.usage FINAL WHERE key_id = '${keyId}'`,
          format: 'JSONEachRow',
        });
        return ((await r.json()) as { n: string; p: string; c: string; cost: string }[])[0]!;
      };
      expect(Number((await count()).n)).toBe(0);

      spend = spawn(process.execPath, [join(repoRoot(), 'dist/apps/spend/src/main.js')], {
        env: { PATH: process.env.PATH, ...stack.env },
        stdio: 'ignore',
      });
      const row = await waitFor(
        async () => {
          const r = await count();
          return Number(r.n) >= 12 ? r : undefined;
        },
        { timeoutMs: 30_000, what: '12 usage rows after spend restarts' },
      );
      expect(Number(row.n)).toBe(12);
      expect(Number(row.p)).toBe(prompt);
      expect(Number(row.c)).toBe(completion);

      const spent = await waitFor(
        async () => {
          const nanos = await keySpendNanos(stack.databaseUrl, keyId);
          return nanos > 0n ? nanos : undefined;
        },
        { timeoutMs: 10_000, what: 'the key to be billed' },
      );
      expect(spent).toBe(BigInt(row.cost));
    } finally {
      await ch.close();
    }
  });
});
