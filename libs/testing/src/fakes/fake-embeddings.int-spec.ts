import { BedrockRuntimeClient, InvokeModelCommand, ValidationException } from '@aws-sdk/client-bedrock-runtime';
import { GoogleGenAI } from '@google/genai';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CohereClientV2, CohereError } from 'cohere-ai';
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeUpstream } from '../fake-openai.server';
import { FAKE_AWS_KEYS, startFakeBedrock, type FakeBedrock } from './fake-bedrock.server';
import { startFakeCohere, type FakeCohere } from './fake-cohere.server';
import { fakeEmbedding, fakeEmbeddingTokens } from './fake-embeddings';
import { startFakeGemini, type FakeGemini } from './fake-gemini.server';

/**
 * The fakes' embeddings endpoints, driven by each provider's official SDK: what the SDK sends is accepted and
 * what the fake answers is read by it; what the real API refuses, the fake refuses too.
 */
describe('fake embeddings endpoints, checked with the official SDKs', () => {
  let oa: FakeUpstream;
  let gemini: FakeGemini;
  let bedrock: FakeBedrock;
  let cohere: FakeCohere;

  beforeAll(async () => {
    [oa, gemini, bedrock, cohere] = await Promise.all([
      startFakeOpenAI({ apiKey: 'sk-fake-embed' }),
      startFakeGemini({ apiKey: 'AIzaSyFakeEmbedKey0123456789abcdefghij' }),
      startFakeBedrock(),
      startFakeCohere({ apiKey: 'co-fake-embed' }),
    ]);
  });
  afterAll(() => Promise.all([oa.close(), gemini.close(), bedrock.close(), cohere.close()]));

  it('openai: floats, base64 (the SDK default, which it decodes), dimensions; unknown members refused', async () => {
    const client = new OpenAI({ apiKey: 'sk-fake-embed', baseURL: oa.url, maxRetries: 0 });
    const floats = await client.embeddings.create({
      model: 'text-embedding-3-small',
      input: ['a b', 'c'],
      encoding_format: 'float',
    });
    expect(floats.data.map((d) => d.embedding)).toEqual([fakeEmbedding('a b'), fakeEmbedding('c')]);
    expect(floats.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
    const decoded = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'a b', dimensions: 3 });
    expect(oa.lastRequest?.body).toMatchObject({ encoding_format: 'base64', dimensions: 3 });
    expect(decoded.data[0]!.embedding).toEqual(fakeEmbedding('a b', 3));
    const bad = await client.embeddings
      .create({ model: 'text-embedding-3-small', input: 'x', input_type: 'query' } as never)
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as BadRequestError).message).toMatch(/Unrecognized request argument supplied: input_type/);
    const ada = await client.embeddings
      .create({ model: 'text-embedding-ada-002', input: 'x', dimensions: 3 })
      .catch((e: unknown) => e);
    expect((ada as BadRequestError).param).toBe('dimensions');
  });

  it('gemini: the SDK batches several contents (batchEmbedContents) and reads the vectors', async () => {
    const ai = new GoogleGenAI({
      apiKey: 'AIzaSyFakeEmbedKey0123456789abcdefghij',
      httpOptions: { baseUrl: gemini.url },
    });
    const r = await ai.models.embedContent({
      model: 'gemini-embedding-001',
      contents: ['first', 'second'],
      config: { outputDimensionality: 4, taskType: 'RETRIEVAL_DOCUMENT' },
    });
    expect(r.embeddings?.map((e) => e.values)).toEqual([fakeEmbedding('first', 4), fakeEmbedding('second', 4)]);
    expect(gemini.lastRequest?.method).toBe('batchEmbedContents');
    const bad = await fetch(`${gemini.url}/v1beta/models/gemini-embedding-001:embedContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'AIzaSyFakeEmbedKey0123456789abcdefghij', 'content-type': 'application/json' },
      body: JSON.stringify({ content: { parts: [{ text: 'x' }] }, dimensions: 3 }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/Unknown name "dimensions"/);
  });

  it('bedrock: InvokeModel for Titan and Cohere Embed, signed by the SDK; extraneous keys refused', async () => {
    const [id] = Object.keys(FAKE_AWS_KEYS) as [string];
    const client = new BedrockRuntimeClient({
      region: bedrock.region,
      endpoint: bedrock.url,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
      credentials: { accessKeyId: id, secretAccessKey: FAKE_AWS_KEYS[id]!.secretAccessKey },
    });
    const invoke = async (modelId: string, body: unknown) => {
      const out = await client.send(
        new InvokeModelCommand({
          modelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify(body),
        }),
      );
      return JSON.parse(Buffer.from(out.body).toString()) as Record<string, unknown>;
    };
    const titan = await invoke('amazon.titan-embed-text-v2:0', { inputText: 'hello there', dimensions: 256 });
    expect(titan).toEqual({
      embedding: fakeEmbedding('hello there', 256),
      inputTextTokenCount: fakeEmbeddingTokens('hello there'),
    });
    const co = await invoke('cohere.embed-english-v3', { texts: ['a', 'b'], input_type: 'search_query' });
    expect(co['embeddings']).toEqual([fakeEmbedding('a'), fakeEmbedding('b')]);
    const bad = await invoke('amazon.titan-embed-text-v2:0', { inputText: 'x', input_type: 'query' }).catch(
      (e: unknown) => e,
    );
    expect(bad).toBeInstanceOf(ValidationException);
    expect((bad as ValidationException).message).toMatch(/extraneous key \[input_type\]/);
    const noType = await invoke('cohere.embed-english-v3', { texts: ['a'] }).catch((e: unknown) => e);
    expect((noType as ValidationException).message).toMatch(/input_type/);
  });

  it('cohere: Embed v2 through CohereClientV2, float embeddings and billed tokens; output_dimension only on v4', async () => {
    const co = new CohereClientV2({ token: 'co-fake-embed', environment: cohere.url, maxRetries: 0 });
    const r = await co.embed({
      model: 'embed-v4.0',
      texts: ['one', 'two'],
      inputType: 'search_document',
      embeddingTypes: ['float'],
      outputDimension: 256,
    });
    expect(r.embeddings.float).toEqual([fakeEmbedding('one', 256), fakeEmbedding('two', 256)]);
    expect(r.meta?.billedUnits?.inputTokens).toBe(2);
    const v3 = await co
      .embed({
        model: 'embed-english-v3.0',
        texts: ['x'],
        inputType: 'search_document',
        embeddingTypes: ['float'],
        outputDimension: 256,
      })
      .catch((e: unknown) => e);
    expect(v3).toBeInstanceOf(CohereError);
    expect((v3 as CohereError).statusCode).toBe(400);
  });
});
