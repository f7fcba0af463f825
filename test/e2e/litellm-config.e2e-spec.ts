import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { AuthenticationError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAnalyticsClient } from '@switchyard/analytics';
import { type FakeUpstream, repoRoot, type Stack, startFakeOpenAI, startStack, waitFor } from '@switchyard/testing';

const DEMO_KEY = 'sk-switchyard-demo';

/**
 * A LiteLLM config as its users write it, run as a newcomer would: LiteLLM's example master key `sk-1234` in
 * the config and no SWITCHYARD_MASTER_KEY, wildcard routes (`*` → `openai/*`, `groq/*`), YAML 1.1 numbers.
 */
describe('a LiteLLM config, unchanged', () => {
  let openaiUpstream: FakeUpstream;
  let groqUpstream: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    [openaiUpstream, groqUpstream] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    stack = await startStack({
      env: {
        // Unset (empty counts as unset): the config's master key must be the one in effect, not a default.
        SWITCHYARD_MASTER_KEY: '',
        // Unset: a short master key confines the services to loopback by itself.
        GATEWAY_HOST: '',
        ADMIN_HOST: '',
        OPENAI_API_KEY: 'sk-upstream-openai',
        GROQ_API_KEY: 'gsk-upstream-groq',
      },
      configYaml: `
model_list:
  - model_name: "*"
    litellm_params:
      model: "openai/*"
      api_base: ${openaiUpstream.url}
      api_key: os.environ/OPENAI_API_KEY
      tpm: 20_000
  - model_name: "groq/*"
    litellm_params:
      model: "groq/*"
      api_base: ${groqUpstream.url}
      api_key: os.environ/GROQ_API_KEY
      rpm: 1_000
  - model_name: tuned
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: ${openaiUpstream.url}
      api_key: os.environ/OPENAI_API_KEY
      temperature: 0.2
      max_tokens: 64
      seed: 42
      extra_headers: { X-Team: blue }
      extra_body: { safe_prompt: yes, temperature: 1.5 }
general_settings:
  master_key: sk-1234
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([openaiUpstream?.close(), groqUpstream?.close()]);
  });

  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });

  it("sends a deployment's default parameters, extra_body and extra_headers upstream; the client's own values win", async () => {
    await client('sk-1234').chat.completions.create({
      model: 'tuned',
      messages: [{ role: 'user', content: 'defaults please' }],
      temperature: 0.9,
    });
    const sent = openaiUpstream.lastRequest!;
    expect(sent.body).toMatchObject({
      model: 'gpt-4o-mini',
      temperature: 0.9,
      max_tokens: 64,
      seed: 42,
      safe_prompt: true,
    });
    expect(sent.headers['x-team']).toBe('blue');
    await client('sk-1234').chat.completions.create({ model: 'tuned', messages: [{ role: 'user', content: 'x' }] });
    // The deployment's own temperature wins over its extra_body; both lose to the client.
    expect(openaiUpstream.lastRequest!.body).toMatchObject({ temperature: 0.2 });
  });

  it("accepts the config's master key sk-1234 on loopback, on the gateway and the admin API", async () => {
    const models = await client('sk-1234').models.list();
    expect(models.data.length).toBeGreaterThan(0);
    const teams = await fetch(`${stack.adminUrl}/v1/teams`, { headers: { authorization: 'Bearer sk-1234' } });
    expect(teams.status).toBe(200);
  });

  it('refuses the public demo key when the config names a master key', async () => {
    await expect(client(DEMO_KEY).models.list()).rejects.toBeInstanceOf(AuthenticationError);
    const teams = await fetch(`${stack.adminUrl}/v1/teams`, { headers: { authorization: `Bearer ${DEMO_KEY}` } });
    expect(teams.status).toBe(401);
  });

  it('says at boot that the short key keeps the services on loopback', () => {
    const log = readFileSync(join(stack.logDir, 'gateway.log'), 'utf8');
    expect(log).toContain('master key from general_settings.master_key');
    expect(log).toMatch(/LOOPBACK ONLY: listening on 127\.0\.0\.1.*7 characters long/);
    expect(log).not.toContain('sk-1234');
  });

  it('sends the model the client asked for through a "*" route, and the client and the usage row see it', async () => {
    const res = await client('sk-1234').chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect((openaiUpstream.lastRequest?.body as { model: string }).model).toBe('gpt-4o');
    expect(openaiUpstream.lastRequest?.headers.authorization).toBe('Bearer sk-upstream-openai');
    expect(res.model).toBe('gpt-4o');

    let streamedModel = '';
    const stream = await client('sk-1234').chat.completions.create({
      model: 'gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'hello' }],
    });
    for await (const chunk of stream) streamedModel ||= chunk.model;
    expect((openaiUpstream.lastRequest?.body as { model: string }).model).toBe('gpt-4o-mini');
    expect(streamedModel).toBe('gpt-4o-mini');

    // Priced as the real model: a '*' upstream model would have no price.
    const ch = createAnalyticsClient({ url: stack.clickhouse.url });
    try {
      const rows = await waitFor(
        async () => {
          const r = await ch.query({
            query: `SELECT requested_model, upstream_model, cost_nanos FROM ${stack.clickhouse.database}.usage FINAL
                    WHERE requested_model IN ('gpt-4o', 'gpt-4o-mini') ORDER BY requested_model`,
            format: 'JSONEachRow',
          });
          const got = (await r.json()) as { requested_model: string; upstream_model: string; cost_nanos: string }[];
          return got.length === 2 ? got : undefined;
        },
        { timeoutMs: 20_000, what: 'two usage rows' },
      );
      expect(rows.map((r) => [r.requested_model, r.upstream_model])).toEqual([
        ['gpt-4o', 'gpt-4o'],
        ['gpt-4o-mini', 'gpt-4o-mini'],
      ]);
      for (const r of rows) expect(Number(r.cost_nanos)).toBeGreaterThan(0);
    } finally {
      await ch.close();
    }
  });

  it('sends groq/<model> to the groq route without its provider prefix', async () => {
    const res = await client('sk-1234').chat.completions.create({
      model: 'groq/llama-3.3-70b-versatile',
      messages: [{ role: 'user', content: 'hello' }],
    });
    expect((groqUpstream.lastRequest?.body as { model: string }).model).toBe('llama-3.3-70b-versatile');
    expect(groqUpstream.lastRequest?.headers.authorization).toBe('Bearer gsk-upstream-groq');
    expect(res.model).not.toContain('*');
    expect(res.model).toBe('llama-3.3-70b-versatile');
  });

  it("lists the wildcard routes' known models in /v1/models, never '*'", async () => {
    const ids = (await client('sk-1234').models.list()).data.map((m) => m.id);
    expect(ids).toContain('gpt-4o');
    expect(ids).toContain('groq/llama-3.3-70b-versatile');
    expect(ids.some((id) => id.includes('*'))).toBe(false);
    const one = await client('sk-1234').models.retrieve('groq/llama-3.3-70b-versatile');
    expect(one.owned_by).toBe('groq');
  });
});

describe('the master key at boot', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'switchyard-master-key-'));
    writeFileSync(
      join(dir, 'demo.yaml'),
      'model_list:\n  - model_name: demo\n    litellm_params: { model: fake/gpt-4o }\n',
    );
    writeFileSync(
      join(dir, 'litellm.yaml'),
      'model_list:\n  - model_name: demo\n    litellm_params: { model: fake/gpt-4o }\ngeneral_settings:\n  master_key: sk-1234\n',
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts one service's process as tools/start.sh would; resolves with its exit code and output. */
  function boot(
    service: 'gateway' | 'admin',
    env: Record<string, string>,
  ): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [join(repoRoot(), 'dist/apps', service, 'src/main.js')], {
        cwd: repoRoot(),
        env: { PATH: process.env.PATH, NO_COLOR: '1', GATEWAY_PORT: '0', ADMIN_PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${service} did not exit within 20 s; output:\n${output}`));
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, output });
      });
    });
  }

  it.each(['gateway', 'admin'] as const)('%s refuses the demo key on 0.0.0.0, saying what to do', async (service) => {
    const host = service === 'gateway' ? 'GATEWAY_HOST' : 'ADMIN_HOST';
    const { code, output } = await boot(service, {
      SWITCHYARD_CONFIG: join(dir, 'demo.yaml'),
      SWITCHYARD_MASTER_KEY: DEMO_KEY,
      [host]: '0.0.0.0',
    });
    expect(code).not.toBe(0);
    expect(output).toContain(`Refusing to listen on ${host}=0.0.0.0`);
    expect(output).toContain('public demo value sk-switchyard-demo');
    expect(output).toMatch(/Set SWITCHYARD_MASTER_KEY to a long random value.*127\.0\.0\.1/);
  });

  it("refuses LiteLLM's example key sk-1234 on 0.0.0.0, without printing it", async () => {
    const { code, output } = await boot('gateway', {
      SWITCHYARD_CONFIG: join(dir, 'litellm.yaml'),
      GATEWAY_HOST: '0.0.0.0',
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/Refusing to listen on GATEWAY_HOST=0\.0\.0\.0: the master key is 7 characters long/);
    expect(output).not.toContain('sk-1234');
  });

  it('uses the demo key, on loopback only, when neither the environment nor the config names one', async () => {
    const stack = await startStack({
      services: ['gateway'],
      env: { SWITCHYARD_MASTER_KEY: '', GATEWAY_HOST: '' },
      configYaml: 'model_list:\n  - model_name: demo\n    litellm_params: { model: fake/gpt-4o }\n',
    });
    try {
      const models = await new OpenAI({
        apiKey: DEMO_KEY,
        baseURL: `${stack.gatewayUrl}/v1`,
        maxRetries: 0,
      }).models.list();
      expect(models.data.map((m) => m.id)).toEqual(['demo']);
      const log = readFileSync(join(stack.logDir, 'gateway.log'), 'utf8');
      expect(log).toMatch(/LOOPBACK ONLY: listening on 127\.0\.0\.1/);
    } finally {
      await stack.stop();
    }
  });
});
