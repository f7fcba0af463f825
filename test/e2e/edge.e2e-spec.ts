import { request as httpRequest } from 'node:http';
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeUpstream,
  type Stack,
  startFakeOpenAI,
  startStack,
  waitFor,
  newKey,
  waitForUsageRows,
} from '@switchyard/testing';

/**
 * The gateway's HTTP edge as clients meet it: errors the official SDKs must not retry, endpoints not served
 * yet, Anthropic's envelope on /v1/messages, the keys' headers, Fastify's and Node's own rejections, an
 * oversized body, /v1/models, and the admin routes on the gateway's port.
 */
describe('gateway HTTP edge', () => {
  let upstream: FakeUpstream;
  let stack: Stack;

  beforeAll(async () => {
    upstream = await startFakeOpenAI();
    stack = await startStack({
      env: { FAKE_UPSTREAM_KEY: 'sk-upstream-secret-edge', SWITCHYARD_MAX_BODY_BYTES: String(256 * 1024) },
      configYaml: `
model_list:
  - model_name: gpt-4o-mini
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
  - model_name: not-yet
    litellm_params: { model: sagemaker/some-endpoint, api_key: sk-not-used-anywhere }
  - model_name: text-embedding-3-small
    litellm_params: { model: openai/text-embedding-3-small, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
    model_info: { mode: embedding }
  - model_name: dall-e-3
    litellm_params: { model: openai/dall-e-3, api_base: ${upstream.url}, api_key: os.environ/FAKE_UPSTREAM_KEY }
    model_info: { mode: image_generation }
router_settings:
  model_group_alias:
    gpt-4: gpt-4o-mini
    secret-alias: { model: gpt-4o-mini, hidden: true }
`,
    });
  });

  afterAll(async () => {
    await stack?.stop();
    await upstream?.close();
  });

  const usageRows = async (keyId: string): Promise<number> =>
    (await waitForUsageRows(stack, { select: 'request_id', where: `key_id = '${keyId}'`, until: () => true })).length;

  it('a configuration fault is not retried by the openai SDK: one request, one usage row, not three', async () => {
    const { id, key } = await newKey(stack, {}, null);
    let calls = 0;
    // Default maxRetries (2): the SDK retries every 5xx unless x-should-retry says otherwise.
    const openai = new OpenAI({
      apiKey: key,
      baseURL: `${stack.gatewayUrl}/v1`,
      fetch: (url, init) => {
        calls++;
        return fetch(url, init);
      },
    });
    const err = await openai.chat.completions
      .create({ model: 'not-yet', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const apiErr = err as InstanceType<typeof OpenAI.APIError>;
    expect(apiErr.status).toBeGreaterThanOrEqual(500);
    expect(apiErr.headers?.get('x-should-retry')).toBe('false');
    expect(apiErr.headers?.get('x-request-id')).toMatch(/^req_/);
    expect(calls).toBe(1);
    await waitFor(async () => (await usageRows(id)) >= 1, { timeoutMs: 20_000, what: 'the usage row' });
    // Spend writes in batches: give a second row (a retry's) the time to arrive too, then count.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await usageRows(id)).toBe(1);
  });

  it('answers 404 "not supported yet" for endpoints not served, with a request id, and no retry', async () => {
    const { key } = await newKey(stack, {}, null);
    const openai = new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1` });
    const err = await openai.moderations
      .create({ model: 'omni-moderation-latest', input: 'hello' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toMatch(/Moderations .* not supported by Switchyard yet/);
    expect((err as NotFoundError).message).not.toMatch(/Unknown request URL/);
    expect((err as NotFoundError).headers?.get('x-request-id')).toMatch(/^req_/);
    expect((err as NotFoundError).headers?.get('x-should-retry')).toBe('false');
    for (const path of ['/v1/images/generations', '/v1/audio/speech']) {
      const res = await fetch(`${stack.gatewayUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { message: string } }).error.message, path).toMatch(/not supported/);
    }
  });

  it("answers /v1/messages with the key in x-api-key, and its refusals in Anthropic's envelope", async () => {
    const { key } = await newKey(stack, {}, null);
    const ask = (model: string) =>
      fetch(`${stack.gatewayUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
        body: JSON.stringify({ model, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const ok = await ask('gpt-4o-mini');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text' }] });
    const res = await ask('no-such-model');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(res.headers.get('x-should-retry')).toBe('false');
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: expect.stringContaining('no-such-model') },
    });
  });

  it('takes the key from x-api-key, and says what is wrong with a malformed Authorization header', async () => {
    const { key } = await newKey(stack, {}, null);
    const viaXApiKey = await fetch(`${stack.gatewayUrl}/v1/models`, { headers: { 'x-api-key': key } });
    expect(viaXApiKey.status).toBe(200);

    const openai = new OpenAI({ apiKey: `${key} junk`, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const err = await openai.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).message).toMatch(/nothing after the key/);
    expect((err as AuthenticationError).message).not.toMatch(/didn't provide/);
    expect((err as AuthenticationError).message).not.toContain(key);
    expect((err as AuthenticationError).headers?.get('x-request-id')).toMatch(/^req_/);
  });

  it("answers Fastify's and Node's own rejections in the OpenAI envelope, with a request id", async () => {
    const badEscape = await fetch(`${stack.gatewayUrl}/v1/models/%E0%A4%A`, {
      headers: { authorization: `Bearer ${stack.masterKey}` },
    });
    expect(badEscape.status).toBe(400);
    expect(badEscape.headers.get('x-request-id')).toMatch(/^req_/);
    expect(((await badEscape.json()) as { error: { code: string } }).error).toMatchObject({
      type: 'invalid_request_error',
      code: 'invalid_url',
    });

    const bigHeader = await rawRequest(`GET /v1/models HTTP/1.1\r\nHost: x\r\nx-filler: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(bigHeader.status).toBe(431);
    expect(bigHeader.headers['x-request-id']).toMatch(/^req_/);
    expect(JSON.parse(bigHeader.body)).toMatchObject({ error: { type: 'invalid_request_error' } });

    const badJson = await fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: '{"model":',
    });
    expect(badJson.status).toBe(400);
    expect(badJson.headers.get('x-request-id')).toMatch(/^req_/);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toMatch(/JSON/);
  });

  it('answers an oversized body with its 413 at once, however large, without reading it first', async () => {
    // 200 MiB announced, sent slowly: the answer must come long before the body could have been read.
    const started = Date.now();
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${stack.gatewayUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${stack.masterKey}`,
          'content-type': 'application/json',
          'content-length': String(200 * 1024 * 1024),
        },
      });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const timer = setInterval(() => req.write(chunk), 20);
      req.on('response', (r) => {
        let body = '';
        r.on('data', (d: Buffer) => (body += d.toString()));
        r.on('end', () => {
          clearInterval(timer);
          req.destroy();
          resolve({ status: r.statusCode ?? 0, body });
        });
      });
      req.on('error', (e) => {
        clearInterval(timer);
        reject(e);
      });
      req.write(chunk);
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'request_too_large' } });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('lists what each model is: hidden aliases left out, embedding and image models marked', async () => {
    const { key } = await newKey(stack, {}, null);
    const openai = new OpenAI({ apiKey: key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const models = (await openai.models.list()).data as (OpenAI.Model & { mode?: string })[];
    const byId = Object.fromEntries(models.map((m) => [m.id, m.mode]));
    expect(byId).toEqual({
      'gpt-4o-mini': 'chat',
      'gpt-4': 'chat',
      'not-yet': 'chat',
      'text-embedding-3-small': 'embedding',
      'dall-e-3': 'image_generation',
    });
    // Hidden from the list, still served.
    const viaHidden = await openai.chat.completions.create({
      model: 'secret-alias',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(viaHidden.choices[0]?.message.content).toBeTruthy();
    const err = await openai.chat.completions
      .create({ model: 'text-embedding-3-small', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toMatch(/embedding model .* not a chat model/);
  });

  it('answers the admin routes and LiteLLM probes on the gateway port, with the admin auth', async () => {
    const call = (path: string, init: RequestInit = {}, key = stack.masterKey) =>
      fetch(`${stack.gatewayUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
      });
    const team = await call('/team/new', { method: 'POST', body: JSON.stringify({ team_alias: 'edge-team' }) });
    expect(team.status).toBe(200);
    const teamId = ((await team.json()) as { team_id: string }).team_id;
    const gen = await call('/key/generate', { method: 'POST', body: JSON.stringify({ team_id: teamId }) });
    expect(gen.status).toBe(200);
    const generated = (await gen.json()) as { key: string };
    expect(gen.headers.get('x-request-id')).toMatch(/^req_/);

    // The key works for completions on the same base URL.
    const openai = new OpenAI({ apiKey: generated.key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
    const reply = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]?.message.content).toBeTruthy();

    const info = await call(`/key/info?key=${encodeURIComponent(generated.key)}`);
    expect(info.status).toBe(200);
    expect(((await info.json()) as { info: { team_id: string } }).info.team_id).toBe(teamId);
    expect((await call('/v1/teams')).status).toBe(200);

    // Same auth as admin's own port: a team's key belongs to no user, so it has no admin role; an unknown key is 401.
    const denied = await call('/v1/teams', {}, generated.key);
    expect(denied.status).toBe(403);
    expect(((await denied.json()) as { error: { type: string } }).error.type).toBe('permission_error');
    const unknown = await call('/v1/teams', {}, `${generated.key.slice(0, -4)}zzzz`);
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');

    expect((await fetch(`${stack.gatewayUrl}/health/liveliness`)).status).toBe(200);
    expect((await fetch(`${stack.gatewayUrl}/health/readiness`)).status).toBe(200);
    expect((await fetch(`${stack.adminUrl}/health/liveliness`)).status).toBe(200);

    // Admin down: the gateway says so in the envelope, and its own routes keep working.
    process.kill(stack.pids.admin!, 'SIGKILL');
    await waitFor(async () => (await fetch(`${stack.adminUrl}/health`).catch(() => undefined)) === undefined, {
      what: 'admin to stop',
    });
    const down = await call('/v1/teams');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: 'service_unavailable', type: 'api_error' } });
    expect(down.headers.get('x-request-id')).toMatch(/^req_/);
    expect((await openai.models.list()).data.length).toBeGreaterThan(0);
  });

  /** Sends raw bytes and reads one HTTP response (for requests fetch refuses to send). */
  function rawRequest(raw: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
    const { port } = new URL(stack.gatewayUrl);
    return new Promise((resolve, reject) => {
      import('node:net').then(({ connect }) => {
        const socket = connect(Number(port), '127.0.0.1');
        let data = '';
        socket.on('data', (d) => (data += d.toString()));
        socket.on('error', reject);
        socket.on('close', () => {
          const [head = '', body = ''] = data.split('\r\n\r\n');
          const [statusLine = '', ...lines] = head.split('\r\n');
          const headers = Object.fromEntries(
            lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
          );
          resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
        });
        socket.end(raw);
      }, reject);
    });
  }
});
