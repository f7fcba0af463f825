import { describe, expect, it } from 'vitest';
import type { ClientApi, RequestSummary } from '@switchyard/contracts';
import { adapterFor, ProviderError, type ProviderAdapter, type ProviderDeployment } from '@switchyard/providers';
import { operationFor } from './attempt-operation';

const operationOf = (
  adapter: ProviderAdapter,
  api: ClientApi,
  raw: Uint8Array,
  s: RequestSummary | undefined,
  deployment: ProviderDeployment = { id: 'd', modelName: 'g', provider: adapter.provider, model: 'm' },
) => operationFor(adapter, api, raw, s, 'r1', deployment);

const summary = (model: string): RequestSummary => ({
  model,
  stream: false,
  includeUsage: false,
  tags: [],
  promptChars: 4,
  strip: [],
});
const bytes = (v: unknown) => Buffer.from(JSON.stringify(v));
const ctx = { now: () => 0, credentials: { apiKey: 'k' } };
const d = (provider: string, model: string, apiBase?: string): ProviderDeployment => ({
  id: 'd',
  modelName: 'g',
  provider,
  model,
  ...(apiBase && { apiBase }),
});

describe('operationFor: the operation of each client API on each adapter', () => {
  it('passes legacy completions through to an OpenAI-compatible server, at its /completions', () => {
    const dep = d('openai', 'gpt-3.5-turbo-instruct');
    const op = operationOf(adapterFor(dep), 'openai.completions', bytes({ model: 'g', prompt: 'hi' }), summary('g'))!;
    const r = op.buildRequest(dep, ctx);
    expect(r.url).toBe('https://api.openai.com/v1/completions');
    expect(JSON.parse(r.body as string)).toEqual({ model: 'gpt-3.5-turbo-instruct', prompt: 'hi' });
    expect(op.route).toBe('passthrough');
    expect(op.answerId).toBe('cmpl-r1');
  });

  it('picks, per client API and adapter, the same API, a pass-through or a translation', () => {
    const chat = bytes({ model: 'g', messages: [{ role: 'user', content: 'hi' }] });
    const messages = bytes({ model: 'g', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    const openai = adapterFor(d('openai', 'gpt-4o'));
    const anthropic = adapterFor(d('anthropic', 'claude-sonnet-4-5'));
    const gemini = adapterFor(d('gemini', 'gemini-2.5-flash'));
    expect(operationOf(openai, 'openai.chat', chat, summary('g'))).toMatchObject({
      route: 'same',
      answerId: 'chatcmpl-r1',
    });
    expect(operationOf(gemini, 'openai.chat', chat, summary('g'))?.route).toBe('same');
    expect(operationOf(anthropic, 'openai.chat', chat, summary('g'))?.route).toBe('same');
    expect(operationOf(anthropic, 'anthropic.messages', messages, summary('g'))).toMatchObject({
      route: 'passthrough',
      answerId: 'msg_r1',
    });
    expect(operationOf(gemini, 'anthropic.messages', messages, summary('g'))?.route).toBe('translated');
    expect(operationOf(openai, 'anthropic.messages', messages, summary('g'))?.route).toBe('translated');
    expect(
      operationOf(anthropic, 'openai.completions', bytes({ model: 'g', prompt: 'hi' }), summary('g')),
    ).toMatchObject({ route: 'translated', answerId: 'cmpl-r1' });
    expect(operationOf(openai, 'openai.embeddings', bytes({ model: 'g', input: 'x' }), summary('g'))?.route).toBe(
      'same',
    );
  });

  it('refuses, as a 400, a translated or embeddings request without the gateway summary', () => {
    const gemini = adapterFor(d('gemini', 'gemini-2.5-flash'));
    expect(() => operationOf(gemini, 'openai.completions', bytes({ model: 'g', prompt: 'hi' }), undefined)).toThrow(
      ProviderError,
    );
    expect(() => operationOf(gemini, 'openai.embeddings', bytes({ model: 'g', input: 'x' }), undefined)).toThrow(
      ProviderError,
    );
  });

  it('asks a native provider through chat and answers a text_completion', () => {
    const dep = d('cohere', 'command-a-03-2025');
    const op = operationOf(
      adapterFor(dep),
      'openai.completions',
      bytes({ model: 'g', prompt: 'hi', max_tokens: 5 }),
      summary('g'),
    )!;
    const body = JSON.parse(op.buildRequest(dep, ctx).body as string) as Record<string, unknown>;
    expect(body['messages']).toEqual([{ role: 'user', content: 'hi' }]);
    expect(body['max_tokens']).toBe(5);
    const answer = {
      id: 'x',
      finish_reason: 'COMPLETE',
      message: { role: 'assistant', content: [{ type: 'text', text: 'Hello' }] },
      usage: { billed_units: { input_tokens: 1, output_tokens: 1 }, tokens: { input_tokens: 1, output_tokens: 1 } },
    };
    const parsed = op.parseResponse(JSON.stringify(answer), {});
    expect(JSON.parse(parsed.body!)).toMatchObject({
      object: 'text_completion',
      choices: [{ text: 'Hello', finish_reason: 'stop' }],
    });
    expect(parsed.usage?.promptTokens).toBe(1);
  });

  it('refuses, as a 400, a completion chat cannot carry', () => {
    const dep = d('cohere', 'command-a-03-2025');
    expect(() =>
      operationOf(adapterFor(dep), 'openai.completions', bytes({ model: 'g', prompt: 'a', echo: true }), summary('g')),
    ).toThrow(ProviderError);
  });

  it('has no operation for embeddings on an adapter without them, nor for an API it cannot serve', () => {
    const anthropic = adapterFor(d('anthropic', 'claude-sonnet-4-5'));
    expect(
      operationOf(anthropic, 'openai.embeddings', bytes({ model: 'g', input: 'x' }), summary('g')),
    ).toBeUndefined();
  });

  it('serves the Responses API: passed through to OpenAI, translated to chat for every other provider', () => {
    const body = bytes({ model: 'g', input: 'hi', store: true });
    const openai = d('openai', 'gpt-4o');
    const op = operationOf(adapterFor(openai), 'openai.responses', body, summary('g'))!;
    expect(op.route).toBe('passthrough');
    const req = op.buildRequest(openai, ctx);
    expect(req.url).toBe('https://api.openai.com/v1/responses');
    expect(JSON.parse(String(req.body))).toEqual({ model: 'gpt-4o', input: 'hi', store: true });
    for (const dep of [d('groq', 'llama-3.3-70b'), d('anthropic', 'claude-sonnet-4-5')]) {
      const t = operationOf(adapterFor(dep), 'openai.responses', body, summary('g'))!;
      expect(t.route, dep.provider).toBe('translated');
      expect(t.answerId).toMatch(/^resp_/);
    }
  });

  it('never streams embeddings, whatever the summary says', () => {
    const dep = d('openai', 'text-embedding-3-small');
    const op = operationOf(adapterFor(dep), 'openai.embeddings', bytes({ model: 'g', input: 'x' }), {
      ...summary('g'),
      stream: true,
    })!;
    expect(op.input.stream).toBe(false);
  });
});

describe('operationFor: legacy completions on Azure', () => {
  it("passes them through to the deployment's /completions with the resource key", () => {
    const dep = { ...d('azure', 'instruct-prod', 'https://r.openai.azure.com'), apiVersion: '2024-10-21' };
    const op = operationOf(adapterFor(dep), 'openai.completions', bytes({ model: 'g', prompt: 'hi', stream: true }), {
      ...summary('g'),
      stream: true,
    })!;
    const r = op.buildRequest(dep, ctx);
    expect(r.url).toBe(
      'https://r.openai.azure.com/openai/deployments/instruct-prod/completions?api-version=2024-10-21',
    );
    expect(r.headers['api-key']).toBe('k');
    expect(JSON.parse(r.body as string)).toEqual({
      model: 'instruct-prod',
      prompt: 'hi',
      stream: true,
      stream_options: { include_usage: true },
    });
  });
});

describe('operationFor: Messages on Bedrock', () => {
  const aws = { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', region: 'us-east-1' };
  const awsCtx = { now: () => 0, credentials: { aws } };
  const claude: ProviderDeployment = {
    ...d('bedrock', 'us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
    apiBase: 'https://bedrock.example',
  };
  const nova = d('bedrock', 'amazon.nova-pro-v1:0');
  const messages = {
    model: 'g',
    max_tokens: 5,
    stream: true,
    messages: [{ role: 'user', content: 'hi' }],
  };
  const messagesSummary = (extra: Partial<RequestSummary> = {}): RequestSummary => ({
    ...summary('g'),
    stream: true,
    maxTokens: 5,
    clientHeaders: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'context-1m-2025-08-07' },
    ...extra,
  });

  it('passes Claude models through InvokeModel and translates the others through Converse', () => {
    const adapter = adapterFor(claude);
    expect(operationOf(adapter, 'anthropic.messages', bytes(messages), messagesSummary(), claude)?.route).toBe(
      'passthrough',
    );
    expect(operationOf(adapter, 'anthropic.messages', bytes(messages), messagesSummary(), nova)?.route).toBe(
      'translated',
    );
    // Chat requests stay on Converse whatever the model.
    const chat = bytes({ model: 'g', messages: [{ role: 'user', content: 'hi' }] });
    expect(operationOf(adapter, 'openai.chat', chat, summary('g'), claude)?.route).toBe('same');
  });

  it("moves the model to the URL and the version and betas into the body, as Bedrock's InvokeModel takes them", () => {
    const op = operationOf(adapterFor(claude), 'anthropic.messages', bytes(messages), messagesSummary(), claude)!;
    const r = op.buildRequest(claude, awsCtx);
    expect(r.url).toBe(
      'https://bedrock.example/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/invoke-with-response-stream',
    );
    expect(r.headers['accept']).toBe('application/vnd.amazon.eventstream');
    expect(r.headers['anthropic-version']).toBeUndefined();
    expect(r.headers['anthropic-beta']).toBeUndefined();
    expect(JSON.parse(Buffer.from(r.body as Uint8Array).toString('utf8'))).toEqual({
      max_tokens: 5,
      messages: [{ role: 'user', content: 'hi' }],
      anthropic_version: 'bedrock-2023-05-31',
      anthropic_beta: ['context-1m-2025-08-07'],
    });
  });

  it("counts tokens with CountTokens, the InvokeModel body base64-encoded, and answers in Anthropic's shape", () => {
    const count = { model: 'g', messages: [{ role: 'user', content: 'hi' }] };
    const s = { ...messagesSummary({ countTokens: true, stream: false, clientHeaders: {} }), maxTokens: undefined };
    delete s.maxTokens;
    const op = operationOf(adapterFor(claude), 'anthropic.messages', bytes(count), s, claude)!;
    const r = op.buildRequest(claude, awsCtx);
    expect(r.url).toBe('https://bedrock.example/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/count-tokens');
    const wrapped = JSON.parse(Buffer.from(r.body as Uint8Array).toString('utf8')) as {
      input: { invokeModel: { body: string } };
    };
    expect(JSON.parse(Buffer.from(wrapped.input.invokeModel.body, 'base64').toString('utf8'))).toEqual({
      messages: [{ role: 'user', content: 'hi' }],
      anthropic_version: 'bedrock-2023-05-31',
      max_tokens: 1,
    });
    expect(op.parseResponse('{"inputTokens":42}', {}).body).toBe('{"input_tokens":42}');
    expect(() => op.parseResponse('{"tokens":42}', {})).toThrow(/input_tokens/);
  });
});
