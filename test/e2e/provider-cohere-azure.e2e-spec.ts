import { randomBytes } from 'node:crypto';
import OpenAI, { APIError, BadRequestError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FAKE_COHERE_PIECES,
  FAKE_COHERE_THINKING,
  fakeAnswerPieces,
  startFakeAzureOpenAI,
  startFakeCohere,
  startStack,
  type FakeAzureOpenAI,
  type FakeCohere,
  type Stack,
  expectNoSecretsInLogs,
  waitForUsageRows,
} from '@switchyard/testing';

const COHERE_TEXT = FAKE_COHERE_PIECES.join('');
const AZURE_TEXT = fakeAnswerPieces(5).join('');
const secret = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;
const COHERE_KEY = secret('co-e2e');
const COHERE_BAD_KEY = secret('co-e2e-wrong');
const AZURE_KEY = secret('azure-e2e');
const AZURE_CLIENT_SECRET = secret('entra-e2e');
const AZURE_PASSWORD = secret('entra-e2e-password');

type Body = Record<string, unknown>;
type Message = OpenAI.ChatCompletionMessageParam;

/**
 * Cohere Chat v2 and Azure OpenAI through the five services, driven by the official openai client: the
 * gateway speaks OpenAI, the translator's native Cohere adapter and its Azure adapter speak to fakes that
 * validate like the real APIs.
 */
