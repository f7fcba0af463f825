import { describe, expect, it } from 'vitest';
import type { RequestSummary } from '@switchyard/contracts';
import { adapterFor } from '../provider.registry';
import { ProviderError, type EmbeddingsOperation } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { checkEmbeddingsRequest, embeddingsInput } from './embeddings.request';
import { base64Float32, float32Base64 } from './embeddings.response';

const summary = (model: string, promptChars: number): RequestSummary => ({
  model,
  stream: false,
  includeUsage: false,
  tags: [],
  promptChars,
  strip: [],
});

function input(body: Record<string, unknown>) {
  const checked = checkEmbeddingsRequest(body);
  if (!checked.ok) throw new Error(checked.error.message);
  return embeddingsInput(Buffer.from(JSON.stringify(body)), summary(String(body['model']), checked.promptChars));
}

const ctx = {
  now: () => Date.UTC(2026, 0, 1),
  credentials: {
    apiKey: 'k',
    token: { value: 't', expiresAt: 0 },
    projectId: 'p',
    aws: { accessKeyId: 'a', secretAccessKey: 's', region: 'us-east-1' },
  },
};

function deployment(provider: string, model: string, apiBase?: string): ProviderDeployment {
  return { id: `${provider}-1`, modelName: 'emb', provider, model, ...(apiBase !== undefined && { apiBase }) };
}

function op(d: ProviderDeployment): EmbeddingsOperation {
  const e = adapterFor(d).embeddings;
  if (e === undefined) throw new Error(`${d.provider} has no embeddings`);
  return e;
}

const json = (body: string | Uint8Array) => JSON.parse(typeof body === 'string' ? body : Buffer.from(body).toString());
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof ProviderError) return e.gatewayError;
    throw e;
  }
  throw new Error('expected a ProviderError');
};

describe('embeddings request checks', () => {
  it('reads strings, string arrays, token arrays and lists of token arrays', () => {
    expect(input({ model: 'm', input: 'hello' }).texts).toEqual(['hello']);
    expect(input({ model: 'm', input: ['a', 'b'] }).texts).toEqual(['a', 'b']);
    expect(input({ model: 'm', input: [1, 2, 3] }).tokens).toEqual([[1, 2, 3]]);
    expect(input({ model: 'm', input: [[1], [2, 3]] }).tokens).toEqual([[1], [2, 3]]);
  });

  it('refuses what OpenAI refuses, naming the param', () => {
    const bad = (body: unknown) => {
      const c = checkEmbeddingsRequest(body);
      return c.ok ? undefined : c.error.param;
    };
    expect(bad({ model: 'm' })).toBe('input');
    expect(bad({ input: 'x' })).toBe('model');
    expect(bad({ model: 'm', input: [] })).toBe('input');
    expect(bad({ model: 'm', input: [1, 'a'] })).toBe('input');
    expect(bad({ model: 'm', input: 'x', encoding_format: 'int8' })).toBe('encoding_format');
    expect(bad({ model: 'm', input: 'x', dimensions: 0 })).toBe('dimensions');
  });

  it('writes base64 as little-endian float32, as OpenAI does', () => {
    expect(float32Base64([1, -2.5])).toBe(Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0]).toString('base64'));
    expect(base64Float32(float32Base64([0.5, -0.25, 3]))).toEqual([0.5, -0.25, 3]);
  });
});

