import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costOf } from '@switchyard/pricing';
import {
  FAKE_ANTHROPIC_TEXT,
  FAKE_ANTHROPIC_THINKING,
  FAKE_OPENAI_REASONING,
  expectNoSecretsInLogs,
  keySpendNanos,
  newKey,
  FAKE_AWS_KEYS,
  startFakeAnthropic,
  startFakeBedrock,
  startFakeGemini,
  startFakeOpenAI,
  startStack,
  waitFor,
  waitForUsageRows,
  type FakeAnthropic,
  type FakeBedrock,
  type FakeGemini,
  type FakeUpstream,
  type Stack,
} from '@switchyard/testing';

const OPENAI_TEXT = 'Hello from the fake OpenAI server.';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'The weather in a city.',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
};

/**
 * The Anthropic Messages front door through the five services, with the official Anthropic SDK as the
 * client (as Claude Code is): routed to an OpenAI-compatible fake (translated both ways), to the fake
 * Anthropic API (passed through), to Claude on Vertex AI and on Bedrock (passed through, in each cloud's
 * dialect), to a Bedrock model that is not Claude (translated through Converse), and to the fake Gemini API
 * (translated through its native adapter).
 */
describe('/v1/messages end to end', () => {
  const ANTHROPIC_KEY = `sk-ant-api03-e2e-${randomBytes(12).toString('hex')}`;
  const OPENAI_KEY = `sk-openai-e2e-${randomBytes(12).toString('hex')}`;
  const GEMINI_KEY = `AIza-e2e-${randomBytes(12).toString('hex')}`;
  let anthropicUp: FakeAnthropic;
  let openaiUp: FakeUpstream;
  let geminiUp: FakeGemini;
  let bedrockUp: FakeBedrock;
  let stack: Stack;
  let keyDir: string;
  let key: { id: string; key: string };
  /** A client as Claude Code makes it: base URL at the gateway, a virtual key as the auth token (Bearer). */
  let client: Anthropic;
  const errorBodies: string[] = [];

  beforeAll(async () => {
    [anthropicUp, openaiUp, geminiUp, bedrockUp] = await Promise.all([
      startFakeAnthropic({ apiKey: ANTHROPIC_KEY }),
      startFakeOpenAI({ apiKey: OPENAI_KEY, chunks: 7 }),
      startFakeGemini({ apiKey: GEMINI_KEY }),
      startFakeBedrock(),
    ]);
    const [awsKeyId, awsKey] = Object.entries(FAKE_AWS_KEYS)[0]!;
    const bedrock = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: bedrock/${model}, aws_bedrock_runtime_endpoint: ${bedrockUp.url}, aws_region_name: us-east-1, aws_access_key_id: ${awsKeyId}, aws_secret_access_key: os.environ/AWS_E2E_SECRET }\n`;
    const openai = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: openai/${model}, api_base: ${openaiUp.url}, api_key: os.environ/OPENAI_E2E_KEY }\n`;
    const anthropic = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: anthropic/${model}, api_base: ${anthropicUp.url}, api_key: os.environ/ANTHROPIC_E2E_KEY }\n`;
    keyDir = mkdtempSync(join(tmpdir(), 'sy-messages-'));
    const keyFile = join(keyDir, 'service-account.json');
    writeFileSync(keyFile, geminiUp.createServiceAccount({ projectId: 'sy-msg' }).json, { mode: 0o600 });
    const vertex = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: vertex_ai/${model}, api_base: ${geminiUp.url}, vertex_credentials: ${keyFile}, vertex_project: sy-msg, vertex_location: us-east5 }\n`;
    const gemini = (name: string, model: string) =>
      `  - model_name: ${name}\n    litellm_params: { model: gemini/${model}, api_base: ${geminiUp.url}, api_key: os.environ/GEMINI_E2E_KEY }\n`;
    stack = await startStack({
      env: {
        ANTHROPIC_E2E_KEY: ANTHROPIC_KEY,
        OPENAI_E2E_KEY: OPENAI_KEY,
        GEMINI_E2E_KEY: GEMINI_KEY,
        AWS_E2E_SECRET: awsKey.secretAccessKey,
      },
      configYaml: `model_list:\n${[
        // Claude Code's model names, mapped to other providers' models.
        openai('claude-sonnet-4-5', 'gpt-4o'),
        openai('claude-reasoner', 'fake-reasoner'),
        openai('oa-broken', 'fake-500'),
        openai('oa-cut', 'fake-drop'),
        anthropic('claude-opus-4-1', 'claude-opus-4-1-20250805'),
        anthropic('claude-cut', 'fake-drop'),
        anthropic('claude-limited', 'fake-429'),
        anthropic('claude-overloaded', 'fake-529'),
        gemini('claude-haiku-4-5', 'gemini-2.5-flash'),
        gemini('gem-cut', 'gemini-2.0-flash-drop'),
        gemini('gem-limited', 'gemini-2.0-flash-429'),
        vertex('claude-vertex', 'claude-sonnet-4-5@20250929'),
        bedrock('claude-bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
        bedrock('claude-bedrock-limited', 'anthropic.fake-429'),
        bedrock('claude-bedrock-broken', 'anthropic.fake-stream-error'),
        bedrock('nova', 'amazon.nova-pro-v1:0'),
      ].join('')}`,
    });
    key = await newKey(stack);
    client = new Anthropic({ authToken: key.key, apiKey: null, baseURL: stack.gatewayUrl, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([anthropicUp?.close(), openaiUp?.close(), geminiUp?.close(), bedrockUp?.close()]);
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const failure = async (p: Promise<unknown>): Promise<APIError> => {
    const e = await p.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(APIError);
    errorBodies.push(JSON.stringify((e as APIError).error ?? {}), (e as APIError).message);
    return e as APIError;
  };

  describe('to an OpenAI-compatible deployment (translated)', () => {
    it('answers text as an Anthropic message, with the system prompt and metadata.user_id translated', async () => {
      const msg = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        system: [{ type: 'text', text: 'Be terse.' }],
        messages: [{ role: 'user', content: 'Hi' }],
        stop_sequences: ['END'],
        metadata: { user_id: 'user-7' },
      });
      expect(msg).toMatchObject({
        type: 'message',
        role: 'assistant',
        content: [{ type: 'text', text: OPENAI_TEXT }],
        stop_reason: 'end_turn',
        usage: { input_tokens: Math.ceil('Be terse.Hi'.length / 4), output_tokens: 7 },
      });
      expect(msg.id).toMatch(/^msg_/);
      expect(openaiUp.lastRequest!.body).toMatchObject({
        model: 'gpt-4o',
        max_tokens: 256,
        stop: ['END'],
        user: 'user-7',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Hi' },
        ],
      });
    });

    it("streams Anthropic's event sequence, assembled by messages.stream() and finalMessage()", async () => {
      const stream = client.messages.stream({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Stream please' }],
      });
      const types: string[] = [];
      let text = '';
      stream.on('streamEvent', (e) => types.push(e.type));
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      expect(text).toBe(OPENAI_TEXT);
      expect(final.content).toEqual([{ type: 'text', text: OPENAI_TEXT }]);
      expect(final.stop_reason).toBe('end_turn');
      expect(final.usage).toMatchObject({ input_tokens: Math.ceil('Stream please'.length / 4), output_tokens: 7 });
      expect(types[0]).toBe('message_start');
      expect(types.slice(1, 2)).toEqual(['content_block_start']);
      expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
      expect(types.filter((t) => t === 'content_block_delta').length).toBe(7);
    });

    it('runs a tool-use round trip: tool_use block with input_json deltas, then the tool_result answered', async () => {
      const first = await client.messages
        .stream({
          model: 'claude-sonnet-4-5',
          max_tokens: 256,
          tools: [WEATHER_TOOL],
          tool_choice: { type: 'auto', disable_parallel_tool_use: true },
          messages: [{ role: 'user', content: 'Weather in Paris?' }],
        })
        .finalMessage();
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: expect.any(String) } });
      expect(openaiUp.lastRequest!.body).toMatchObject({
        tools: [{ type: 'function', function: { name: 'get_weather', parameters: WEATHER_TOOL.input_schema } }],
        tool_choice: 'auto',
        parallel_tool_calls: false,
      });
      if (use?.type !== 'tool_use') throw new Error('no tool_use block');

      const second = await client.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 256,
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny, 21 C' }] },
        ],
      });
      expect(second.content).toEqual([{ type: 'text', text: 'The tool returned: sunny, 21 C.' }]);
      expect(second.stop_reason).toBe('end_turn');
      const sent = openaiUp.lastRequest!.body as { messages: unknown[] };
      expect(sent.messages.slice(1)).toEqual([
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: use.id, type: 'function', function: { name: 'get_weather', arguments: JSON.stringify(use.input) } },
          ],
        },
        { role: 'tool', tool_call_id: use.id, content: 'sunny, 21 C' },
      ]);
    });

    it('streams reasoning as a thinking block before the text (thinking → reasoning_effort)', async () => {
      const final = await client.messages
        .stream({
          model: 'claude-reasoner',
          max_tokens: 4096,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [{ role: 'user', content: 'Think first' }],
        })
        .finalMessage();
      expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
      expect(final.content[0]).toMatchObject({ type: 'thinking', thinking: FAKE_OPENAI_REASONING });
      expect(openaiUp.lastRequest!.body).toMatchObject({ reasoning_effort: 'low' });
    });

    it("answers an upstream failure in Anthropic's envelope and status", async () => {
      const e = await failure(
        client.messages.create({ model: 'oa-broken', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(e.status).toBeGreaterThanOrEqual(500);
      expect(e.error).toMatchObject({
        type: 'error',
        error: { type: expect.stringMatching(/api_error|overloaded_error/) },
      });
    });

    it("ends a stream that breaks mid-way with Anthropic's error event, which the SDK raises", async () => {
      const stream = client.messages.stream({
        model: 'oa-cut',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'x' }],
      });
      let text = '';
      stream.on('text', (t) => (text += t));
      const e = await failure(stream.finalMessage());
      expect(text).toBe('Hello');
      expect(e.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });
  });

  describe('to an Anthropic deployment (passed through)', () => {
    it('passes the body and the anthropic-beta header through, model set, with ?beta=true as the beta client sends', async () => {
      const msg = await client.beta.messages.create(
        {
          model: 'claude-opus-4-1',
          max_tokens: 300,
          system: 'Be terse.',
          messages: [{ role: 'user', content: 'Hi' }],
          betas: ['interleaved-thinking-2025-05-14'],
        },
        { headers: { 'anthropic-version': '2023-06-01' } },
      );
      expect(msg.content).toEqual([expect.objectContaining({ type: 'text', text: FAKE_ANTHROPIC_TEXT })]);
      expect(anthropicUp.lastRequest!.path).toBe('/v1/messages');
      expect(anthropicUp.lastRequest!.headers).toMatchObject({
        'x-api-key': ANTHROPIC_KEY,
        'anthropic-version': '2023-06-01',
        'anthropic-beta': 'interleaved-thinking-2025-05-14',
      });
      expect(anthropicUp.lastRequest!.body).toEqual({
        model: 'claude-opus-4-1-20250805',
        max_tokens: 300,
        system: 'Be terse.',
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(msg.id).toMatch(/^msg_/);
    });

    it('relays a thinking + tool-use stream as Anthropic sent it, signatures intact for the next turn', async () => {
      const first = await client.messages
        .stream({
          model: 'claude-opus-4-1',
          max_tokens: 4096,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          tools: [WEATHER_TOOL],
          messages: [{ role: 'user', content: 'Please use the tool for Paris.' }],
        })
        .finalMessage();
      expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
      expect(first.content[0]).toMatchObject({ thinking: FAKE_ANTHROPIC_THINKING });
      const use = first.content[1]!;
      if (use.type !== 'tool_use') throw new Error('no tool_use');
      // The fake checks the thinking signature it issued: a lossy relay would be refused here.
      const second = await client.messages.create({
        model: 'claude-opus-4-1',
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'Please use the tool for Paris.' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
        ],
      });
      expect(second.content.at(-1)).toMatchObject({ type: 'text', text: 'The tool returned: sunny.' });
    });

    it("passes Anthropic's own errors through with their status and type", async () => {
      const e = await failure(
        client.messages.create({ model: 'claude-limited', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(e.status).toBe(429);
      expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      const busy = await failure(
        client.messages.create({
          model: 'claude-overloaded',
          max_tokens: 16,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(busy.status).toBe(529);
      expect(busy.error).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
    });

    it("ends a passed-through stream cut by the upstream with Anthropic's error event", async () => {
      const stream = client.messages.stream({
        model: 'claude-cut',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'x' }],
      });
      let text = '';
      stream.on('text', (t) => (text += t));
      const e = await failure(stream.finalMessage());
      expect(text.length).toBeGreaterThan(0);
      expect(e.error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    });

    it("counts tokens with Anthropic's endpoint, and estimates them for other providers", async () => {
      const exact = await client.messages.countTokens({
        model: 'claude-opus-4-1',
        messages: [{ role: 'user', content: 'How many tokens is this?' }],
      });
      expect(exact.input_tokens).toBe(Math.ceil('How many tokens is this?'.length / 4));
      expect(anthropicUp.lastRequest!.path).toBe('/v1/messages/count_tokens');
      const estimate = await client.messages.countTokens({
        model: 'claude-sonnet-4-5',
        messages: [{ role: 'user', content: 'How many tokens is this?' }],
      });
      expect(estimate.input_tokens).toBe(Math.ceil('How many tokens is this?'.length / 4));
    });
  });

  describe('to Claude on Vertex AI (passed through)', () => {
    it('sends the body without model and with anthropic_version, the betas as headers, and relays the stream', async () => {
      const stream = client.messages.stream(
        { model: 'claude-vertex', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] },
        { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } },
      );
      const final = await stream.finalMessage();
      expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: FAKE_ANTHROPIC_TEXT })]);
      expect(final.id).toMatch(/^msg_vrtx_/);
      const sent = geminiUp.lastClaudeRequest!;
      expect(sent).toMatchObject({ model: 'claude-sonnet-4-5@20250929', method: 'streamRawPredict' });
      expect(sent.body).toEqual({
        anthropic_version: 'vertex-2023-10-16',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      });
      expect(sent.headers['anthropic-beta']).toBe('context-1m-2025-08-07');
    });

    it("counts tokens at Vertex AI's count-tokens model", async () => {
      const n = await client.messages.countTokens({
        model: 'claude-vertex',
        messages: [{ role: 'user', content: 'Count these words' }],
      });
      expect(n.input_tokens).toBe(Math.ceil('Count these words'.length / 4));
      expect(geminiUp.lastClaudeRequest).toMatchObject({ model: 'count-tokens', method: 'rawPredict' });
    });
  });

  describe('to Claude on Bedrock (passed through InvokeModel)', () => {
    it('sends the body without model and stream, with the Bedrock version and the betas in it, and answers whole', async () => {
      const msg = await client.messages.create(
        { model: 'claude-bedrock', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] },
        { headers: { 'anthropic-beta': 'context-1m-2025-08-07' } },
      );
      expect(msg).toMatchObject({ type: 'message', role: 'assistant', stop_reason: 'end_turn' });
      expect(msg.id).toMatch(/^msg_bdrk_/);
      expect(msg.content).toEqual([{ type: 'text', text: FAKE_ANTHROPIC_TEXT }]);
      expect(bedrockUp.lastRequest).toMatchObject({
        operation: 'invoke',
        modelId: 'us.anthropic.claude-sonnet-4-5-20250929-v1:0',
        body: {
          anthropic_version: 'bedrock-2023-05-31',
          anthropic_beta: ['context-1m-2025-08-07'],
          max_tokens: 256,
          messages: [{ role: 'user', content: 'Hi' }],
        },
      });
      expect(Object.keys(bedrockUp.lastRequest!.body as object).sort()).toEqual([
        'anthropic_beta',
        'anthropic_version',
        'max_tokens',
        'messages',
      ]);
    });

    it("relays a thinking + tool-use stream as Claude wrote it, and continues the turn with the tool's result", async () => {
      const stream = client.messages.stream({
        model: 'claude-bedrock',
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'What is the weather in Paris? Use the tool.' }],
      });
      const first = await stream.finalMessage();
      expect(bedrockUp.lastRequest?.operation).toBe('invoke-with-response-stream');
      expect(first.stop_reason).toBe('tool_use');
      expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
      const thinking = first.content[0] as Anthropic.ThinkingBlock;
      expect(thinking.thinking).toBe(FAKE_ANTHROPIC_THINKING);
      const call = first.content[1] as Anthropic.ToolUseBlock;
      expect(call.id).toMatch(/^toolu_bdrk_/);
      expect(call.input).toEqual({ city: expect.any(String) });
      // The thinking block's signature went through unchanged: the fake refuses one it did not issue.
      const second = await client.messages.create({
        model: 'claude-bedrock',
        max_tokens: 4096,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'What is the weather in Paris? Use the tool.' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'Sunny, 21 C' }] },
        ],
      });
      expect(second.content.at(-1)).toEqual({ type: 'text', text: 'The tool returned: Sunny, 21 C.' });
    });

    it("counts tokens with Bedrock's CountTokens", async () => {
      const n = await client.messages.countTokens({
        model: 'claude-bedrock',
        messages: [{ role: 'user', content: 'Count these words' }],
      });
      expect(n).toEqual({ input_tokens: Math.ceil('Count these words'.length / 4) });
      expect(bedrockUp.lastRequest?.operation).toBe('count-tokens');
    });

    it("answers Bedrock's errors in Anthropic's envelope, and ends a broken stream with Anthropic's error event", async () => {
      const limited = await failure(
        client.messages.create({
          model: 'claude-bedrock-limited',
          max_tokens: 64,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(limited.status).toBe(429);
      expect(limited.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
      const broken = client.messages.stream({
        model: 'claude-bedrock-broken',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'x' }],
      });
      const texts: string[] = [];
      broken.on('text', (t) => texts.push(t));
      const e = await failure(broken.finalMessage());
      expect(texts.join('')).toBe('Hello');
      expect(JSON.stringify(e.error)).toMatch(/overloaded_error|api_error/);
    });

    it('translates requests for Bedrock models other than Claude through Converse', async () => {
      const msg = await client.messages.create({
        model: 'nova',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(bedrockUp.lastRequest?.operation).toBe('converse');
      expect(msg.content).toEqual([{ type: 'text', text: expect.stringContaining('fake Bedrock') }]);
      expect(msg.id).toMatch(/^msg_/);
    });
  });

  describe('to a Gemini deployment (translated through the native adapter)', () => {
    it('answers text and streams it, with the x-api-key auth Anthropic SDKs send by default', async () => {
      const viaKey = new Anthropic({ apiKey: key.key, baseURL: stack.gatewayUrl, maxRetries: 0 });
      const msg = await viaKey.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Hi' }],
      });
      expect(msg.content).toEqual([{ type: 'text', text: expect.stringContaining('fake Gemini') }]);
      const streamed = await viaKey.messages
        .stream({ model: 'claude-haiku-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'Hi' }] })
        .finalMessage();
      expect(streamed.content).toEqual(msg.content);
      expect(streamed.usage.output_tokens).toBeGreaterThan(0);
    });

    it('runs a tool-use round trip with Gemini function calls', async () => {
      const first = await client.messages.create({
        model: 'claude-haiku-4-5',
        max_tokens: 256,
        tools: [WEATHER_TOOL],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      });
      expect(first.stop_reason).toBe('tool_use');
      const use = first.content.find((b) => b.type === 'tool_use');
      if (use?.type !== 'tool_use') throw new Error('no tool_use');
      const second = await client.messages
        .stream({
          model: 'claude-haiku-4-5',
          max_tokens: 256,
          tools: [WEATHER_TOOL],
          messages: [
            { role: 'user', content: 'Weather in Paris?' },
            { role: 'assistant', content: first.content },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sunny' }] },
          ],
        })
        .finalMessage();
      expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('get_weather') });
    });

    it('streams Gemini thought summaries as a thinking block (thinking → reasoning_effort)', async () => {
      const final = await client.messages
        .stream({
          model: 'claude-haiku-4-5',
          max_tokens: 4096,
          thinking: { type: 'enabled', budget_tokens: 1024 },
          messages: [{ role: 'user', content: 'Think first' }],
        })
        .finalMessage();
      expect(final.content.map((b) => b.type)).toEqual(['thinking', 'text']);
      expect(final.content[0]).toMatchObject({ type: 'thinking', thinking: expect.any(String) });
      expect((final.content[0] as { thinking: string }).thinking.length).toBeGreaterThan(0);
    });

    it("answers Gemini's quota refusal as Anthropic's rate_limit_error", async () => {
      const e = await failure(
        client.messages.create({ model: 'gem-limited', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
      );
      expect(e.status).toBe(429);
      expect(e.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    });

    it("ends a Gemini stream cut mid-way with Anthropic's error event", async () => {
      const stream = client.messages.stream({
        model: 'gem-cut',
        max_tokens: 16,
        messages: [{ role: 'user', content: 'x' }],
      });
      await failure(stream.finalMessage());
    });
  });

  it("refuses bad requests in Anthropic's envelope before routing, and unknown models with not_found_error", async () => {
    const e = await failure(
      client.messages.create({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'x' }] } as never),
    );
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required.' },
    });
    const nf = await failure(
      client.messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(nf.status).toBe(404);
    expect(nf.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const noKey = new Anthropic({ apiKey: 'sk-not-a-key-0123456789', baseURL: stack.gatewayUrl, maxRetries: 0 });
    const auth = await failure(
      noKey.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    );
    expect(auth.status).toBe(401);
    expect(auth.error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('records one usage row per request, with the spend for streamed and whole answers', async () => {
    const k = await newKey(stack);
    const c = new Anthropic({ authToken: k.key, apiKey: null, baseURL: stack.gatewayUrl, maxRetries: 0 });
    const whole = await c.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Count me' }],
    });
    const streamed = await c.messages
      .stream({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'Count me too' }] })
      .finalMessage();
    const onBedrock = await c.messages
      .stream({ model: 'claude-bedrock', max_tokens: 64, messages: [{ role: 'user', content: 'And me' }] })
      .finalMessage();
    const rows = await waitForUsageRows<{
      requested_model: string;
      stream: number;
      status: number;
      prompt_tokens: string;
      completion_tokens: string;
      cost_nanos: string;
    }>(stack, {
      select: 'requested_model, stream, status, prompt_tokens, completion_tokens, cost_nanos',
      where: `key_id = '${k.id}'`,
      orderBy: 'requested_model',
      until: (r) => r.length === 3,
    });
    expect(rows.map((r) => [r.requested_model, Number(r.stream), Number(r.status)])).toEqual([
      ['claude-bedrock', 1, 200],
      ['claude-opus-4-1', 1, 200],
      ['claude-sonnet-4-5', 0, 200],
    ]);
    const [bedrockRow, opus, sonnet] = rows;
    expect(Number(sonnet!.prompt_tokens)).toBe(whole.usage.input_tokens);
    expect(Number(sonnet!.completion_tokens)).toBe(whole.usage.output_tokens);
    // Priced from the catalogue by the upstream model (gpt-4o; Claude Opus 4.1).
    const usageOf = (u: Anthropic.Usage) => ({
      promptTokens: u.input_tokens,
      completionTokens: u.output_tokens,
      cachedTokens: 0,
    });
    expect(BigInt(sonnet!.cost_nanos)).toBe(costOf('gpt-4o', usageOf(whole.usage)));
    expect(BigInt(sonnet!.cost_nanos)).toBeGreaterThan(0n);
    expect(Number(opus!.prompt_tokens)).toBe(streamed.usage.input_tokens);
    expect(Number(opus!.completion_tokens)).toBe(streamed.usage.output_tokens);
    expect(BigInt(opus!.cost_nanos)).toBe(costOf('claude-opus-4-1-20250805', usageOf(streamed.usage)));
    expect(BigInt(opus!.cost_nanos)).toBeGreaterThan(0n);
    expect(Number(bedrockRow!.prompt_tokens)).toBe(onBedrock.usage.input_tokens);
    expect(Number(bedrockRow!.completion_tokens)).toBe(onBedrock.usage.output_tokens);
    expect(BigInt(bedrockRow!.cost_nanos)).toBe(
      costOf('anthropic.claude-sonnet-4-5-20250929-v1:0', usageOf(onBedrock.usage)),
    );
    expect(BigInt(bedrockRow!.cost_nanos)).toBeGreaterThan(0n);
    const total = BigInt(sonnet!.cost_nanos) + BigInt(opus!.cost_nanos) + BigInt(bedrockRow!.cost_nanos);
    await waitFor(async () => ((await keySpendNanos(stack.databaseUrl, k.id)) === total ? true : undefined), {
      timeoutMs: 20_000,
      what: 'the key spend in Postgres',
    });
  });

  it('leaks no provider or virtual key into logs or error bodies', () => {
    expectNoSecretsInLogs(stack, [ANTHROPIC_KEY, OPENAI_KEY, GEMINI_KEY, key.key], errorBodies);
  });
});
