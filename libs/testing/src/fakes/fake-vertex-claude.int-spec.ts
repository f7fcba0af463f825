import Anthropic, {
  APIError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  type Middleware,
} from '@anthropic-ai/sdk';
import { JWT } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_ANTHROPIC_TEXT, FAKE_ANTHROPIC_THINKING } from './fake-anthropic.server';
import { startFakeGemini, type FakeGemini, type FakeServiceAccount } from './fake-gemini.server';

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const VERSION = 'vertex-2023-10-16';

/** A service account's token source, google-auth-library's own, with its token request sent to the fake. */
function tokenSource(sa: FakeServiceAccount): JWT {
  const jwt = new JWT({
    email: sa.key.client_email,
    key: sa.key.private_key,
    keyId: sa.key.private_key_id,
    scopes: ['https://www.googleapis.com/auth/cloud-platform'],
  });
  jwt.transporter.interceptors.request.add({
    resolved: async (config) => {
      if (config.url.href === GOOGLE_TOKEN_URL) config.url = new URL(sa.key.token_uri);
      return config;
    },
  });
  return jwt;
}

/**
 * What @anthropic-ai/vertex-sdk does to each request of the Anthropic client (its documented wire
 * contract, written here because that package is not installed): POST /v1/messages becomes
 * /v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:rawPredict (or
 * :streamRawPredict when the body streams) with `model` taken out of the body; count_tokens becomes
 * models/count-tokens:rawPredict; every body gets `anthropic_version: "vertex-2023-10-16"` unless it has
 * one; the Google OAuth token of the service account is the bearer.
 */
function onVertex(auth: JWT, project: string, region: string): Middleware {
  return async (request, next, ctx) => {
    const url = new URL(request.url);
    const path = ctx.options?.path.split('?')[0];
    const body = JSON.parse(String(request.body)) as Record<string, unknown>;
    body['anthropic_version'] ??= VERSION;
    const models = `/v1/projects/${project}/locations/${region}/publishers/anthropic/models`;
    if (path === '/v1/messages') {
      const model = String(body['model']);
      delete body['model'];
      url.pathname = `${models}/${model}:${body['stream'] === true ? 'streamRawPredict' : 'rawPredict'}`;
    } else if (path === '/v1/messages/count_tokens') {
      url.pathname = `${models}/count-tokens:rawPredict`;
    }
    url.searchParams.delete('beta');
    request.headers.set('authorization', (await auth.getRequestHeaders()).get('authorization') ?? '');
    return next({ ...request, url: url.toString(), body: JSON.stringify(body) });
  };
}

/**
 * Claude on Vertex AI as the fake Google origin serves it, driven by Anthropic's own SDK (@anthropic-ai/sdk)
 * with the Vertex adaptation above as middleware and google-auth-library's JWT client for the token: if the
 * SDK reads the answers, streams and errors, the adapter's view of the wire is the real one.
 */
