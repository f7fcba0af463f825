import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainStream,
  startFakeGemini,
  startStack,
  type FakeGemini,
  type FakeServiceAccount,
  type Stack,
  expectNoSecretsInLogs,
} from '@switchyard/testing';

/**
 * Native Gemini through the five services: the official OpenAI SDK → gateway → router → translator → the
 * fake Gemini API (gemini/ deployments, API key) and the fake Vertex AI (a vertex_ai/ deployment whose
 * service-account key file points its token_uri at the fake's OAuth endpoint).
 */
describe('gemini and vertex_ai providers end to end', () => {
  const GEMINI_KEY = 'AIzaSyE2eGeminiKey0123456789abcdefghijkl';
  const WRONG_KEY = 'AIzaSyE2eWrongKeyZYXWVUTSRQPONMLKJIHGFED';
  let fake: FakeGemini;
  let sa: FakeServiceAccount;
  let keyDir: string;
  let stack: Stack;
  let openai: OpenAI;
  /** Every error message a client saw, checked for secrets at the end. */
  const errorBodies: string[] = [];

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: GEMINI_KEY });
    sa = fake.createServiceAccount({ projectId: 'sy-e2e-project' });
    keyDir = mkdtempSync(join(tmpdir(), 'sy-vertex-'));
    const keyFile = join(keyDir, 'service-account.json');
    writeFileSync(keyFile, sa.json, { mode: 0o600 });
    const gemini = (model: string, extra = '') =>
      `{ model: gemini/${model}, api_base: ${fake.url}, api_key: os.environ/GEMINI_TEST_KEY${extra} }`;
    const vertex = (model: string) =>
      `{ model: vertex_ai/${model}, api_base: ${fake.url}, vertex_credentials: ${keyFile}, vertex_location: europe-west4 }`;
    stack = await startStack({
      env: { GEMINI_TEST_KEY: GEMINI_KEY, GEMINI_WRONG_KEY: WRONG_KEY },
      configYaml: `
model_list:
  - model_name: gemini-flash
    litellm_params: ${gemini('gemini-2.0-flash')}
  - model_name: gemini-thinking
    litellm_params: ${gemini('gemini-2.5-flash')}
  - model_name: gemini-3
    litellm_params: ${gemini('gemini-3-pro-preview')}
  - model_name: gemini-cached
    litellm_params: ${gemini('gemini-2.0-flash-cached')}
  - model_name: gemini-limited
    litellm_params: ${gemini('gemini-2.0-flash-429')}
  - model_name: gemini-broken
    litellm_params: ${gemini('gemini-2.0-flash-500')}
  - model_name: gemini-dropping
    litellm_params: ${gemini('gemini-2.0-flash-drop')}
  - model_name: gemini-bad-key
    litellm_params: { model: gemini/gemini-2.0-flash, api_base: ${fake.url}, api_key: os.environ/GEMINI_WRONG_KEY }
  - model_name: vertex-flash
    litellm_params: ${vertex('gemini-2.5-flash')}
  - model_name: vertex-limited
    litellm_params: ${vertex('gemini-2.5-flash-429')}
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  async function failure(run: () => Promise<unknown>): Promise<APIError> {
    try {
      await run();
    } catch (e) {
      if (e instanceof APIError) {
        errorBodies.push(JSON.stringify(e.error ?? e.message));
        return e;
      }
      throw e;
    }
    throw new Error('expected the request to fail');
  }

  const weatherTool: OpenAI.ChatCompletionTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather of a city',
      parameters: {
        type: 'object',
        properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] } },
        required: ['city'],
        additionalProperties: false,
      },
    },
  };

  it('answers text, multi-turn with a system prompt, stop and max_tokens', async () => {
    const r = await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello?' },
        { role: 'assistant', content: 'Hi! How can I help?' },
        { role: 'user', content: 'Say hello' },
      ],
      temperature: 0.2,
    });
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe('gemini-flash');
    expect(r.choices[0]!.message.content).toBe('Hello from the fake Gemini');
    expect(r.choices[0]!.finish_reason).toBe('stop');
    expect(r.usage).toMatchObject({ completion_tokens: 5, prompt_tokens: 11, total_tokens: 16 });
    expect(fake.lastRequest?.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(fake.lastRequest?.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'Hello?' }] },
        { role: 'model', parts: [{ text: 'Hi! How can I help?' }] },
        { role: 'user', parts: [{ text: 'Say hello' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      generationConfig: { temperature: 0.2 },
    });

    const stopped = await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'x' }],
      stop: [' fake'],
    });
    expect(stopped.choices[0]!.message.content).toBe('Hello from the');
    // Gemini's implicit cache: cachedContentTokenCount comes back as prompt_tokens_details.cached_tokens.
    const cached = await openai.chat.completions.create({
      model: 'gemini-cached',
      messages: [{ role: 'user', content: 'a long and often repeated prompt prefix' }],
    });
    expect(cached.usage).toMatchObject({ prompt_tokens: 10, prompt_tokens_details: { cached_tokens: 5 } });
    const cut = await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'x' }],
      max_tokens: 2,
    });
    expect(cut.choices[0]!.message.content).toBe('Hello from');
    expect(cut.choices[0]!.finish_reason).toBe('length');
  });

  it('streams with a usage chunk when asked, and without one when not', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'stream please' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from the fake Gemini');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 5 });

    let sawUsage = false;
    for await (const chunk of await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'again' }],
      stream: true,
    }))
      if (chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
  });

  it('calls a tool and answers its result over two turns (finish_reason tool_calls)', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
    const first = await openai.chat.completions.create({ model: 'gemini-flash', messages, tools: [weatherTool] });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: '{"sky":"clear"}' });
    const second = await openai.chat.completions.create({ model: 'gemini-flash', messages, tools: [weatherTool] });
    expect(second.choices[0]!.message.content).toBe('The function get_weather returned {"sky":"clear"}.');
    expect((fake.lastRequest?.body as { contents: unknown[] }).contents[2]).toEqual({
      role: 'user',
      parts: [{ functionResponse: { name: 'get_weather', response: { sky: 'clear' } } }],
    });
  });

  it('streams a tool call, and carries Gemini 3’s thought signature across turns in the tool-call id', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Oslo?' }];
    const stream = await openai.chat.completions.create({
      model: 'gemini-3',
      messages,
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      stream: true,
    });
    let id = '';
    let name = '';
    let args = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta;
      for (const t of d?.tool_calls ?? []) {
        id ||= t.id ?? '';
        name ||= t.function?.name ?? '';
        args += t.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(name).toBe('get_weather');
    expect(JSON.parse(args)).toEqual({ city: 'Paris' });
    expect(id).toContain('__thought__');
    expect((fake.lastRequest?.body as { toolConfig: unknown }).toolConfig).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    });
    // The fake refuses a Gemini 3 function call sent back without the signature it issued.
    messages.push(
      { role: 'assistant', content: null, tool_calls: [{ id, type: 'function', function: { name, arguments: args } }] },
      { role: 'tool', tool_call_id: id, content: 'snow' },
    );
    const answer = await openai.chat.completions.create({ model: 'gemini-3', messages, tools: [weatherTool] });
    expect(answer.choices[0]!.message.content).toBe('The function get_weather returned {"output":"snow"}.');
  });

  it('answers json_schema, reads images, and returns reasoning with its token count', async () => {
    const json = await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'forecast' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'forecast',
          strict: true,
          schema: {
            type: 'object',
            properties: { city: { type: 'string', enum: ['Paris'] }, celsius: { type: 'integer' } },
            required: ['city', 'celsius'],
            additionalProperties: false,
          },
        },
      },
    });
    expect(JSON.parse(json.choices[0]!.message.content!)).toMatchObject({ city: 'Paris' });

    await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in these?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==' } },
            { type: 'image_url', image_url: { url: 'https://images.example/cat.webp' } },
          ],
        },
      ],
    });
    expect((fake.lastRequest?.body as { contents: Array<{ parts: unknown[] }> }).contents[0]!.parts).toEqual([
      { text: 'What is in these?' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgoAAAANSUhEUg==' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://images.example/cat.webp' } },
    ]);

    const thinking = await openai.chat.completions.create({
      model: 'gemini-thinking',
      messages: [{ role: 'user', content: 'think first' }],
      reasoning_effort: 'low',
    });
    const message = thinking.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).toContain('Considering the request');
    expect(message.content).toBe('Hello from the fake Gemini');
    expect(thinking.usage?.completion_tokens_details?.reasoning_tokens).toBe(12);
    expect(thinking.usage?.completion_tokens).toBe(17);
    expect((fake.lastRequest?.body as { generationConfig: unknown }).generationConfig).toEqual({
      thinkingConfig: { thinkingBudget: 1024, includeThoughts: true },
    });

    let reasoning = '';
    for await (const chunk of await openai.chat.completions.create({
      model: 'gemini-thinking',
      messages: [{ role: 'user', content: 'think' }],
      reasoning_effort: 'low',
      stream: true,
    }))
      reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    expect(reasoning).toContain('Considering the request');
  });

  it('refuses a parameter Gemini cannot take, unless drop_params', async () => {
    const e = await failure(() =>
      openai.chat.completions.create({
        model: 'gemini-flash',
        messages: [{ role: 'user', content: 'x' }],
        logprobs: true,
      }),
    );
    expect(e.status).toBe(400);
    expect(e.message).toContain('logprobs');
    const dropped = await openai.chat.completions.create({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'x' }],
      logprobs: true,
      // @ts-expect-error LiteLLM's request-level drop_params, not in the OpenAI SDK's types
      drop_params: true,
    });
    expect(dropped.choices[0]!.message.content).toBe('Hello from the fake Gemini');
  });

  it('maps 429, 5xx and a bad provider key to OpenAI errors', async () => {
    const limited = await failure(() =>
      openai.chat.completions.create({ model: 'gemini-limited', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(limited.status).toBe(429);
    expect(limited.message).toContain('You exceeded your current quota');
    expect(limited.headers?.get('retry-after')).toBe('7');

    const broken = await failure(() =>
      openai.chat.completions.create({ model: 'gemini-broken', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(broken.status).toBe(502);
    expect(broken.code).toBe('upstream_error');

    const badKey = await failure(() =>
      openai.chat.completions.create({ model: 'gemini-bad-key', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(badKey.status).toBe(502);
    expect(badKey.code).toBe('upstream_auth_failed');
    expect(badKey.message).toContain('API_KEY_INVALID');
  });

  it('ends a stream cut mid-way with an error, never a normal finish', async () => {
    const stream = await openai.chat.completions.create({
      model: 'gemini-dropping',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const { text, finish, error } = await drainStream(stream);
    expect(text).toBe('Hello from');
    expect(finish).toBeNull();
    expect(error).toBeDefined();
    errorBodies.push(String(error));
  });

  it('serves vertex_ai with one token exchange for many requests (the token path is off the request path)', async () => {
    const before = fake.tokenRequests;
    const r = await openai.chat.completions.create({
      model: 'vertex-flash',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(r.choices[0]!.message.content).toBe('Hello from the fake Gemini');
    expect(r.usage?.completion_tokens_details?.reasoning_tokens).toBe(12);
    expect(fake.lastRequest).toMatchObject({ api: 'vertex', project: 'sy-e2e-project', location: 'europe-west4' });
    expect(fake.lastRequest?.headers.authorization).toMatch(/^Bearer ya29\./);

    let text = '';
    for await (const chunk of await openai.chat.completions.create({
      model: 'vertex-flash',
      messages: [{ role: 'user', content: 'stream' }],
      stream: true,
    }))
      text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from the fake Gemini');
    const call = await openai.chat.completions.create({
      model: 'vertex-flash',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
    });
    expect(call.choices[0]!.finish_reason).toBe('tool_calls');
    await Promise.all(
      Array.from({ length: 5 }, () =>
        openai.chat.completions.create({ model: 'vertex-flash', messages: [{ role: 'user', content: 'again' }] }),
      ),
    );
    expect(fake.tokenRequests - before).toBe(1);

    const limited = await failure(() =>
      openai.chat.completions.create({ model: 'vertex-limited', messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(limited.status).toBe(429);
  });

  it('keeps every provider secret out of the service logs and the error bodies', () => {
    const secrets = [
      GEMINI_KEY,
      WRONG_KEY,
      // A line of the service account's private key, its id, and the access tokens' common prefix.
      sa.key.private_key.split('\n')[5]!,
      sa.key.private_key_id,
      'ya29.c.',
    ];
    expect(errorBodies.length).toBeGreaterThan(4);
    expectNoSecretsInLogs(stack, secrets, errorBodies);
  });
});
