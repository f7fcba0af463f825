import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookupModel } from '@switchyard/pricing';
import {
  FAKE_AWS_KEYS,
  FAKE_COHERE_PIECES,
  fakeAnswerPieces,
  fakeEmbedding,
  fakeEmbeddingTokens,
  newKey,
  startFakeAzureOpenAI,
  startFakeBedrock,
  startFakeCohere,
  startFakeGemini,
  startFakeOpenAI,
  startStack,
  waitForUsageRows,
  type FakeAzureOpenAI,
  type FakeBedrock,
  type FakeCohere,
  type FakeGemini,
  type FakeUpstream,
  type Stack,
} from '@switchyard/testing';

const [AWS_KEY_ID] = Object.keys(FAKE_AWS_KEYS) as [string];
const OPENAI_KEY = 'sk-e2e-front-doors-0123456789';
const AZURE_KEY = 'azure-e2e-front-doors-0123456789';
const COHERE_KEY = 'co-e2e-front-doors-0123456789';
const GEMINI_KEY = 'AIzaSyE2eFrontDoors0123456789abcdefghijk';

/** Nano-USD of `tokens` input tokens of `model`, as spend prices them (round half up). */
function inputCost(model: string, tokens: number): number {
  const info = lookupModel(model)!;
  return Number((BigInt(tokens) * info.inputNanosPerMTok + 500_000n) / 1_000_000n);
}

/**
 * The OpenAI front doors other than chat, through the five services, with the official openai client:
 * embeddings to every embedding provider's fake (floats and base64, the SDK's default), legacy completions
 * passed through to an OpenAI-compatible server and translated to chat for Cohere (streamed and not), and
 * /v1/models with each model's mode, context window and capabilities; a usage row with its spend for each.
 */