describe('Claude on the fake Vertex AI (checked with the official @anthropic-ai/sdk)', () => {
  let fake: FakeGemini;
  let account: FakeServiceAccount;
  let auth: JWT;
  const project = 'sy-vertex';
  const weather: Anthropic.Tool = {
    name: 'get_weather',
    description: 'Current weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };
  const claude = (region = 'us-east5', jwt = auth, onProject = project): Anthropic =>
    new Anthropic({
      apiKey: null,
      authToken: null,
      baseURL: fake.url,
      maxRetries: 0,
      defaultHeaders: { authorization: null },
      middleware: [onVertex(jwt, onProject, region)],
    });
  const ask = (model = 'claude-sonnet-4-5@20250929'): Anthropic.MessageCreateParamsNonStreaming => ({
    model,
    max_tokens: 100,
    messages: [{ role: 'user', content: 'Say hello' }],
  });
  const failure = (p: Promise<unknown>): Promise<APIError> =>
    p.then(
      () => {
        throw new Error('expected the request to fail');
      },
      (e: unknown) => e as APIError,
    );

  beforeAll(async () => {
    fake = await startFakeGemini();
    account = fake.createServiceAccount({ projectId: project });
    auth = tokenSource(account);
  });
  afterAll(() => fake.close());

  it('answers rawPredict: the model in the URL, anthropic_version in the body, a Google bearer token', async () => {
    const msg = await claude().messages.create({ ...ask(), system: 'Be brief.' });
    expect(msg).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: FAKE_ANTHROPIC_TEXT }],
      stop_reason: 'end_turn',
      usage: { input_tokens: Math.ceil('Be brief.Say hello'.length / 4), output_tokens: 7 },
    });
    expect(msg.id).toMatch(/^msg_vrtx_/);
    expect(fake.lastClaudeRequest).toMatchObject({
      project,
      location: 'us-east5',
      model: 'claude-sonnet-4-5@20250929',
      method: 'rawPredict',
    });
    expect(fake.lastClaudeRequest?.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(fake.lastClaudeRequest?.body).toEqual({
      max_tokens: 100,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Say hello' }],
      anthropic_version: VERSION,
    });
    // The id without its version, and the global endpoint, serve the same model.
    const global = await claude('global').messages.create(ask('claude-haiku-4-5'));
    expect(global.content).toEqual([{ type: 'text', text: FAKE_ANTHROPIC_TEXT }]);
  });

  it('streams from streamRawPredict: the SDK assembles the message and skips Vertex’s own vertex_event', async () => {
    const stream = claude().messages.stream(ask());
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    const msg = await stream.finalMessage();
    expect(texts.join('')).toBe(FAKE_ANTHROPIC_TEXT);
    expect(msg).toMatchObject({ stop_reason: 'end_turn', usage: { output_tokens: 7 } });
    expect(fake.lastClaudeRequest).toMatchObject({ method: 'streamRawPredict', body: { stream: true } });

    const raw = await claude()
      .messages.create({ ...ask(), stream: true })
      .asResponse();
    const events = [...(await raw.text()).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events.slice(0, 3)).toEqual(['message_start', 'vertex_event', 'content_block_start']);
    expect(events.at(-1)).toBe('message_stop');
  });

  it('calls a tool and takes its result in a second turn, paired by id', async () => {
    const client = claude();
    const first = await client.messages.create({
      ...ask(),
      tools: [weather],
      messages: [{ role: 'user', content: 'Use the tool for Paris' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
    expect(use.id).toMatch(/^toolu_vrtx_/);
    const second = await client.messages.create({
      ...ask(),
      tools: [weather],
      messages: [
        { role: 'user', content: 'Use the tool for Paris' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
      ],
    });
    expect(second.content).toEqual([{ type: 'text', text: 'The tool returned: sunny.' }]);
  });

  it('thinks with a signed block that must come back intact in the tool turn', async () => {
    const client = claude();
    const thinking = { type: 'enabled' as const, budget_tokens: 1024 };
    const request = { ...ask(), max_tokens: 2048, thinking, tools: [weather] };
    const user: Anthropic.MessageParam = { role: 'user', content: 'Use the tool for Oslo' };
    const first = await client.messages.create({ ...request, messages: [user] });
    const block = first.content[0] as Anthropic.ThinkingBlock;
    expect(block).toMatchObject({ type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING });
    expect(block.signature.length).toBeGreaterThan(20);
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
    const turn = (content: Anthropic.ContentBlockParam[]): Anthropic.MessageParam[] => [
      user,
      { role: 'assistant', content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'snow' }] },
    ];
    const second = await client.messages.create({ ...request, messages: turn(first.content) });
    expect(second.content.at(-1)).toEqual({ type: 'text', text: 'The tool returned: snow.' });

    const forged = await failure(
      client.messages.create({
        ...request,
        messages: turn([{ ...block, signature: `${block.signature.slice(0, -4)}AAAA` }, use]),
      }),
    );
    expect(forged).toBeInstanceOf(BadRequestError);
    expect(forged.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('counts tokens at count-tokens:rawPredict, whose body names the model', async () => {
    const counted = await claude().messages.countTokens({
      model: 'claude-sonnet-4-5@20250929',
      messages: [{ role: 'user', content: 'Count these words' }],
    });
    expect(counted.input_tokens).toBe(Math.ceil('Count these words'.length / 4));
    expect(fake.lastClaudeRequest).toMatchObject({ model: 'count-tokens', method: 'rawPredict' });
    expect(fake.lastClaudeRequest?.body).toMatchObject({ model: 'claude-sonnet-4-5@20250929' });
  });

  it("answers Vertex's own refusals in Google's error shape: quota, unknown model or region, project, token", async () => {
    const quota = await failure(claude().messages.create(ask('claude-fake-429')));
    expect(quota).toBeInstanceOf(RateLimitError);
    expect(quota.error).toEqual({
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: expect.stringContaining(
          'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model with base model: anthropic-claude-fake-429',
        ) as unknown as string,
      },
    });

    const unknown = await failure(claude().messages.create(ask('claude-sonnet-9@20990101')));
    expect(unknown).toBeInstanceOf(NotFoundError);
    expect(unknown.error).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
    // Claude is not offered at us-central1, whatever the model.
    const region = await failure(claude('us-central1').messages.create(ask()));
    expect(region).toBeInstanceOf(NotFoundError);
    expect(JSON.stringify(region.error)).toContain(
      'projects/sy-vertex/locations/us-central1/publishers/anthropic/models/claude-sonnet-4-5@20250929',
    );

    const otherProject = await failure(claude('us-east5', auth, 'someone-elses').messages.create(ask()));
    expect(otherProject).toBeInstanceOf(PermissionDeniedError);
    expect(otherProject.error).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });

    const revoked = fake.createServiceAccount({ projectId: project });
    const revokedAuth = tokenSource(revoked);
    await claude('us-east5', revokedAuth).messages.create(ask());
    expect(fake.revokeTokens(revoked.key.client_email)).toBe(1);
    const stale = await failure(claude('us-east5', revokedAuth).messages.create(ask()));
    expect(stale).toBeInstanceOf(AuthenticationError);
    expect(stale.error).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
  });

  it("answers the model's refusals in Anthropic's error shape, and cuts a stream mid-way", async () => {
    const overloaded = await failure(claude().messages.create(ask('claude-fake-529')));
    expect(overloaded.status).toBe(529);
    expect(overloaded.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    expect((overloaded.error as { request_id: string }).request_id).toMatch(/^req_vrtx_/);

    const long = await failure(claude().messages.create(ask('claude-fake-long')));
    expect(long).toBeInstanceOf(BadRequestError);
    expect(long.message).toContain('prompt is too long');

    const texts: string[] = [];
    const cut = claude().messages.stream(ask('claude-fake-drop'));
    cut.on('text', (t) => texts.push(t));
    await expect(cut.finalMessage()).rejects.toThrow();
    expect(texts).toEqual(['Hello']);
  });

  it('refuses a body with `model`, or without the Vertex anthropic_version', async () => {
    const token = (await auth.getAccessToken()).token!;
    const post = async (body: Record<string, unknown>) => {
      const res = await fetch(
        `${fake.url}/v1/projects/${project}/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        },
      );
      return { status: res.status, body: (await res.json()) as { error: { type: string; message: string } } };
    };
    const base = { max_tokens: 10, messages: [{ role: 'user', content: 'x' }] };
    expect(await post({ ...base, anthropic_version: VERSION })).toMatchObject({ status: 200 });
    for (const [body, message] of [
      [{ ...base, anthropic_version: VERSION, model: 'claude-sonnet-4-5@20250929' }, 'model: Extra inputs'],
      [base, 'anthropic_version: Field required'],
      [{ ...base, anthropic_version: '2023-06-01' }, "anthropic_version: Input should be 'vertex-2023-10-16'"],
    ] as const) {
      const r = await post(body);
      expect(r.status).toBe(400);
      expect(r.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringContaining(message) });
    }
  });

  it('serves Gemini and Claude on Vertex from one origin with the same token (one exchange)', async () => {
    const sa = fake.createServiceAccount({ projectId: 'sy-shared' });
    const shared = tokenSource(sa);
    const before = fake.tokenRequests;
    for (let i = 0; i < 3; i++) await claude('europe-west1', shared, 'sy-shared').messages.create(ask());
    const token = (await shared.getAccessToken()).token!;
    const gemini = await fetch(
      `${fake.url}/v1/projects/sy-shared/locations/europe-west1/publishers/google/models/gemini-2.5-flash:generateContent`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      },
    );
    expect(gemini.status).toBe(200);
    expect(fake.lastClaudeRequest?.headers.authorization).toBe(`Bearer ${token}`);
    expect(fake.tokenRequests - before).toBe(1);
  });
});
