import OpenAI, { APIError, InternalServerError, RateLimitError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  drainStream,
  FAKE_AWS_KEYS,
  type FakeBedrock,
  startFakeBedrock,
  type Stack,
  startStack,
  expectNoSecretsInLogs,
  waitForUsageRow,
} from '@switchyard/testing';

const [KEY_ID, TEMP_KEY_ID] = Object.keys(FAKE_AWS_KEYS) as [string, string];
const SECRET = FAKE_AWS_KEYS[KEY_ID]!.secretAccessKey;
const TEMP = FAKE_AWS_KEYS[TEMP_KEY_ID]!;
const WRONG_SECRET = 'wrongBedrockSecret/abcdefghijklmnop0123456789';
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/**
 * The native Bedrock adapter through the five services: the official OpenAI SDK → gateway → router →
 * translator (Converse, SigV4-signed) → the fake Bedrock runtime, which checks every signature and
 * request as AWS does; answers and ConverseStream event streams come back as OpenAI completions and chunks.
 */
describe('provider bedrock end to end', () => {
  let fake: FakeBedrock;
  let stack: Stack;
  let openai: OpenAI;

  beforeAll(async () => {
    fake = await startFakeBedrock();
    const deployment = (name: string, model: string, extra = '') => `
  - model_name: ${name}
    litellm_params:
      model: bedrock/${model}
      aws_access_key_id: os.environ/BEDROCK_E2E_KEY_ID
      aws_secret_access_key: os.environ/BEDROCK_E2E_SECRET
      aws_region_name: ${fake.region}
      aws_bedrock_runtime_endpoint: ${fake.url}${extra}`;
    stack = await startStack({
      env: {
        BEDROCK_E2E_KEY_ID: KEY_ID,
        BEDROCK_E2E_SECRET: SECRET,
        BEDROCK_E2E_TEMP_ID: TEMP_KEY_ID,
        BEDROCK_E2E_TEMP_SECRET: TEMP.secretAccessKey,
        BEDROCK_E2E_TEMP_TOKEN: TEMP.sessionToken!,
        BEDROCK_E2E_WRONG_SECRET: WRONG_SECRET,
      },
      configYaml: `
model_list:${deployment('claude', 'us.anthropic.claude-3-7-sonnet-20250219-v1:0')}${deployment(
        'claude-45',
        'converse/global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      )}${deployment('bedrock-throttle', 'fake-throttle')}${deployment('bedrock-500', 'fake-500')}${deployment(
        'bedrock-context',
        'fake-context',
      )}${deployment('bedrock-guardrail', 'fake-guardrail')}${deployment('bedrock-cut', 'fake-cut')}${deployment('bedrock-stream-throttle', 'fake-stream-throttle')}
  - model_name: claude-temp
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_access_key_id: os.environ/BEDROCK_E2E_TEMP_ID
      aws_secret_access_key: os.environ/BEDROCK_E2E_TEMP_SECRET
      aws_session_token: os.environ/BEDROCK_E2E_TEMP_TOKEN
      aws_region_name: ${fake.region}
      aws_bedrock_runtime_endpoint: ${fake.url}
  - model_name: bedrock-bad-key
    litellm_params:
      model: bedrock/anthropic.claude-3-haiku-20240307-v1:0
      aws_access_key_id: os.environ/BEDROCK_E2E_KEY_ID
      aws_secret_access_key: os.environ/BEDROCK_E2E_WRONG_SECRET
      aws_region_name: ${fake.region}
      aws_bedrock_runtime_endpoint: ${fake.url}
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await fake?.close();
  });

  const user = (content: string): OpenAI.ChatCompletionMessageParam => ({ role: 'user', content });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => new Error('expected the request to fail'),
      (e: unknown) => e,
    );

  it('answers text, multi-turn with a system prompt, signed with SigV4', async () => {
    const res = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        { role: 'system', content: 'Be brief.' },
        user('Say hello'),
        { role: 'assistant', content: 'Hello!' },
        user('Again'),
      ],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.model).toBe('claude');
    expect(res.choices[0]).toMatchObject({
      finish_reason: 'stop',
      message: { role: 'assistant', content: 'Hello from the fake Bedrock' },
    });
    // ceil(("Be brief." + "Say hello" + "Hello!" + "Again").length / 4) = 8
    expect(res.usage).toMatchObject({ prompt_tokens: 8, completion_tokens: 5, total_tokens: 13 });
    const sent = fake.lastRequest!;
    expect(sent).toMatchObject({ operation: 'converse', modelId: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' });
    expect(sent.body).toMatchObject({
      system: [{ text: 'Be brief.' }],
      messages: [
        { role: 'user', content: [{ text: 'Say hello' }] },
        { role: 'assistant', content: [{ text: 'Hello!' }] },
        { role: 'user', content: [{ text: 'Again' }] },
      ],
    });
    expect(String(sent.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKEBEDROCK00001\/\d{8}\/us-east-1\/bedrock\//,
    );

    // Temporary keys send their session token, which the fake requires.
    const temp = await openai.chat.completions.create({ model: 'claude-temp', messages: [user('hi')] });
    expect(temp.choices[0]?.message.content).toBe('Hello from the fake Bedrock');
    expect(fake.lastRequest!.headers['x-amz-security-token']).toBe(TEMP.sessionToken);
  });

  it('streams with usage, and records usage when the client did not ask for it', async () => {
    const stream = await openai.chat.completions.create({
      model: 'claude',
      messages: [user('stream please')],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Hello from the fake Bedrock');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 5 });
    expect(fake.lastRequest!.operation).toBe('converse-stream');

    const plain = await openai.chat.completions.create({
      model: 'claude',
      messages: [user('a stream without usage, recorded anyway')],
      stream: true,
    });
    let sawUsage = false;
    for await (const chunk of plain) if (chunk.usage) sawUsage = true;
    expect(sawUsage).toBe(false);

    const row = await waitForUsageRow(stack, {
      select: 'prompt_tokens, completion_tokens, provider',
      where: "requested_model = 'claude' AND stream = 1 AND prompt_tokens = 10",
    });
    expect({ completion: Number(row.completion_tokens), provider: row.provider }).toEqual({
      completion: 5,
      provider: 'bedrock',
    });
  });

  it('passes cache_control as cache points and reports cache writes, then cached reads', async () => {
    const ask = () =>
      openai.chat.completions.create({
        model: 'claude',
        messages: [
          // cache_control is Anthropic's extension of the message shape, which LiteLLM clients send.
          {
            role: 'system',
            content: 'A long shared system prompt. '.repeat(20),
            cache_control: { type: 'ephemeral' },
          } as OpenAI.ChatCompletionSystemMessageParam,
          user('question'),
        ],
      });
    const first = await ask();
    const second = await ask();
    expect(fake.lastRequest!.body).toMatchObject({
      system: [{ text: expect.any(String) as unknown as string }, { cachePoint: { type: 'default' } }],
    });
    // 145 prompt tokens before the cache point: written the first time, read the second.
    expect(first.usage).toMatchObject({
      prompt_tokens: 147,
      prompt_tokens_details: { cached_tokens: 0 },
      cache_creation_input_tokens: 145,
    });
    expect(second.usage).toMatchObject({ prompt_tokens: 147, prompt_tokens_details: { cached_tokens: 145 } });
    expect(second.usage).not.toHaveProperty('cache_creation_input_tokens');
  });

  it('calls a tool and takes its result over two turns, and streams a tool call', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const first = await openai.chat.completions.create({
      model: 'claude',
      messages: [user('Weather in Paris?')],
      tools,
      tool_choice: 'auto',
    });
    const call = first.choices[0]!.message.tool_calls![0]!;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_weather', arguments: '{"city":"fake"}' } });
    const second = await openai.chat.completions.create({
      model: 'claude',
      tools,
      messages: [
        user('Weather in Paris?'),
        first.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: 'Sunny, 24C' },
      ],
    });
    expect(second.choices[0]!.message.content).toBe('The tool answered: Sunny, 24C');
    expect(fake.lastRequest!.body).toMatchObject({
      messages: [
        {},
        {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: call.id, name: 'get_weather', input: { city: 'fake' } } }],
        },
        { role: 'user', content: [{ toolResult: { toolUseId: call.id, content: [{ text: 'Sunny, 24C' }] } }] },
      ],
    });

    const stream = await openai.chat.completions.create({
      model: 'claude',
      messages: [user('Weather?')],
      tools,
      stream: true,
    });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | undefined;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas[0]!.id).toMatch(/^tooluse_/);
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({ city: 'fake' });
    expect(finish).toBe('tool_calls');
  });

  it('honours stop and max_tokens, json_schema (forced tool and native), and an image', async () => {
    const stopped = await openai.chat.completions.create({ model: 'claude', messages: [user('hi')], stop: [' fake'] });
    expect(stopped.choices[0]).toMatchObject({ finish_reason: 'stop', message: { content: 'Hello from the' } });
    const short = await openai.chat.completions.create({ model: 'claude', messages: [user('hi')], max_tokens: 2 });
    expect(short.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Hello from' } });

    const response_format: OpenAI.ResponseFormatJSONSchema = {
      type: 'json_schema',
      json_schema: {
        name: 'place',
        strict: true,
        schema: {
          type: 'object',
          properties: { city: { type: 'string' }, days: { type: 'integer' } },
          required: ['city', 'days'],
          additionalProperties: false,
        },
      },
    };
    for (const model of ['claude', 'claude-45']) {
      const res = await openai.chat.completions.create({ model, messages: [user('Where?')], response_format });
      expect(JSON.parse(res.choices[0]!.message.content!), model).toEqual({ city: 'fake', days: 42 });
      expect(res.choices[0]!.finish_reason, model).toBe('stop');
      expect(res.choices[0]!.message.tool_calls, model).toBeUndefined();
    }
    expect(fake.lastRequest!.body).toHaveProperty('outputConfig.textFormat.type', 'json_schema');

    const seen = await openai.chat.completions.create({
      model: 'claude',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: PNG } },
          ],
        },
      ],
    });
    expect(seen.choices[0]!.message.content).toBe('I see 1 image. Hello from the fake Bedrock');
    const url = await failure(
      openai.chat.completions.create({
        model: 'claude',
        messages: [
          { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] },
        ],
      }),
    );
    expect(url).toMatchObject({ status: 400 });
    expect((url as Error).message).toContain('base64 data URL');
    const seed = await failure(openai.chat.completions.create({ model: 'claude', messages: [user('x')], seed: 1 }));
    expect(seed).toMatchObject({ status: 400, param: 'seed', code: 'unsupported_parameter' });
  });

  it('reasons: reasoning_content and signed thinking blocks, sent back on the next turn', async () => {
    const res = await openai.chat.completions.create({
      model: 'claude',
      messages: [user('Think first')],
      reasoning_effort: 'low',
    });
    const message = res.choices[0]!.message as OpenAI.ChatCompletionMessage & {
      reasoning_content?: string;
      thinking_blocks?: { type: string; thinking: string; signature: string }[];
    };
    expect(message.reasoning_content).toBe('Thinking about it step by step.');
    expect(message.thinking_blocks).toEqual([
      {
        type: 'thinking',
        thinking: 'Thinking about it step by step.',
        signature: expect.stringMatching(/^fakesig_/) as unknown as string,
      },
    ]);
    expect(fake.lastRequest!.body).toMatchObject({
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
      inferenceConfig: { maxTokens: expect.any(Number) as unknown as number },
    });
    // The fake refuses reasoning sent back without the signature it gave: this turn passes only if it was kept.
    const next = await openai.chat.completions.create({
      model: 'claude',
      reasoning_effort: 'low',
      messages: [user('Think first'), message as OpenAI.ChatCompletionAssistantMessageParam, user('And then?')],
    });
    expect(next.choices[0]!.message.content).toBe('Hello from the fake Bedrock');

    const stream = await openai.chat.completions.create({
      model: 'claude',
      messages: [user('Think')],
      reasoning_effort: 'low',
      stream: true,
    });
    let reasoning = '';
    for await (const chunk of stream)
      reasoning += (chunk.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '';
    expect(reasoning).toBe('Thinking about it step by step.');
  });

  it('maps Bedrock errors: 429 with its retry hint, 5xx, a guardrail, context length, a bad key', async () => {
    const limited = await failure(openai.chat.completions.create({ model: 'bedrock-throttle', messages: [user('x')] }));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get('retry-after')).toBe('7');
    expect((limited as RateLimitError).message).toContain('Too many requests');

    const broken = await failure(openai.chat.completions.create({ model: 'bedrock-500', messages: [user('x')] }));
    expect(broken).toBeInstanceOf(InternalServerError);
    expect((broken as APIError).status).toBe(502);

    const filtered = await openai.chat.completions.create({ model: 'bedrock-guardrail', messages: [user('x')] });
    expect(filtered.choices[0]).toMatchObject({ finish_reason: 'content_filter' });

    const long = await failure(openai.chat.completions.create({ model: 'bedrock-context', messages: [user('x')] }));
    expect(long).toMatchObject({ status: 400, code: 'context_length_exceeded' });

    const bad = await failure(openai.chat.completions.create({ model: 'bedrock-bad-key', messages: [user('x')] }));
    expect(bad).toMatchObject({ status: 502, code: 'upstream_auth_failed' });
    expect(JSON.stringify((bad as APIError).error)).not.toContain(WRONG_SECRET);
    expect(fake.lastRequest!.modelId).toBe('anthropic.claude-3-haiku-20240307-v1:0');
  });

  it('ends a stream cut mid-way, or failing mid-way, with an error, never a normal finish', async () => {
    for (const model of ['bedrock-cut', 'bedrock-stream-throttle']) {
      const stream = await openai.chat.completions.create({ model, messages: [user('x')], stream: true });
      const { text, finish, error } = await drainStream(stream);
      expect(text, model).toBe('Hello');
      expect(['stop', 'length', 'tool_calls', 'content_filter'], model).not.toContain(finish);
      expect(error, model).toBeInstanceOf(APIError);
    }
  });

  it('writes no provider secret to any log line or error body', async () => {
    const secrets = [SECRET, TEMP.secretAccessKey, TEMP.sessionToken!, WRONG_SECRET];
    const bodies = await Promise.all(
      ['bedrock-bad-key', 'bedrock-500', 'bedrock-throttle', 'bedrock-context'].map((model) =>
        fetch(`${stack.gatewayUrl}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }),
        }).then((r) => r.text()),
      ),
    );
    expectNoSecretsInLogs(stack, secrets, bodies);
  });
});
