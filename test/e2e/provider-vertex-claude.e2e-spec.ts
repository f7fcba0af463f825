import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainStream,
  FAKE_ANTHROPIC_TEXT,
  FAKE_ANTHROPIC_THINKING,
  startFakeGemini,
  startStack,
  waitFor,
  type FakeGemini,
  type FakeServiceAccount,
  type Stack,
  expectNoSecretsInLogs,
} from '@switchyard/testing';

/** What LiteLLM-style clients read beside OpenAI's fields. */
interface ReasoningMessage {
  content: string | null;
  reasoning_content?: string;
  thinking_blocks?: Array<{ type: string; thinking?: string; signature?: string | null }>;
  tool_calls?: OpenAI.ChatCompletionMessageFunctionToolCall[];
}

/**
 * Claude on Vertex AI through the five services: the official OpenAI SDK → gateway → router → translator →
 * the fake Google origin (rawPredict / streamRawPredict of publisher anthropic), authenticated by a
 * service-account key file whose token_uri is the same fake's OAuth endpoint. The fake's answers are the
 * fake Anthropic API's own; its platform errors are Google's.
 */
describe('vertex_ai/claude-* deployments end to end', () => {
  const PROJECT = 'sy-e2e-claude';
  let fake: FakeGemini;
  let sa: FakeServiceAccount;
  /** Its tokens are revoked mid-test: Vertex then refuses the token the translator holds. */
  let revocable: FakeServiceAccount;
  /** An account of another project: its token is good, but not for the deployment's project. */
  let outsider: FakeServiceAccount;
  /** A key the token endpoint never issued: its signature fails the exchange. */
  let forged: FakeServiceAccount;
  let keyDir: string;
  let stack: Stack;
  let openai: OpenAI;
  /** Every error a client saw, checked for secrets at the end. */
  const errorBodies: string[] = [];

  beforeAll(async () => {
    fake = await startFakeGemini();
    sa = fake.createServiceAccount({ projectId: PROJECT });
    revocable = fake.createServiceAccount({ projectId: PROJECT });
    outsider = fake.createServiceAccount({ projectId: 'someone-elses-project' });
    const stranger = fake.createServiceAccount({ projectId: PROJECT });
    forged = { ...stranger, key: { ...stranger.key, private_key: outsider.key.private_key } };
    forged.json = JSON.stringify(forged.key);
    keyDir = mkdtempSync(join(tmpdir(), 'sy-vertex-claude-'));
    const keyFile = (name: string, account: FakeServiceAccount): string => {
      const file = join(keyDir, `${name}.json`);
      writeFileSync(file, account.json, { mode: 0o600 });
      return file;
    };
    const main = keyFile('main', sa);
    const dep = (name: string, model: string, o: { key?: string; location?: string } = {}) =>
      `  - model_name: ${name}\n    litellm_params: { model: vertex_ai/${model}, api_base: ${fake.url}, vertex_credentials: ${o.key ?? main}, vertex_project: ${PROJECT}, vertex_location: ${o.location ?? 'us-east5'} }\n`;
    const SONNET = 'claude-sonnet-4-5@20250929';
    stack = await startStack({
      // Debug level: the translator logs every upstream failure's status and kind, which this file reads.
      env: { LOG_LEVEL: 'debug' },
      configYaml: `model_list:\n${[
        dep('claude', SONNET),
        dep('claude-many', SONNET),
        dep('claude-quota', 'claude-fake-429'),
        dep('claude-overloaded', 'claude-fake-529'),
        dep('claude-cut', 'claude-fake-drop'),
        dep('claude-wrong-region', SONNET, { location: 'us-central1' }),
        dep('claude-revoked', SONNET, { key: keyFile('revocable', revocable) }),
        dep('claude-outsider', SONNET, { key: keyFile('outsider', outsider) }),
        dep('claude-forged', SONNET, { key: keyFile('forged', forged) }),
        dep('gemini-on-vertex', 'gemini-2.5-flash'),
      ].join('')}
# Each group is one deployment whose provider errors this file reads one by one: a cooldown after a 401
# (the router's own business, tested in routing.e2e-spec.ts) would answer the next request itself.
router_settings:
  disable_cooldowns: true
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const sent = () => fake.lastClaudeRequest!.body as Record<string, unknown>;
  const failure = async (p: Promise<unknown>): Promise<APIError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(APIError);
    errorBodies.push(JSON.stringify((e as APIError).error ?? {}), (e as APIError).message);
    return e as APIError;
  };
  const ask = (model: string, content = 'Hi') =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content }] });
  const weather: OpenAI.ChatCompletionTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };

  it('answers text at rawPredict: model in the URL, anthropic_version in the body, the service account’s token', async () => {
    const r = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Say hello' },
      ],
    });
    // The answer names the model that served it, as Anthropic's answers on Vertex do.
    expect(r.model).toBe('claude-sonnet-4-5-20250929');
    expect(r.choices[0]!.message.content).toBe(FAKE_ANTHROPIC_TEXT);
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({
      prompt_tokens: Math.ceil('You are terse.HiHello.Say hello'.length / 4),
      completion_tokens: 7,
    });
    expect(fake.lastClaudeRequest).toMatchObject({
      project: PROJECT,
      location: 'us-east5',
      model: 'claude-sonnet-4-5@20250929',
      method: 'rawPredict',
    });
    expect(fake.lastClaudeRequest!.headers.authorization).toMatch(/^Bearer ya29\./);
    expect(fake.lastClaudeRequest!.headers['x-api-key']).toBeUndefined();
    expect(sent()).not.toHaveProperty('model');
    expect(sent()).toMatchObject({
      anthropic_version: 'vertex-2023-10-16',
      system: [{ type: 'text', text: 'You are terse.' }],
      max_tokens: 64000,
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
        { role: 'user', content: 'Say hello' },
      ],
    });
  });

  it('streams from streamRawPredict (through Vertex’s vertex_event) with a usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Stream please' }],
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    let first: OpenAI.ChatCompletionChunk.Choice.Delta | undefined;
    for await (const c of stream) {
      first ??= c.choices[0]?.delta;
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(first).toMatchObject({ role: 'assistant' });
    expect(text).toBe(FAKE_ANTHROPIC_TEXT);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: Math.ceil('Stream please'.length / 4), completion_tokens: 7 });
    expect(fake.lastClaudeRequest).toMatchObject({ method: 'streamRawPredict' });
    expect(sent()).toMatchObject({ stream: true, anthropic_version: 'vertex-2023-10-16' });
  });

  it('calls a tool and takes its result over two turns, paired by id', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Use the tool for Paris' }];
    const first = await openai.chat.completions.create({ model: 'claude', messages, tools: [weather] });
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    const call = first.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toMatch(/^toolu_vrtx_/);
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    messages.push(first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'rain' });
    const second = await openai.chat.completions.create({ model: 'claude', messages, tools: [weather] });
    expect(second.choices[0]!.message.content).toBe('The tool returned: rain.');
    const turns = sent()['messages'] as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    expect(turns[2]!.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: call.id, content: 'rain' });
  });

  it('reasons: reasoning_content and signed thinking_blocks, sent back intact for the tool turn', async () => {
    const request = {
      model: 'claude',
      reasoning_effort: 'low' as const,
      tools: [weather],
      messages: [{ role: 'user' as const, content: 'Use the tool for Oslo' }],
    };
    const first = await openai.chat.completions.create(request);
    const m = first.choices[0]!.message as unknown as ReasoningMessage;
    expect(m.reasoning_content).toBe(FAKE_ANTHROPIC_THINKING);
    expect(m.thinking_blocks).toEqual([
      { type: 'thinking', thinking: FAKE_ANTHROPIC_THINKING, signature: expect.any(String) as unknown as string },
    ]);
    expect(first.usage!.completion_tokens_details!.reasoning_tokens).toBe(
      Math.ceil(FAKE_ANTHROPIC_THINKING.length / 4),
    );
    expect(sent()['thinking']).toEqual({ type: 'enabled', budget_tokens: 1024 });
    // The fake refuses a tool turn continued without the signed thinking block it issued.
    const second = await openai.chat.completions.create({
      ...request,
      messages: [
        ...request.messages,
        first.choices[0]!.message as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: m.tool_calls![0]!.id, content: 'snow' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool returned: snow.');
    const resent = (sent()['messages'] as Array<{ content: Array<Record<string, unknown>> }>)[1]!.content[0];
    expect(resent).toEqual({
      type: 'thinking',
      thinking: FAKE_ANTHROPIC_THINKING,
      signature: m.thinking_blocks![0]!.signature,
    });

    let reasoning = '';
    for await (const c of await openai.chat.completions.create({
      model: 'claude',
      reasoning_effort: 'low',
      stream: true,
      messages: [{ role: 'user', content: 'think' }],
    }))
      reasoning += (c.choices[0]?.delta as Partial<ReasoningMessage> | undefined)?.reasoning_content ?? '';
    expect(reasoning).toBe(FAKE_ANTHROPIC_THINKING);
  });

  it('serves many requests with one token exchange, and Gemini from the same origin with the same key', async () => {
    const before = fake.tokenRequests;
    await Promise.all(Array.from({ length: 6 }, (_, i) => ask('claude-many', `request ${i}`)));
    for await (const c of await openai.chat.completions.create({
      model: 'claude-many',
      stream: true,
      messages: [{ role: 'user', content: 'and a stream' }],
    }))
      void c;
    expect(fake.tokenRequests - before).toBe(1);

    const gemini = await ask('gemini-on-vertex');
    expect(gemini.choices[0]!.message.content).toBe('Hello from the fake Gemini');
    expect(fake.lastRequest).toMatchObject({ api: 'vertex', project: PROJECT, model: 'gemini-2.5-flash' });
  });

  it('maps Vertex’s quota 429, a model it does not serve there, and the model’s own overload', async () => {
    const quota = await failure(ask('claude-quota'));
    expect(quota).toBeInstanceOf(RateLimitError);
    expect(quota.message).toContain(
      'Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model',
    );
    const region = await failure(ask('claude-wrong-region'));
    expect(region).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(region.message).toContain('locations/us-central1/publishers/anthropic/models/claude-sonnet-4-5@20250929');
    const overloaded = await failure(ask('claude-overloaded'));
    expect(overloaded).toMatchObject({ status: 503, code: 'overloaded' });
  });

  it('answers a refused token, an account without access and a key the token endpoint refuses with the operator’s 502', async () => {
    // The translator holds a token of this account; revoked, Vertex answers 401 UNAUTHENTICATED.
    expect((await ask('claude-revoked')).choices[0]!.message.content).toBe(FAKE_ANTHROPIC_TEXT);
    expect(fake.revokeTokens(revocable.key.client_email)).toBe(1);
    const revoked = await failure(ask('claude-revoked'));
    expect(revoked).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(revoked.message).toContain('UNAUTHENTICATED');
    const refusedToken = fake.lastClaudeRequest!.headers.authorization;
    expect(refusedToken).toMatch(/^Bearer ya29\./);
    // The refused token is dropped: the next request fetches a new one and is answered.
    expect((await ask('claude-revoked')).choices[0]!.message.content).toBe(FAKE_ANTHROPIC_TEXT);
    expect(fake.lastClaudeRequest!.headers.authorization).not.toBe(refusedToken);

    const outsiders = await failure(ask('claude-outsider'));
    expect(outsiders).toMatchObject({ status: 502, code: 'upstream_permission_denied' });
    expect(outsiders.message).toContain("Permission 'aiplatform.endpoints.predict' denied");

    const before = fake.claudeRequests;
    const refusedKey = await failure(ask('claude-forged'));
    expect(refusedKey).toMatchObject({ status: 502, code: 'upstream_credentials_failed' });
    expect(refusedKey.message).toContain(
      'the OAuth endpoint (token_uri) refused the service-account key: invalid_grant: Invalid JWT Signature',
    );
    expect(fake.claudeRequests).toBe(before);

    // The kinds the route trail carries, as the translator logs them (status and kind, never a body).
    const translatorLog = () => readFileSync(join(stack.logDir, 'translator.log'), 'utf8');
    for (const line of [
      /upstream HTTP 401 → 502 auth\/upstream_auth_failed/,
      /upstream HTTP 403 → 502 permission\/upstream_permission_denied/,
      /upstream HTTP 429 → 429 rate_limited\/rate_limit_exceeded/,
      /upstream HTTP 404 → 404 not_found\/model_not_found/,
      /upstream HTTP 529 → 503 overloaded\/overloaded/,
    ]) {
      await waitFor(() => line.test(translatorLog()), { what: `a translator log line like ${line.source}` });
    }
  });

  it('ends a stream cut mid-way with an error, never a normal finish', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude-cut',
      stream: true,
      messages: [{ role: 'user', content: 'x' }],
    });
    const { text, finish, error: outcome } = await drainStream(stream);
    expect(outcome).toBeInstanceOf(APIError);
    errorBodies.push((outcome as APIError).message);
    expect(text).toBe('Hello');
    expect(finish).toBeNull();
  });

  it('keeps the service accounts’ keys and tokens out of every log line and error body', () => {
    const secrets = [sa, revocable, outsider, forged].flatMap((a) => [
      // A line from inside each private key, its id, and the prefix every access token of the fake has.
      a.key.private_key.split('\n')[5]!,
      a.key.private_key_id,
    ]);
    secrets.push('ya29.c.', 'BEGIN PRIVATE KEY');
    expect(errorBodies.length).toBeGreaterThanOrEqual(13);
    expectNoSecretsInLogs(stack, secrets, errorBodies);
  });
});