describe('providers: cohere and azure, end to end', () => {
  let cohere: FakeCohere;
  let azure: FakeAzureOpenAI;
  let stack: Stack;
  let openai: OpenAI;
  /** Every error body the client saw: none may carry a provider secret. */
  const errorBodies: string[] = [];
  /** Entra ID tokens the translator presented to Azure. */
  const tokensSeen = new Set<string>();

  beforeAll(async () => {
    [cohere, azure] = await Promise.all([
      startFakeCohere({ apiKey: COHERE_KEY }),
      startFakeAzureOpenAI({ apiKey: AZURE_KEY, clientId: 'switchyard-app', clientSecret: AZURE_CLIENT_SECRET }),
    ]);
    const co = (name: string, model: string, key = 'E2E_COHERE_KEY') =>
      `  - model_name: ${name}\n    litellm_params: { model: ${model}, api_base: ${cohere.url}, api_key: os.environ/${key} }\n`;
    const az = (
      name: string,
      deployment: string,
      extra = 'api_version: "2024-10-21", api_key: os.environ/E2E_AZURE_KEY',
    ) =>
      `  - model_name: ${name}\n    litellm_params: { model: azure/${deployment}, api_base: ${azure.url}, ${extra} }\n`;
    stack = await startStack({
      env: {
        E2E_COHERE_KEY: COHERE_KEY,
        E2E_COHERE_BAD_KEY: COHERE_BAD_KEY,
        E2E_AZURE_KEY: AZURE_KEY,
        E2E_AZURE_CLIENT_SECRET: AZURE_CLIENT_SECRET,
        E2E_AZURE_PASSWORD: AZURE_PASSWORD,
        // The Entra ID authority, as azure-identity reads it: the fake's token endpoint.
        AZURE_AUTHORITY_HOST: azure.url,
      },
      configYaml:
        'model_list:\n' +
        co('command-a', 'cohere/command-a-03-2025') +
        co('command-vision', 'cohere/command-a-vision-07-2025') +
        co('command-reasoning', 'cohere_chat/command-a-reasoning-08-2025') +
        co('cohere-limited', 'cohere/cohere-429') +
        co('cohere-broken', 'cohere/cohere-500') +
        co('cohere-cut', 'cohere/cohere-drop') +
        co('cohere-badkey', 'cohere/command-a-03-2025', 'E2E_COHERE_BAD_KEY') +
        az('azure-gpt', 'gpt-4o-prod') +
        az('azure-v1', 'gpt-4o-prod', 'api_version: v1, api_key: os.environ/E2E_AZURE_KEY') +
        az(
          'azure-entra',
          'gpt-4o-prod',
          'api_version: "2024-10-21", tenant_id: contoso, client_id: switchyard-app, client_secret: os.environ/E2E_AZURE_CLIENT_SECRET',
        ) +
        az(
          'azure-userpass',
          'gpt-4o-prod',
          'api_version: "2024-10-21", azure_username: someone@contoso.example, azure_password: os.environ/E2E_AZURE_PASSWORD',
        ) +
        az('azure-filtered', 'azure-content-filter') +
        az('azure-limited', 'azure-429') +
        az('azure-cut', 'fake-drop'),
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([cohere?.close(), azure?.close()]);
  });

  const sent = (): Body => cohere.lastRequest!.body as Body;
  const user = (content: string): Message => ({ role: 'user', content });
  /** The error a call ends with (recorded for the secret check). */
  async function failure(run: () => Promise<unknown>): Promise<APIError> {
    try {
      await run();
    } catch (e) {
      if (!(e instanceof APIError)) throw e;
      errorBodies.push(JSON.stringify({ message: e.message, error: e.error }));
      return e;
    }
    throw new Error('expected the call to fail');
  }
  async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const reasoning = chunks
      .map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '')
      .join('');
    const finish = chunks.map((c) => c.choices[0]?.finish_reason).find((f) => f);
    return { chunks, text, reasoning, finish, usage: chunks.find((c) => c.usage)?.usage };
  }

  describe('cohere/', () => {
    it('answers text, and a multi-turn conversation with a system prompt', async () => {
      const r = await openai.chat.completions.create({ model: 'command-a', messages: [user('Hello there')] });
      expect(r.object).toBe('chat.completion');
      expect(r.model).toBe('command-a');
      expect(r.choices[0]).toMatchObject({
        message: { role: 'assistant', content: COHERE_TEXT },
        finish_reason: 'stop',
      });
      expect(r.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: FAKE_COHERE_PIECES.length });
      expect(cohere.lastRequest!.headers.authorization).toBe(`Bearer ${COHERE_KEY}`);
      expect(sent()).toEqual({ model: 'command-a-03-2025', messages: [{ role: 'user', content: 'Hello there' }] });

      const multi = await openai.chat.completions.create({
        model: 'command-a',
        messages: [
          { role: 'system', content: 'You answer briefly.' },
          user('Hi'),
          { role: 'assistant', content: 'Hello! How can I help?' },
          user('Tell me more'),
        ],
        temperature: 0.2,
      });
      expect(multi.choices[0]!.message.content).toBe(COHERE_TEXT);
      expect(sent()).toMatchObject({
        messages: [
          { role: 'system', content: 'You answer briefly.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello! How can I help?' },
          { role: 'user', content: 'Tell me more' },
        ],
        temperature: 0.2,
      });
    });

    it('streams with a usage chunk when asked, and records usage either way', async () => {
      const withUsage = await collect(
        await openai.chat.completions.create({
          model: 'command-a',
          messages: [user('Stream please')],
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(withUsage.text).toBe(COHERE_TEXT);
      expect(withUsage.chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant' });
      expect(withUsage.finish).toBe('stop');
      expect(withUsage.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: FAKE_COHERE_PIECES.length });
      expect(sent()['stream']).toBe(true);

      const plain = await collect(
        await openai.chat.completions.create({ model: 'command-a', messages: [user('Stream quietly')], stream: true }),
      );
      expect(plain.text).toBe(COHERE_TEXT);
      expect(plain.usage).toBeUndefined();
      const rows = await waitForUsageRows(stack, {
        select: 'prompt_tokens, completion_tokens, usage_estimated',
        where: "requested_model = 'command-a' AND provider = 'cohere' AND stream = 1 AND prompt_tokens = 4",
        until: (found) => found.length >= 2,
      });
      expect(rows.map((x) => [Number(x.completion_tokens), Number(x.usage_estimated)])).toEqual([
        [FAKE_COHERE_PIECES.length, 0],
        [FAKE_COHERE_PIECES.length, 0],
      ]);
    });

    const weather: OpenAI.ChatCompletionTool = {
      type: 'function',
      function: {
        name: 'get_weather',
        description: 'Gets the weather of a location',
        parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
      },
    };

    it('calls a tool and answers from its result over two turns', async () => {
      const question = user('What is the weather in Paris?');
      const first = await openai.chat.completions.create({
        model: 'command-a',
        messages: [question],
        tools: [weather],
        tool_choice: 'required',
      });
      const choice = first.choices[0]!;
      expect(choice.finish_reason).toBe('tool_calls');
      const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather' } });
      expect(call.id).toMatch(/^get_weather_/);
      expect(JSON.parse(call.function.arguments)).toHaveProperty('location');
      expect((choice.message as { reasoning_content?: string }).reasoning_content).toBe(
        'I will call get_weather to answer.',
      );
      expect(sent()).toMatchObject({
        tool_choice: 'REQUIRED',
        tools: [{ type: 'function', function: { name: 'get_weather' } }],
      });

      const second = await openai.chat.completions.create({
        model: 'command-a',
        tools: [weather],
        messages: [
          question,
          { ...(choice.message as Message & { role: 'assistant' }), content: null },
          { role: 'tool', tool_call_id: call.id, content: '21C and sunny' },
        ],
      });
      expect(second.choices[0]!.message.content).toContain('The tool answered: 21C and sunny');
      expect(second.choices[0]!.finish_reason).toBe('stop');
      expect((sent()['messages'] as Body[]).slice(1)).toEqual([
        {
          role: 'assistant',
          tool_calls: [
            { id: call.id, type: 'function', function: { name: 'get_weather', arguments: call.function.arguments } },
          ],
          tool_plan: 'I will call get_weather to answer.',
        },
        { role: 'tool', tool_call_id: call.id, content: '21C and sunny' },
      ]);
    });

    it('streams a tool call: index, id and name first, then the arguments', async () => {
      const s = await collect(
        await openai.chat.completions.create({
          model: 'command-a',
          messages: [user('Weather in Oslo, please?')],
          tools: [weather],
          stream: true,
        }),
      );
      const deltas = s.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
      expect(deltas[0]!.id).toMatch(/^get_weather_/);
      expect(deltas.slice(1).every((d) => d.id === undefined && d.function?.name === undefined)).toBe(true);
      expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toHaveProperty('location');
      expect(s.finish).toBe('tool_calls');
    });

    it('honours stop and max_tokens', async () => {
      const short = await openai.chat.completions.create({
        model: 'command-a',
        messages: [user('x')],
        max_tokens: 2,
      });
      expect(short.choices[0]).toMatchObject({ message: { content: 'Hello from' }, finish_reason: 'length' });
      expect(sent()['max_tokens']).toBe(2);
      const stopped = await openai.chat.completions.create({
        model: 'command-a',
        messages: [user('x')],
        stop: [' fake'],
      });
      expect(stopped.choices[0]).toMatchObject({ message: { content: 'Hello from the' }, finish_reason: 'stop' });
      expect(sent()['stop_sequences']).toEqual([' fake']);
    });

    it('answers json_schema structured output', async () => {
      const schema = {
        type: 'object',
        properties: { city: { type: 'string' }, temperature: { type: 'number' } },
        required: ['city', 'temperature'],
        additionalProperties: false,
      };
      const r = await openai.chat.completions.create({
        model: 'command-a',
        messages: [user('Weather as JSON')],
        response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
      });
      const doc = JSON.parse(r.choices[0]!.message.content!) as Body;
      expect(Object.keys(doc).sort()).toEqual(['city', 'temperature']);
      expect(sent()['response_format']).toEqual({ type: 'json_object', json_schema: schema });
    });

    it('takes images (a URL and a base64 data URL) on a vision model', async () => {
      const r = await openai.chat.completions.create({
        model: 'command-vision',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is in these?' },
              { type: 'image_url', image_url: { url: 'https://cohere.com/favicon-32x32.png', detail: 'low' } },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
            ],
          },
        ],
      });
      expect(r.choices[0]!.message.content).toMatch(/^I see 2 images\./);
      expect((sent()['messages'] as Body[])[0]!['content']).toEqual([
        { type: 'text', text: 'What is in these?' },
        { type: 'image_url', image_url: { url: 'https://cohere.com/favicon-32x32.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
      ]);
    });

    it('returns thinking as reasoning_content, whole and streamed, from reasoning_effort', async () => {
      const r = await openai.chat.completions.create({
        model: 'command-reasoning',
        messages: [user('Think first')],
        reasoning_effort: 'low',
      });
      const message = r.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
      expect(message.reasoning_content).toBe(FAKE_COHERE_THINKING);
      expect(message.content).toBe(COHERE_TEXT);
      expect(sent()['thinking']).toEqual({ type: 'enabled', token_budget: 1024 });
      const s = await collect(
        await openai.chat.completions.create({
          model: 'command-reasoning',
          messages: [
            user('Think first'),
            { role: 'assistant', content: 'Earlier.', reasoning_content: 'I thought.' } as Message,
            user('Again'),
          ],
          stream: true,
        }),
      );
      expect(s.reasoning).toBe(FAKE_COHERE_THINKING);
      expect(s.text).toBe(COHERE_TEXT);
      // The earlier turn's thinking goes back to Cohere as a thinking part.
      expect((sent()['messages'] as Body[])[1]).toEqual({
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'I thought.' },
          { type: 'text', text: 'Earlier.' },
        ],
      });
    });

    it('refuses what Cohere cannot take with a 400 naming the parameter, unless drop_params', async () => {
      const e = await failure(() =>
        openai.chat.completions.create({ model: 'command-a', messages: [user('x')], logit_bias: { '42': 1 } }),
      );
      expect(e).toBeInstanceOf(BadRequestError);
      expect(e).toMatchObject({ status: 400, param: 'logit_bias', code: 'unsupported_parameter' });
      const dropped = await openai.chat.completions.create({
        model: 'command-a',
        messages: [user('x')],
        logit_bias: { '42': 1 },
        drop_params: true,
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      expect(dropped.choices[0]!.message.content).toBe(COHERE_TEXT);
      expect(sent()).not.toHaveProperty('logit_bias');
    });

    it("passes a 429 on with its retry hint, a 5xx as a 502, and a refused key as the operator's 502", async () => {
      const limited = await failure(() =>
        openai.chat.completions.create({ model: 'cohere-limited', messages: [user('x')] }),
      );
      expect(limited).toBeInstanceOf(RateLimitError);
      expect(limited.headers?.get('retry-after')).toBe('7');
      expect(limited.message).toContain('Trial key');
      const broken = await failure(() =>
        openai.chat.completions.create({ model: 'cohere-broken', messages: [user('x')] }),
      );
      expect(broken.status).toBe(502);
      const badKey = await failure(() =>
        openai.chat.completions.create({ model: 'cohere-badkey', messages: [user('x')] }),
      );
      expect(badKey).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    });

    it('ends a stream cut mid-way with an error, never a normal finish', async () => {
      const stream = await openai.chat.completions.create({ model: 'cohere-cut', messages: [user('x')], stream: true });
      const seen: OpenAI.ChatCompletionChunk[] = [];
      const e = await failure(async () => {
        for await (const c of stream) seen.push(c);
      });
      // The cut reaches the translator as a reset socket (or a body that ends early): an error either way.
      expect(e.message).toMatch(/broke off part-way|closed the stream before the answer was complete/);
      expect(seen.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
      expect(seen.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    });
  });

  describe('azure/', () => {
    it('answers through the deployments URL with the api-key, and streams without the prompt-filter chunk', async () => {
      const r = await openai.chat.completions.create({ model: 'azure-gpt', messages: [user('Hello Azure')] });
      expect(r.choices[0]!.message.content).toBe(AZURE_TEXT);
      expect(azure.lastRequest).toMatchObject({
        url: '/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21',
        headers: { 'api-key': AZURE_KEY },
      });
      expect(azure.lastRequest!.headers.authorization).toBeUndefined();

      const s = await collect(
        await openai.chat.completions.create({
          model: 'azure-gpt',
          messages: [user('Stream from Azure')],
          stream: true,
          stream_options: { include_usage: true },
        }),
      );
      expect(s.text).toBe(AZURE_TEXT);
      expect(s.chunks[0]!.choices[0]!.delta.role).toBe('assistant');
      // The only chunk without choices is the usage chunk at the end.
      expect(s.chunks.filter((c) => c.choices.length === 0).map((c) => c.usage !== null)).toEqual([true]);
      expect(s.usage).toMatchObject({ completion_tokens: 5 });
    });

    it('answers through the v1 URL', async () => {
      const r = await openai.chat.completions.create({ model: 'azure-v1', messages: [user('v1 please')] });
      expect(r.choices[0]!.message.content).toBe(AZURE_TEXT);
      expect(azure.lastRequest!.url).toBe('/openai/v1/chat/completions');
      expect((azure.lastRequest!.body as Body)['model']).toBe('gpt-4o-prod');
    });

    it('authenticates with Entra ID client credentials, fetching the token once for many requests', async () => {
      const before = azure.tokenRequests;
      for (let i = 0; i < 3; i++) {
        const r = await openai.chat.completions.create({ model: 'azure-entra', messages: [user(`entra ${i}`)] });
        expect(r.choices[0]!.message.content).toBe(AZURE_TEXT);
        const auth = String(azure.lastRequest!.headers.authorization);
        expect(auth).toMatch(/^Bearer eyJ/);
        tokensSeen.add(auth.slice('Bearer '.length));
        expect(azure.lastRequest!.headers['api-key']).toBeUndefined();
      }
      expect(azure.tokenRequests).toBe(before + 1);
      expect(tokensSeen.size).toBe(1);
      expect(azure.lastTokenRequest!.url).toBe('/contoso/oauth2/v2.0/token');
      expect(azure.lastTokenRequest!.body).toMatchObject({
        grant_type: 'client_credentials',
        client_id: 'switchyard-app',
        scope: 'https://cognitiveservices.azure.com/.default',
      });
    });

    it('refuses the username/password flow when a request needs it, saying what to use instead', async () => {
      const before = azure.requests;
      const e = await failure(() => openai.chat.completions.create({ model: 'azure-userpass', messages: [user('x')] }));
      expect(e).toMatchObject({ status: 502, code: 'upstream_credentials_failed' });
      expect(e.message).toContain('username/password flow');
      expect(e.message).toContain('tenant_id, client_id, client_secret');
      expect(azure.requests).toBe(before);
    });

    it('maps the content filter to content_policy_violation and a 429 with its retry hint', async () => {
      const filtered = await failure(() =>
        openai.chat.completions.create({ model: 'azure-filtered', messages: [user('x')] }),
      );
      expect(filtered).toBeInstanceOf(BadRequestError);
      expect(filtered).toMatchObject({ status: 400, code: 'content_policy_violation' });
      expect(filtered.message).toContain('content management policy');
      const limited = await failure(() =>
        openai.chat.completions.create({ model: 'azure-limited', messages: [user('x')] }),
      );
      expect(limited).toBeInstanceOf(RateLimitError);
      expect(Number(limited.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    });

    it('ends a stream cut mid-way with an error', async () => {
      const stream = await openai.chat.completions.create({ model: 'azure-cut', messages: [user('x')], stream: true });
      const e = await failure(async () => {
        for await (const _c of stream) void _c;
      });
      // The cut reaches the translator as a reset socket (or a body that ends early): an error either way.
      expect(e.message).toMatch(/broke off part-way|closed the stream before the answer was complete/);
    });
  });

  it('never writes a provider secret to a log line or an error body', () => {
    const secrets = [COHERE_KEY, COHERE_BAD_KEY, AZURE_KEY, AZURE_CLIENT_SECRET, AZURE_PASSWORD, ...tokensSeen];
    expect(tokensSeen.size).toBe(1);
    expect(errorBodies.length).toBeGreaterThanOrEqual(9);
    expectNoSecretsInLogs(stack, secrets, errorBodies);
  });
});