describe('front doors: embeddings, legacy completions, models', () => {
  let oa: FakeUpstream;
  let azure: FakeAzureOpenAI;
  let gemini: FakeGemini;
  let bedrock: FakeBedrock;
  let cohere: FakeCohere;
  let keyDir: string;
  let stack: Stack;
  let openai: OpenAI;

  beforeAll(async () => {
    [oa, azure, gemini, bedrock, cohere] = await Promise.all([
      startFakeOpenAI({ apiKey: OPENAI_KEY }),
      startFakeAzureOpenAI({ apiKey: AZURE_KEY }),
      startFakeGemini({ apiKey: GEMINI_KEY }),
      startFakeBedrock(),
      startFakeCohere({ apiKey: COHERE_KEY }),
    ]);
    const sa = gemini.createServiceAccount({ projectId: 'sy-e2e-embed' });
    keyDir = mkdtempSync(join(tmpdir(), 'sy-front-doors-'));
    const keyFile = join(keyDir, 'service-account.json');
    writeFileSync(keyFile, sa.json, { mode: 0o600 });
    const aws = (model: string) =>
      `{ model: bedrock/${model}, aws_access_key_id: os.environ/E2E_AWS_ID, aws_secret_access_key: os.environ/E2E_AWS_SECRET, aws_region_name: ${bedrock.region}, aws_bedrock_runtime_endpoint: ${bedrock.url} }`;
    stack = await startStack({
      env: {
        E2E_OPENAI_KEY: OPENAI_KEY,
        E2E_AZURE_KEY: AZURE_KEY,
        E2E_COHERE_KEY: COHERE_KEY,
        E2E_GEMINI_KEY: GEMINI_KEY,
        E2E_AWS_ID: AWS_KEY_ID,
        E2E_AWS_SECRET: FAKE_AWS_KEYS[AWS_KEY_ID]!.secretAccessKey,
      },
      configYaml: `
model_list:
  - model_name: oa-embed
    litellm_params: { model: openai/text-embedding-3-small, api_base: ${oa.url}, api_key: os.environ/E2E_OPENAI_KEY }
  - model_name: az-embed
    litellm_params: { model: azure/text-embedding-3-small, api_base: ${azure.url}, api_version: "2024-10-21", api_key: os.environ/E2E_AZURE_KEY }
  - model_name: gem-embed
    litellm_params: { model: gemini/gemini-embedding-001, api_base: ${gemini.url}, api_key: os.environ/E2E_GEMINI_KEY }
  - model_name: vx-embed
    litellm_params: { model: vertex_ai/text-embedding-005, api_base: ${gemini.url}, vertex_credentials: ${keyFile}, vertex_location: europe-west4 }
  - model_name: titan-embed
    litellm_params: ${aws('amazon.titan-embed-text-v2:0')}
  - model_name: brc-embed
    litellm_params: ${aws('cohere.embed-english-v3')}
  - model_name: co-embed
    litellm_params: { model: cohere/embed-v4.0, api_base: ${cohere.url}, api_key: os.environ/E2E_COHERE_KEY }
  - model_name: oa-instruct
    litellm_params: { model: openai/gpt-3.5-turbo-instruct, api_base: ${oa.url}, api_key: os.environ/E2E_OPENAI_KEY }
  - model_name: co-chat
    litellm_params: { model: cohere/command-a-03-2025, api_base: ${cohere.url}, api_key: os.environ/E2E_COHERE_KEY }
  - model_name: co-cut
    litellm_params: { model: cohere/cohere-drop, api_base: ${cohere.url}, api_key: os.environ/E2E_COHERE_KEY }
  - model_name: oa-chat
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${oa.url}, api_key: os.environ/E2E_OPENAI_KEY }
`,
    });
    openai = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
    await Promise.all([oa?.close(), azure?.close(), gemini?.close(), bedrock?.close(), cohere?.close()]);
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  const TEXTS = ['The quick brown fox', 'jumps over the lazy dog'];
  const tokensOf = (texts: string[]) => texts.reduce((n, t) => n + fakeEmbeddingTokens(t), 0);

  describe('POST /v1/embeddings', () => {
    // [group, upstream model (pricing), texts it takes at once, whether the provider reports tokens]
    const CASES: Array<[string, string, string[], boolean]> = [
      ['oa-embed', 'text-embedding-3-small', TEXTS, true],
      ['az-embed', 'text-embedding-3-small', TEXTS, true],
      ['gem-embed', 'gemini-embedding-001', TEXTS, false],
      ['vx-embed', 'text-embedding-005', TEXTS, true],
      ['titan-embed', 'amazon.titan-embed-text-v2:0', [TEXTS[0]!], true],
      ['brc-embed', 'cohere.embed-english-v3', TEXTS, true],
      ['co-embed', 'embed-v4.0', TEXTS, true],
    ];

    it.each(CASES)(
      '%s: floats and base64 (the SDK default) give the provider vectors, billed by input tokens',
      async (group, upstream, texts, counted) => {
        const floats = await openai.embeddings.create({ model: group, input: texts, encoding_format: 'float' });
        expect(floats.object).toBe('list');
        expect(floats.data.map((d) => d.embedding)).toEqual(texts.map((t) => fakeEmbedding(t)));
        expect(floats.data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
        const tokens = counted ? tokensOf(texts) : Math.ceil(texts.join('').length / 4);
        // usage.cost (USD, OpenRouter's field) is spliced into OpenAI-shaped answers whose model has a price.
        const { cost, ...counts } = floats.usage as typeof floats.usage & { cost?: number };
        expect(counts).toEqual({ prompt_tokens: tokens, total_tokens: tokens });
        if (cost !== undefined) expect(cost).toBeGreaterThan(0);

        // Without encoding_format the SDK asks for base64 and decodes the little-endian float32 itself.
        const decoded = await openai.embeddings.create({ model: group, input: texts.length === 1 ? texts[0]! : texts });
        expect(decoded.data.map((d) => d.embedding)).toEqual(texts.map((t) => fakeEmbedding(t)));

        const rows = await waitForUsageRows(stack, {
          select:
            'prompt_tokens, completion_tokens, cost_nanos, input_cost_nanos, usage_estimated, unpriced, price_source, status',
          where: `requested_model = '${group}'`,
          until: (found) => found.length >= 2,
        });
        for (const r of rows) {
          expect(Number(r.status)).toBe(200);
          expect(Number(r.prompt_tokens)).toBe(tokens);
          expect(Number(r.completion_tokens)).toBe(0);
          expect(Number(r.usage_estimated)).toBe(counted ? 0 : 1);
          expect(Number(r.cost_nanos)).toBe(inputCost(upstream, tokens));
          // Priced from the catalogue, all of it as input: never an unpriced (free) embedding.
          expect({ unpriced: Number(r.unpriced), source: r.price_source }).toEqual({
            unpriced: 0,
            source: 'catalogue',
          });
          expect(Number(r.cost_nanos)).toBeGreaterThan(0);
          expect(r.input_cost_nanos).toBe(r.cost_nanos);
        }
      },
    );

    it('sends dimensions and token inputs on to an OpenAI-compatible server', async () => {
      const r = await openai.embeddings.create({
        model: 'oa-embed',
        input: [[1, 2, 3]],
        dimensions: 4,
        encoding_format: 'float',
      });
      expect(r.data[0]!.embedding).toEqual(fakeEmbedding('1 2 3', 4));
      expect(r.usage.prompt_tokens).toBe(3);
      expect(oa.lastRequest?.body).toEqual({
        model: 'text-embedding-3-small',
        input: [[1, 2, 3]],
        dimensions: 4,
        encoding_format: 'float',
      });
    });

    it('translates dimensions for the native providers', async () => {
      const co = await openai.embeddings.create({
        model: 'co-embed',
        input: 'x',
        dimensions: 256,
        encoding_format: 'float',
      });
      expect(co.data[0]!.embedding).toHaveLength(256);
      expect(cohere.lastRequest?.body).toMatchObject({ output_dimension: 256, input_type: 'search_document' });
      const vx = await openai.embeddings.create({
        model: 'vx-embed',
        input: 'x',
        dimensions: 3,
        encoding_format: 'float',
      });
      expect(vx.data[0]!.embedding).toHaveLength(3);
    });

    it('refuses what a provider cannot take, with a 400 that says what to send', async () => {
      const tokens = await openai.embeddings.create({ model: 'gem-embed', input: [1, 2] }).catch((e: unknown) => e);
      expect(tokens).toBeInstanceOf(BadRequestError);
      expect((tokens as BadRequestError).message).toMatch(/takes text only/);
      const batch = await openai.embeddings.create({ model: 'titan-embed', input: TEXTS }).catch((e: unknown) => e);
      expect(batch).toBeInstanceOf(BadRequestError);
      expect((batch as BadRequestError).message).toMatch(/one text per request/);
      const bad = await openai.embeddings.create({ model: 'oa-embed', input: [] }).catch((e: unknown) => e);
      expect((bad as BadRequestError).param).toBe('input');
      const chat = await openai.embeddings.create({ model: 'oa-chat', input: 'x' }).catch((e: unknown) => e);
      expect((chat as BadRequestError).code).toBe('model_not_embedding');
      const embedChat = await openai.chat.completions
        .create({ model: 'oa-embed', messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect((embedChat as BadRequestError).code).toBe('model_not_chat');
    });
  });

  describe('POST /v1/completions', () => {
    const PROMPT = 'Say this is a test, please';
    const promptTokens = Math.ceil(PROMPT.length / 4);

    it('passes through to an OpenAI-compatible server, whole and streamed, and bills it', async () => {
      const c = await openai.completions.create({ model: 'oa-instruct', prompt: PROMPT, max_tokens: 7 });
      expect(c.object).toBe('text_completion');
      expect(c.choices[0]!.text).toBe(fakeAnswerPieces(5).join(''));
      expect(c.usage).toMatchObject({ prompt_tokens: promptTokens, completion_tokens: 5 });
      expect(oa.lastRequest?.url).toBe('/v1/completions');

      const stream = await openai.completions.create({ model: 'oa-instruct', prompt: PROMPT, stream: true });
      let text = '';
      let finish: string | null = null;
      for await (const chunk of stream) {
        expect(chunk.object).toBe('text_completion');
        text += chunk.choices[0]?.text ?? '';
        finish = chunk.choices[0]?.finish_reason ?? finish;
      }
      expect(text).toBe(fakeAnswerPieces(5).join(''));
      expect(finish).toBe('length');
      const rows = await waitForUsageRows(stack, {
        select: 'prompt_tokens, completion_tokens, cost_nanos, stream',
        where: "requested_model = 'oa-instruct'",
        until: (found) => found.length >= 2,
      });
      const info = lookupModel('gpt-3.5-turbo-instruct')!;
      const cost = Number(
        (BigInt(promptTokens) * info.inputNanosPerMTok + 5n * info.outputNanosPerMTok + 500_000n) / 1_000_000n,
      );
      expect(rows.map((r) => [Number(r.prompt_tokens), Number(r.completion_tokens), Number(r.cost_nanos)])).toEqual([
        [promptTokens, 5, cost],
        [promptTokens, 5, cost],
      ]);
    });

    it('asks a provider without completions through chat and answers text_completion objects and chunks', async () => {
      const c = await openai.completions.create({ model: 'co-chat', prompt: PROMPT, max_tokens: 50 });
      expect(c.object).toBe('text_completion');
      expect(c.id).toMatch(/^cmpl-/);
      expect(c.choices[0]!.text).toBe(FAKE_COHERE_PIECES.join(''));
      expect(c.choices[0]!.finish_reason).toBe('stop');
      expect(cohere.lastRequest?.body).toMatchObject({ messages: [{ role: 'user', content: PROMPT }], max_tokens: 50 });

      const stream = await openai.completions.create({
        model: 'co-chat',
        prompt: PROMPT,
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = '';
      let usage: OpenAI.CompletionUsage | undefined;
      for await (const chunk of stream) {
        expect(chunk.object).toBe('text_completion');
        text += chunk.choices[0]?.text ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toBe(FAKE_COHERE_PIECES.join(''));
      expect(usage?.completion_tokens).toBe(FAKE_COHERE_PIECES.length);
      const rows = await waitForUsageRows(stack, {
        select: 'prompt_tokens, completion_tokens, cost_nanos',
        where: "requested_model = 'co-chat'",
        until: (found) => found.length >= 2,
      });
      for (const r of rows) {
        expect(Number(r.completion_tokens)).toBe(FAKE_COHERE_PIECES.length);
        expect(Number(r.cost_nanos)).toBeGreaterThan(0);
      }
    });

    it('ends a translated stream that breaks after it began with an error chunk the SDK raises, and bills it', async () => {
      const stream = await openai.completions.create({ model: 'co-cut', prompt: PROMPT, stream: true });
      let text = '';
      const failure = await (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
      })().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect(text).toBe(FAKE_COHERE_PIECES[0]);
      const [row] = await waitForUsageRows(stack, {
        select: 'status, prompt_tokens, usage_estimated',
        where: "requested_model = 'co-cut'",
      });
      expect(Number(row!.status)).toBeGreaterThanOrEqual(500);
      expect(Number(row!.prompt_tokens)).toBeGreaterThan(0);
    });

    it('refuses what chat cannot express for a translated provider', async () => {
      const e = await openai.completions
        .create({ model: 'co-chat', prompt: PROMPT, suffix: 'end' })
        .catch((err: unknown) => err);
      expect(e).toBeInstanceOf(BadRequestError);
      expect((e as BadRequestError).param).toBe('suffix');
      const missing = await openai.completions.create({ model: 'co-chat' } as never).catch((err: unknown) => err);
      expect((missing as BadRequestError).param).toBe('prompt');
    });
  });

  describe('GET /v1/models', () => {
    it("lists the key's models with mode, context window and capabilities from the catalogue", async () => {
      const key = await newKey(stack, { models: ['oa-embed', 'oa-chat', 'oa-instruct'] });
      const client = new OpenAI({ apiKey: key.key, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
      const models = new Map<string, Record<string, unknown>>();
      for await (const m of client.models.list()) models.set(m.id, m as unknown as Record<string, unknown>);
      expect([...models.keys()].sort()).toEqual(['oa-chat', 'oa-embed', 'oa-instruct']);
      expect(models.get('oa-embed')).toMatchObject({
        object: 'model',
        owned_by: 'openai',
        mode: 'embedding',
        context_window: 8191,
        capabilities: ['embeddings'],
      });
      expect(models.get('oa-instruct')).toMatchObject({ mode: 'completion', context_window: 4096 });
      expect(models.get('oa-chat')).toMatchObject({
        mode: 'chat',
        context_window: lookupModel('gpt-4o-mini')!.contextWindow,
      });
      expect(models.get('oa-chat')!['capabilities']).toEqual(expect.arrayContaining(['tools', 'vision']));
    });
  });
});
