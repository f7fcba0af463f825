import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import OpenAI, { AuthenticationError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startStack, waitFor, type Stack } from '@switchyard/testing';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/**
 * Gateways scale out: several instances share one router, translator and key store. Each answer must
 * reach the instance (and the request) that asked, and a revoked key must stop working on all of them.
 */
describe('several gateway instances', () => {
  let stack: Stack;
  let second: ChildProcess;
  let secondUrl: string;

  beforeAll(async () => {
    stack = await startStack({
      configYaml: `
model_list:
  - model_name: echo
    litellm_params: { model: fake/gpt-4o-mini }
`,
    });
    const port = await freePort();
    secondUrl = `http://127.0.0.1:${port}`;
    second = spawn(process.execPath, [join(repoRoot(), 'dist/apps/gateway/src/main.js')], {
      env: {
        PATH: process.env.PATH,
        ...stack.env,
        GATEWAY_PORT: String(port),
        SWITCHYARD_INSTANCE_ID: 'second-gateway',
      },
      stdio: 'ignore',
    });
    await waitFor(async () => (await fetch(`${secondUrl}/health`).catch(() => undefined))?.status === 200, {
      timeoutMs: 20_000,
      what: 'the second gateway to be healthy',
    });
  });

  afterAll(async () => {
    second?.kill('SIGTERM');
    await stack?.stop();
  });

  const client = (baseURL: string, apiKey: string) => new OpenAI({ apiKey, baseURL: `${baseURL}/v1`, maxRetries: 0 });

  it('sends every answer back to the instance and request that asked, under concurrency', async () => {
    const gateways = [stack.gatewayUrl, secondUrl];
    const asks = Array.from({ length: 60 }, (_, i) => ({ i, gateway: gateways[i % 2]! }));
    const answers = await Promise.all(
      asks.map(async ({ i, gateway }) => {
        const res = await client(gateway, stack.masterKey).chat.completions.create({
          model: 'echo',
          messages: [{ role: 'user', content: `question number ${i}` }],
        });
        return { i, content: res.choices[0]?.message.content ?? '' };
      }),
    );
    // The fake provider echoes the question: a crossed reply would carry another number.
    for (const { i, content } of answers) expect(content).toContain(`question number ${i}`);
  });

  it('refuses a revoked key on every instance within a second', async () => {
    const res = await fetch(`${stack.adminUrl}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: ['echo'] }),
    });
    const { id, key } = (await res.json()) as { id: string; key: string };
    // Both instances have the key in their caches before it is revoked.
    for (const gw of [stack.gatewayUrl, secondUrl]) await client(gw, key).models.list();
    const revokedAt = Date.now();
    expect(
      (
        await fetch(`${stack.adminUrl}/v1/keys/${id}`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${stack.masterKey}` },
        })
      ).status,
    ).toBe(200);
    for (const gw of [stack.gatewayUrl, secondUrl]) {
      await waitFor(
        async () =>
          (await client(gw, key)
            .models.list()
            .then(
              () => undefined,
              (e: unknown) => e,
            )) instanceof AuthenticationError,
        { timeoutMs: 1000 - (Date.now() - revokedAt), intervalMs: 10, what: `${gw} to refuse the revoked key` },
      );
    }
    expect(Date.now() - revokedAt).toBeLessThan(1000);
  });
});