describe('embeddings per provider', () => {
  it('openai: passes the body through with the deployment model, reads usage, encodes base64 a server ignored', () => {
    const d = deployment('openai', 'text-embedding-3-small');
    const i = input({ model: 'emb', input: ['a', 'b'], dimensions: 4, encoding_format: 'base64', user: 'u' });
    const r = op(d).buildRequest(i, d, ctx);
    expect(r.url).toBe('https://api.openai.com/v1/embeddings');
    expect(r.headers['authorization']).toBe('Bearer t'); // a token, when the credentials hold one, wins over the key
    expect(json(r.body)).toEqual({
      model: 'text-embedding-3-small',
      input: ['a', 'b'],
      dimensions: 4,
      encoding_format: 'base64',
      user: 'u',
    });
    const answer = JSON.stringify({
      object: 'list',
      data: [
        { object: 'embedding', index: 0, embedding: [0.5, 1] },
        { object: 'embedding', index: 1, embedding: 'AAAAPw==' },
      ],
      model: 'x',
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
    const parsed = op(d).parseResponse(answer, i, {});
    expect(parsed.usage?.promptTokens).toBe(7);
    expect(json(parsed.body!).data[0].embedding).toBe(float32Base64([0.5, 1]));
    expect(json(parsed.body!).data[1].embedding).toBe('AAAAPw==');
  });

  it('azure: the deployment URL and api-key', () => {
    const d = { ...deployment('azure', 'embed-prod', 'https://r.openai.azure.com'), apiVersion: '2024-10-21' };
    const r = op(d).buildRequest(input({ model: 'emb', input: 'x' }), d, { ...ctx, credentials: { apiKey: 'k' } });
    expect(r.url).toBe('https://r.openai.azure.com/openai/deployments/embed-prod/embeddings?api-version=2024-10-21');
    expect(r.headers['api-key']).toBe('k');
  });

  it('gemini: embedContent for one input, batchEmbedContents for several; no usage reported, so estimated', () => {
    const d = deployment('gemini', 'gemini-embedding-001');
    const one = op(d).buildRequest(input({ model: 'emb', input: 'hello', dimensions: 3 }), d, ctx);
    expect(one.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent');
    expect(json(one.body)).toEqual({ content: { parts: [{ text: 'hello' }] }, outputDimensionality: 3 });
    const i = input({ model: 'emb', input: ['a', 'bb'], encoding_format: 'base64' });
    const batch = op(d).buildRequest(i, d, ctx);
    expect(batch.url).toMatch(/:batchEmbedContents$/);
    expect(json(batch.body).requests[1]).toEqual({
      model: 'models/gemini-embedding-001',
      content: { parts: [{ text: 'bb' }] },
    });
    const parsed = op(d).parseResponse(JSON.stringify({ embeddings: [{ values: [1, 2] }, { values: [3, 4] }] }), i, {});
    expect(parsed.usage).toBeUndefined();
    // An answer that counts its input (usageMetadata) is billed by that count.
    const counted = op(d).parseResponse(
      JSON.stringify({ embeddings: [{ values: [1] }, { values: [2] }], usageMetadata: { promptTokenCount: 6 } }),
      i,
      {},
    );
    expect(counted.usage?.promptTokens).toBe(6);
    const out = json(parsed.body!);
    expect(out.model).toBe('emb');
    expect(base64Float32(out.data[1].embedding)).toEqual([3, 4]);
    expect(refusal(() => op(d).buildRequest(input({ model: 'emb', input: [1, 2] }), d, ctx)).param).toBe('input');
  });

  it('vertex: predict with one instance per input, usage from token_count', () => {
    const d = {
      ...deployment('vertex_ai', 'text-embedding-005'),
      params: { vertex_project: 'proj', vertex_location: 'europe-west4' },
    } as ProviderDeployment;
    const i = input({ model: 'emb', input: ['a', 'b'], dimensions: 2 });
    const r = op(d).buildRequest(i, d, ctx);
    expect(r.url).toBe(
      'https://europe-west4-aiplatform.googleapis.com/v1/projects/proj/locations/europe-west4/publishers/google/models/text-embedding-005:predict',
    );
    expect(r.headers['authorization']).toBe('Bearer t');
    expect(json(r.body)).toEqual({
      instances: [{ content: 'a' }, { content: 'b' }],
      parameters: { outputDimensionality: 2 },
    });
    const answer = {
      predictions: [
        { embeddings: { values: [1, 0], statistics: { token_count: 3 } } },
        { embeddings: { values: [0, 1], statistics: { token_count: 4 } } },
      ],
    };
    const parsed = op(d).parseResponse(JSON.stringify(answer), i, {});
    expect(parsed.usage?.promptTokens).toBe(7);
    const gemini = { ...d, model: 'gemini-embedding-001' };
    expect(refusal(() => op(gemini).buildRequest(i, gemini, ctx)).message).toMatch(/one text per request/);
    expect(json(parsed.body!).data.map((x: { embedding: number[] }) => x.embedding)).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('bedrock: Titan takes one text (refusing batches) with dimensions on v2; Cohere takes texts, tokens from the header', () => {
    const titan = deployment('bedrock', 'amazon.titan-embed-text-v2:0');
    const r = op(titan).buildRequest(input({ model: 'emb', input: 'hi', dimensions: 256 }), titan, ctx);
    expect(r.url).toBe('https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.titan-embed-text-v2%3A0/invoke');
    expect(json(r.body)).toEqual({ inputText: 'hi', dimensions: 256 });
    expect(
      refusal(() => op(titan).buildRequest(input({ model: 'emb', input: ['a', 'b'] }), titan, ctx)).message,
    ).toMatch(/one text per request/);
    const v1 = deployment('bedrock', 'amazon.titan-embed-text-v1');
    expect(
      refusal(() => op(v1).buildRequest(input({ model: 'emb', input: 'a', dimensions: 256 }), v1, ctx)).param,
    ).toBe('dimensions');
    const ti = input({ model: 'emb', input: 'hi' });
    expect(
      op(titan).parseResponse(JSON.stringify({ embedding: [1], inputTextTokenCount: 2 }), ti, {}).usage?.promptTokens,
    ).toBe(2);

    const cohere = deployment('bedrock', 'cohere.embed-english-v3');
    const ci = input({ model: 'emb', input: ['a', 'b'], input_type: 'search_query' });
    expect(json(op(cohere).buildRequest(ci, cohere, ctx).body)).toEqual({
      texts: ['a', 'b'],
      input_type: 'search_query',
    });
    const parsed = op(cohere).parseResponse(
      JSON.stringify({ embeddings: [[1], [2]], response_type: 'embeddings_floats' }),
      ci,
      { 'x-amzn-bedrock-input-token-count': '5' },
    );
    expect(parsed.usage?.promptTokens).toBe(5);
    const chat = deployment('bedrock', 'amazon.nova-micro-v1:0');
    expect(refusal(() => op(chat).buildRequest(ti, chat, ctx)).param).toBe('model');
  });

  it('cohere: Embed v2 with float embeddings, billed input tokens, output_dimension from dimensions', () => {
    const d = deployment('cohere', 'embed-v4.0');
    const i = input({ model: 'emb', input: ['a'], dimensions: 256 });
    const r = op(d).buildRequest(i, d, ctx);
    expect(r.url).toBe('https://api.cohere.com/v2/embed');
    expect(json(r.body)).toEqual({
      model: 'embed-v4.0',
      texts: ['a'],
      input_type: 'search_document',
      embedding_types: ['float'],
      output_dimension: 256,
    });
    const parsed = op(d).parseResponse(
      JSON.stringify({ embeddings: { float: [[0.25]] }, meta: { billed_units: { input_tokens: 9 } } }),
      i,
      {},
    );
    expect(parsed.usage?.promptTokens).toBe(9);
    expect(json(parsed.body!).data[0].embedding).toEqual([0.25]);
    expect(() => op(d).parseResponse(JSON.stringify({ embeddings: { float: [] } }), i, {})).toThrow(ProviderError);
  });

  it('has no embeddings on providers without an embeddings API (anthropic)', () => {
    expect(adapterFor(deployment('anthropic', 'claude-sonnet-4-5')).embeddings).toBeUndefined();
  });
});
