import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import { chatInput } from '../chat-input';
import { staticRequestContext } from '../credentials/credentials.types';
import { createSseDecoder } from '../framing/sse.decoder';
import type { ChatCompletion, ChatCompletionChunk } from '../openai-types';
import { ProviderError, type ChatInput, type StreamState, type StreamTranslatorOptions } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { adapterFor, UnsupportedProviderError } from '../provider.registry';
import { vertexAdapter } from '../vertex/vertex.adapter';
import { vertexPublisherUrl } from '../vertex/vertex.url';
import { geminiAdapter } from './gemini.adapter';
import { mimeTypeOfUrl } from './gemini.contents';
import { normaliseGoogleError } from './gemini.errors';
import { thinkingConfigFor } from './gemini.request';
import { geminiFinishReason, geminiTokenUsage } from './gemini.stream';
import { decodeToolCallId, encodeToolCallId } from './gemini.tool-ids';
import type { GenerateContentRequest } from './gemini.types';

const fx = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const fxJson = <T>(name: string): T => JSON.parse(fx(name)) as T;
const enc = new TextEncoder();
const KEY = 'AIzaSyTestKeyForUnitTests000000000000000';

const dep = (over: Partial<ProviderDeployment> = {}): ProviderDeployment => ({
  id: 'dep-gemini',
  modelName: 'gemini-flash',
  provider: 'gemini',
  model: 'gemini-2.5-flash',
  apiKey: KEY,
  ...over,
});

function input(body: Record<string, unknown>): ChatInput {
  return chatInput(enc.encode(JSON.stringify(body)));
}

const chat = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'gemini-flash',
  messages: [{ role: 'user', content: 'hi' }],
  ...extra,
});

function build(body: Record<string, unknown>, d = dep()): GenerateContentRequest {
  const req = geminiAdapter.chat.buildRequest(input(body), d, staticRequestContext(d));
  return JSON.parse(req.body as string) as GenerateContentRequest;
}

function rejection(run: () => unknown): ProviderError {
  try {
    run();
  } catch (e) {
    if (e instanceof ProviderError) return e;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

/** Random parts of an answer (generated tool-call ids, the clock) made comparable. */
function stable(text: string): string {
  return text.replace(/call_[0-9a-f]{24}/g, 'call_X').replace(/"created":\d+/g, '"created":0');
}

function translate(pieces: Uint8Array[], opts: StreamTranslatorOptions, adapter = geminiAdapter) {
  const decoder = createSseDecoder();
  const tr = adapter.chat.createStreamTranslator(opts);
  let out = '';
  for (const piece of pieces) for (const ev of decoder.push(piece)) out += tr.push(ev);
  for (const ev of decoder.end()) out += tr.push(ev);
  out += tr.end();
  return { out, state: tr.state as StreamState };
}

function chunksOf(out: string): ChatCompletionChunk[] {
  return out
    .split('\n\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as ChatCompletionChunk);
}

const streamOpts = (includeUsage: boolean, n = 1): StreamTranslatorOptions => ({
  includeUsage,
  request: { id: 'chatcmpl-req1', model: 'gemini-flash', n },
});

describe('gemini request', () => {
  it('translates a full OpenAI request into the GenerateContent body (golden)', () => {
    const req = geminiAdapter.chat.buildRequest(input(fxJson('chat-request.json')), dep(), staticRequestContext(dep()));
    expect(req.url).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(req.method).toBe('POST');
    expect(req.headers).toEqual({
      'content-type': 'application/json',
      accept: 'application/json',
      'x-goog-api-key': KEY,
    });
    expect(JSON.parse(req.body as string)).toEqual(fxJson('generate-content-request.json'));
  });

  it('streams from :streamGenerateContent?alt=sse; api_base, models/ prefix, extra headers and extra_body', () => {
    const d = dep({
      apiBase: 'http://127.0.0.1:9999/',
      model: 'models/gemini-2.0-flash',
      params: {
        family: 'gemini',
        extra_headers: { 'X-Trace': 't1' },
        extra_body: { safetySettings: [], cachedContent: 'cachedContents/c1' },
      },
    });
    const req = geminiAdapter.chat.buildRequest(
      input(chat({ stream: true, cached_content: 'cachedContents/mine' })),
      d,
      staticRequestContext(d),
    );
    expect(req.url).toBe('http://127.0.0.1:9999/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse');
    expect(req.headers['accept']).toBe('text/event-stream');
    expect(req.headers['x-trace']).toBe('t1');
    // The key goes in a header only, never in the URL (where access logs keep it).
    expect(req.url).not.toContain(KEY);
    const body = JSON.parse(req.body as string) as GenerateContentRequest;
    expect(body.cachedContent).toBe('cachedContents/mine'); // the client's value wins over extra_body
    expect(body.safetySettings).toEqual([]);
    const versioned = dep({ apiBase: 'https://proxy.example/gemini/v1beta' });
    expect(geminiAdapter.chat.buildRequest(input(chat()), versioned, staticRequestContext(versioned)).url).toBe(
      'https://proxy.example/gemini/v1beta/models/gemini-2.5-flash:generateContent',
    );
  });

  it('refuses to build without a key (the translator logs it as a misconfigured deployment)', () => {
    const d = dep({ apiKey: undefined });
    expect(() => geminiAdapter.chat.buildRequest(input(chat()), d, staticRequestContext(d))).toThrow(/no api_key/);
  });

  it('fills litellm_params request defaults the client left out, and never sends gateway-only members', () => {
    const body = build(
      chat({ temperature: 0.1, drop_params: true, fallbacks: ['x'] }),
      dep({ requestDefaults: { temperature: 0.9, max_tokens: 50 } }),
    );
    expect(body.generationConfig).toEqual({ temperature: 0.1, maxOutputTokens: 50 });
  });

  it('merges consecutive turns of one role, keeps tool results apart from user text, drops empty assistant turns', () => {
    const body = build(
      chat({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: [{ type: 'text', text: 'b' }] },
          { role: 'assistant', content: '' },
          { role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] },
          { role: 'user', content: 'c' },
        ],
      }),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'a' }, { text: 'b' }] },
      { role: 'model', parts: [{ text: 'no' }] },
      { role: 'user', parts: [{ text: 'c' }] },
    ]);
    expect(body.systemInstruction).toBeUndefined();
  });

  it('takes audio and file parts, and says what is wrong with media it cannot send', () => {
    const body = build(
      chat({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
              { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=' } },
              { type: 'image_url', image_url: { url: 'https://cdn.example/img/render', format: 'image/webp' } },
            ],
          },
        ],
      }),
    );
    expect(body.contents[0]!.parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
      { fileData: { mimeType: 'image/webp', fileUri: 'https://cdn.example/img/render' } },
    ]);
    const unknownType = rejection(() =>
      build(
        chat({
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.example/image?id=3' } }] },
          ],
        }),
      ),
    );
    expect(unknownType.gatewayError).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'messages' });
    expect(unknownType.message).toMatch(/media type .* file extension/);
    expect(
      rejection(() =>
        build(
          chat({
            messages: [
              { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }] },
            ],
          }),
        ),
      ).message,
    ).toMatch(/not base64/);
    expect(
      rejection(() =>
        build(
          chat({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/a.png' } }] }] }),
        ),
      ).message,
    ).toMatch(/http\(s\) URL, a gs:\/\/ URI/);
    expect(mimeTypeOfUrl('gs://b/a/photo.HEIC')).toBe('image/heic');
    expect(mimeTypeOfUrl('https://x.example/a.png#frag')).toBe('image/png');
    expect(mimeTypeOfUrl('https://x.example/a.dir/file')).toBeUndefined();
  });

  it('refuses a tool result whose call is not in the conversation, and arguments that are not an object', () => {
    const orphan = rejection(() =>
      build(
        chat({
          messages: [
            { role: 'user', content: 'x' },
            { role: 'tool', tool_call_id: 'call_1', content: 'r' },
          ],
        }),
      ),
    );
    expect(orphan.gatewayError).toMatchObject({ status: 400, param: 'messages' });
    expect(orphan.message).toContain('"call_1"');
    const badArgs = rejection(() =>
      build(
        chat({
          messages: [
            { role: 'user', content: 'x' },
            {
              role: 'assistant',
              tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }],
            },
          ],
        }),
      ),
    );
    expect(badArgs.message).toContain('must be a JSON object');
    expect(
      rejection(() => build(chat({ messages: [{ role: 'system', content: 'only a system prompt' }] }))).message,
    ).toContain('at least one user');
  });
});

describe('gemini parameter table', () => {
  const refused = (extra: Record<string, unknown>): ProviderError => rejection(() => build(chat(extra)));

  it('maps the supported parameters', () => {
    expect(
      build(chat({ max_tokens: 10, temperature: 0, top_p: 1, top_k: 40, n: 2, seed: -3, stop: 'X' })).generationConfig,
    ).toEqual({
      maxOutputTokens: 10,
      temperature: 0,
      topP: 1,
      topK: 40,
      candidateCount: 2,
      seed: -3,
      stopSequences: ['X'],
    });
    expect(build(chat({ response_format: { type: 'json_object' } })).generationConfig).toEqual({
      responseMimeType: 'application/json',
    });
    expect(build(chat({ response_format: { type: 'text' } })).generationConfig).toBeUndefined();
    expect(
      build(chat({ safety_settings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] }))
        .safetySettings,
    ).toHaveLength(1);
    expect(build(chat({ thinking: { type: 'enabled', budget_tokens: 500 } })).generationConfig?.thinkingConfig).toEqual(
      {
        includeThoughts: true,
        thinkingBudget: 500,
      },
    );
    // Read by the gateway (end-user tracking, tags); nothing to send.
    const quiet = build(
      chat({
        user: 'u',
        metadata: { tags: ['a'] },
        parallel_tool_calls: true,
        stream_options: { include_usage: true },
      }),
    );
    expect(Object.keys(quiet)).toEqual(['contents']);
  });

  it('maps tool_choice, named and allowed_tools included', () => {
    const tools = [
      { type: 'function', function: { name: 'a' } },
      { type: 'function', function: { name: 'b' } },
    ];
    const cfg = (tool_choice: unknown) => build(chat({ tools, tool_choice })).toolConfig;
    expect(cfg('none')).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(cfg('required')).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(cfg({ type: 'function', function: { name: 'b' } })).toEqual({
      functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] },
    });
    const allowed = (mode: string) => ({
      type: 'allowed_tools',
      allowed_tools: { mode, tools: [{ type: 'function', function: { name: 'a' } }] },
    });
    expect(cfg(allowed('required'))).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a'] } });
    const auto = build(chat({ tools, tool_choice: allowed('auto') }));
    expect(auto.toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(auto.tools).toEqual([{ functionDeclarations: [{ name: 'a' }] }]);
    expect(refused({ tools, tool_choice: { type: 'custom', custom: { name: 'x' } } }).gatewayError).toMatchObject({
      status: 400,
      param: 'tool_choice',
    });
  });

  it('maps reasoning_effort as LiteLLM does for 2.5 models and to thinking levels for Gemini 3', () => {
    expect(thinkingConfigFor('low', 'gemini-2.5-flash')).toEqual({ thinkingBudget: 1024, includeThoughts: true });
    expect(thinkingConfigFor('medium', 'gemini-2.5-pro')).toEqual({ thinkingBudget: 2048, includeThoughts: true });
    expect(thinkingConfigFor('high', 'gemini-2.5-flash')).toEqual({ thinkingBudget: 4096, includeThoughts: true });
    expect(thinkingConfigFor('minimal', 'gemini-2.5-pro')).toEqual({ thinkingBudget: 128, includeThoughts: true });
    expect(thinkingConfigFor('minimal', 'gemini-2.5-flash-lite')).toEqual({
      thinkingBudget: 512,
      includeThoughts: true,
    });
    expect(thinkingConfigFor('none', 'gemini-2.5-flash')).toEqual({ thinkingBudget: 0, includeThoughts: false });
    expect(thinkingConfigFor('medium', 'gemini-3-flash-preview')).toEqual({
      thinkingLevel: 'MEDIUM',
      includeThoughts: true,
    });
    expect(thinkingConfigFor('high', 'gemini-3.1-pro-preview')).toEqual({
      thinkingLevel: 'HIGH',
      includeThoughts: true,
    });
    expect(build(chat({ reasoning_effort: 'none' })).generationConfig?.thinkingConfig).toEqual({
      thinkingBudget: 0,
      includeThoughts: false,
    });
    const three = rejection(() => build(chat({ reasoning_effort: 'none' }), dep({ model: 'gemini-3-pro-preview' })));
    expect(three.gatewayError.param).toBe('reasoning_effort');
    expect(three.message).toContain('Gemini 3 models always think');
  });

  it.each([
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 2 }],
    ['logit_bias', { logit_bias: { '1': 1 } }],
    ['functions', { functions: [{ name: 'f' }] }],
    ['audio', { audio: { voice: 'x', format: 'mp3' } }],
    ['modalities', { modalities: ['audio'] }],
    ['prediction', { prediction: { type: 'content', content: 'x' } }],
    ['store', { store: true }],
    ['service_tier', { service_tier: 'flex' }],
    ['web_search_options', { web_search_options: {} }],
    ['verbosity', { verbosity: 'low' }],
    ['prompt_cache_key', { prompt_cache_key: 'k' }],
    ['safety_identifier', { safety_identifier: 's' }],
    ['made_up_field', { made_up_field: 1 }],
  ])('refuses %s with a 400 naming it, and drops it with drop_params', (param, extra) => {
    const e = refused(extra);
    expect(e.gatewayError).toMatchObject({ status: 400, type: 'invalid_request_error', param, kind: 'bad_request' });
    expect(e.message).toContain(param);
    expect(e.message).toContain('gemini');
    expect(Object.keys(build(chat({ ...extra, drop_params: true })))).toEqual(['contents']);
    // The deployment's own drop_params (or litellm_settings') does the same.
    expect(Object.keys(build(chat(extra), dep({ params: { family: 'gemini', drop_params: true } })))).toEqual([
      'contents',
    ]);
  });

  it.each([
    ['temperature', { temperature: 2.5 }],
    ['top_p', { top_p: 1.5 }],
    ['n', { n: 9 }],
    ['stop', { stop: ['a', 'b', 'c', 'd', 'e', 'f'] }],
    ['max_tokens', { max_tokens: 0 }],
    ['presence_penalty', { presence_penalty: 3 }],
    ['parallel_tool_calls', { parallel_tool_calls: false }],
    ['reasoning_effort', { reasoning_effort: 'extreme' }],
    ['response_format', { response_format: { type: 'json_schema', json_schema: { name: 'x' } } }],
    ['tools', { tools: [{ type: 'web_search' }] }],
  ])('refuses an out-of-range %s (never clamps it), and drops it with drop_params', (param, extra) => {
    expect(refused(extra).gatewayError).toMatchObject({ status: 400, param, code: 'invalid_value' });
    expect(() => build(chat({ ...extra, drop_params: true }))).not.toThrow();
  });

  it('always drops additional_drop_params, supported or not', () => {
    const body = build(
      chat({ temperature: 0.5, tools: [{ type: 'function', function: { name: 'f' } }] }),
      dep({ params: { family: 'gemini', additional_drop_params: ['temperature', 'tools'] } }),
    );
    expect(body.generationConfig).toBeUndefined();
    expect(body.tools).toBeUndefined();
  });

  it('refuses max_tokens and max_completion_tokens together', () => {
    expect(refused({ max_tokens: 1, max_completion_tokens: 2 }).gatewayError.code).toBe('conflicting_parameters');
  });
});

describe('gemini tool-call ids', () => {
  it('carry Gemini’s id and the thought signature losslessly, and leave foreign ids alone', () => {
    const id = encodeToolCallId('fc-7/ü', 'Ci+sig/==');
    expect(id).toMatch(/^call_g_[A-Za-z0-9_-]+__thought__Ci\+sig\/==$/);
    expect(decodeToolCallId(id)).toEqual({ geminiId: 'fc-7/ü', signature: 'Ci+sig/==' });
    expect(encodeToolCallId(undefined, undefined)).toMatch(/^call_[0-9a-f]{24}$/);
    expect(decodeToolCallId(encodeToolCallId(undefined, 'S'))).toEqual({ signature: 'S' });
    expect(decodeToolCallId('call_abc123')).toEqual({});
    expect(decodeToolCallId('toolu_01XYZ')).toEqual({});
  });

  it('round-trip: a signed call answered by Gemini goes back with its signature on the functionCall part', () => {
    const parsed = geminiAdapter.chat.parseResponse(fx('generate-content-tool-calls.json'), input(chat()));
    const completion = JSON.parse(parsed.body!) as ChatCompletion;
    const calls = completion.choices[0]!.message.tool_calls!;
    const next = build(
      chat({
        messages: [
          { role: 'user', content: 'Weather in Paris and Oslo?' },
          { role: 'assistant', content: null, tool_calls: calls },
          { role: 'tool', tool_call_id: calls[0]!.id, content: 'sunny' },
          { role: 'tool', tool_call_id: calls[1]!.id, content: 'snow' },
        ],
      }),
    );
    expect(next.contents[1]).toEqual({
      role: 'model',
      parts: [
        {
          functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' } },
          thoughtSignature: 'CiQB0e2Kb7Xq+sig/one==',
        },
        { functionCall: { name: 'get_weather', args: { city: 'Oslo' } } },
      ],
    });
    expect(next.contents[2]!.parts).toEqual([
      { functionResponse: { name: 'get_weather', response: { output: 'sunny' } } },
      { functionResponse: { name: 'get_weather', response: { output: 'snow' } } },
    ]);
  });
});

describe('gemini response', () => {
  it('turns a GenerateContentResponse into a chat.completion with usage (golden)', () => {
    const parsed = geminiAdapter.chat.parseResponse(enc.encode(fx('generate-content.json')), input(chat()));
    expect(parsed.usage).toEqual({
      promptTokens: 8,
      completionTokens: 21,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    const completion = JSON.parse(parsed.body!) as ChatCompletion;
    expect({ ...completion, created: 0 }).toEqual({
      id: 'chatcmpl-Bq2taN7uKqSl1dkP4r2k2Qk',
      object: 'chat.completion',
      created: 0,
      model: 'gemini-flash',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'AI learns patterns from data, then uses them to make predictions — «vite» 日本語 🌍.',
            refusal: null,
            annotations: [],
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 8,
        completion_tokens: 21,
        total_tokens: 29,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    });
  });

  it('reports function calls as tool_calls (finish_reason tool_calls, not stop), thoughts as reasoning_content, cached and reasoning tokens', () => {
    const parsed = geminiAdapter.chat.parseResponse(fx('generate-content-tool-calls.json'), input(chat()));
    expect(parsed.usage).toEqual({
      promptTokens: 2100,
      completionTokens: 156,
      cachedTokens: 2048,
      cacheWriteTokens: 0,
      reasoningTokens: 120,
    });
    const c = JSON.parse(parsed.body!) as ChatCompletion;
    const choice = c.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    expect(choice.message['reasoning_content']).toContain('I call the tool twice');
    expect(choice.message.tool_calls!.map((t) => ({ ...t, id: t.id.replace(/^call_[0-9a-f]{24}/, 'call_X') }))).toEqual(
      [
        {
          id: 'call_X__thought__CiQB0e2Kb7Xq+sig/one==',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
        },
        { id: 'call_X', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
      ],
    );
    expect(c.usage).toMatchObject({
      prompt_tokens_details: { cached_tokens: 2048 },
      completion_tokens_details: { reasoning_tokens: 120 },
    });
  });

  it('maps finish reasons', () => {
    expect(geminiFinishReason('STOP', false)).toBe('stop');
    expect(geminiFinishReason('STOP', true)).toBe('tool_calls');
    expect(geminiFinishReason('MAX_TOKENS', true)).toBe('length');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY']) {
      expect(geminiFinishReason(r, false)).toBe('content_filter');
    }
    expect(geminiFinishReason('MALFORMED_FUNCTION_CALL', false)).toBe('stop');
    expect(
      geminiTokenUsage({ promptTokenCount: 10, toolUsePromptTokenCount: 5, candidatesTokenCount: 3 }),
    ).toMatchObject({ promptTokens: 15, completionTokens: 3 });
  });

  it('refuses a blocked prompt with a 400 content_policy_violation, and unusable bodies with a retryable 502', () => {
    const blocked = rejection(() =>
      geminiAdapter.chat.parseResponse(
        JSON.stringify({
          promptFeedback: { blockReason: 'PROHIBITED_CONTENT' },
          usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 },
        }),
        input(chat()),
      ),
    );
    expect(blocked.gatewayError).toMatchObject({
      status: 400,
      code: 'content_policy_violation',
      kind: 'content_policy',
      retryable: false,
    });
    expect(blocked.message).toContain('PROHIBITED_CONTENT');
    expect(rejection(() => geminiAdapter.chat.parseResponse('<html>', input(chat()))).gatewayError).toMatchObject({
      status: 502,
      retryable: true,
    });
    expect(rejection(() => geminiAdapter.chat.parseResponse('{}', input(chat()))).gatewayError).toMatchObject({
      status: 502,
    });
  });

  it('answers n candidates as choices and content_filter for a safety stop', () => {
    const body = {
      candidates: [
        { content: { parts: [{ text: 'one' }], role: 'model' }, finishReason: 'STOP', index: 0 },
        {
          finishReason: 'SAFETY',
          index: 1,
          safetyRatings: [{ category: 'HARM_CATEGORY_HARASSMENT', probability: 'HIGH', blocked: true }],
        },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
    };
    const c = JSON.parse(
      geminiAdapter.chat.parseResponse(JSON.stringify(body), input(chat({ n: 2 }))).body!,
    ) as ChatCompletion;
    expect(c.choices.map((x) => [x.index, x.message.content, x.finish_reason])).toEqual([
      [0, 'one', 'stop'],
      [1, null, 'content_filter'],
    ]);
  });
});

describe('gemini stream', () => {
  const text = enc.encode(fx('stream-text.sse'));
  const tool = enc.encode(fx('stream-tool-call.sse'));

  it('turns a recorded SSE stream into OpenAI chunks, usage chunk when asked (golden)', () => {
    const { out, state } = translate([text], streamOpts(true));
    const chunks = chunksOf(out);
    expect(chunks.map((c) => ({ choices: c.choices, usage: c.usage }))).toEqual([
      {
        choices: [
          { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
        ],
        usage: null,
      },
      { choices: [{ index: 0, delta: { content: 'Héllo' }, logprobs: null, finish_reason: null }], usage: null },
      {
        choices: [
          { index: 0, delta: { content: ' wörld 🌍, "quoted" {braces}' }, logprobs: null, finish_reason: null },
        ],
        usage: null,
      },
      { choices: [{ index: 0, delta: { content: ' 日本語' }, logprobs: null, finish_reason: null }], usage: null },
      { choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }], usage: null },
      {
        choices: [],
        usage: {
          prompt_tokens: 6,
          completion_tokens: 9,
          total_tokens: 15,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0 },
        },
      },
    ]);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-req1']));
    expect(chunks[0]!.model).toBe('gemini-flash');
    expect(state).toMatchObject({ contentSeen: true, finished: true, done: true, error: undefined });
    expect(state.usage).toEqual({
      promptTokens: 6,
      completionTokens: 9,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    // Without include_usage: no usage chunk, no usage member, but the usage is still recorded.
    const plain = translate([text], streamOpts(false));
    expect(plain.out).not.toContain('usage');
    expect(plain.state.usage?.completionTokens).toBe(9);
  });

  it('streams a thought as reasoning_content and a whole function call as a start and one argument delta', () => {
    const { out, state } = translate([tool], streamOpts(true));
    const deltas = chunksOf(out).flatMap((c) => c.choices.map((x) => ({ delta: x.delta, finish: x.finish_reason })));
    expect(deltas[1]!.delta).toEqual({
      reasoning_content: '**Looking up the weather**\n\nI should call get_weather for Paris.',
    });
    const start = deltas[2]!.delta.tool_calls![0]!;
    expect(start).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(decodeToolCallId(start.id!)).toEqual({ signature: 'CiIBVKhc7nQ/5Zr+sig==' });
    expect(deltas[3]!.delta).toEqual({
      tool_calls: [{ index: 0, function: { arguments: '{"city":"Paris","note":"Zürich → 東京"}' } }],
    });
    expect(deltas[4]).toEqual({ delta: {}, finish: 'tool_calls' });
    expect(state.usage).toEqual({
      promptTokens: 57,
      completionTokens: 58,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 40,
    });
  });

  it('gives the same output for the input split at any byte boundary', () => {
    for (const [name, bytes] of [
      ['text', text],
      ['tool', tool],
      ['two candidates', enc.encode(fx('stream-two-candidates.sse'))],
    ] as const) {
      const whole = stable(translate([bytes], streamOpts(true, 2)).out);
      for (let seed = 1; seed <= 150; seed++) {
        const split = translate(splitAtRandom(bytes, seed, 1 + (seed % 23)), streamOpts(true, 2));
        expect(stable(split.out), `${name} seed ${seed}`).toBe(whole);
        expect(split.state.done).toBe(true);
      }
    }
  });

  it('streams n candidates as choice indexes, each finishing on its own', () => {
    const { out, state } = translate([enc.encode(fx('stream-two-candidates.sse'))], streamOpts(false, 2));
    const byChoice = new Map<number, string>();
    const finish = new Map<number, string | null>();
    for (const c of chunksOf(out))
      for (const x of c.choices) {
        byChoice.set(x.index, (byChoice.get(x.index) ?? '') + (x.delta.content ?? ''));
        if (x.finish_reason) finish.set(x.index, x.finish_reason);
      }
    expect(Object.fromEntries(byChoice)).toEqual({ 0: 'Red apple', 1: 'Blue sky, and more' });
    expect(Object.fromEntries(finish)).toEqual({ 0: 'stop', 1: 'length' });
    expect(state.done).toBe(true);
  });

  it('parses with the official openai SDK', async () => {
    const body = translate([tool], streamOpts(true)).out + 'data: [DONE]\n\n';
    const client = new OpenAI({
      apiKey: 'sk-test',
      baseURL: 'http://switchyard.invalid/v1',
      maxRetries: 0,
      fetch: async () => new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
    });
    const stream = client.chat.completions.stream({
      model: 'gemini-flash',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(final.choices[0]!.message.tool_calls![0]!.function.arguments)).toEqual({
      city: 'Paris',
      note: 'Zürich → 東京',
    });
    expect(final.usage?.completion_tokens_details?.reasoning_tokens).toBe(40);
  });

  it('reports a stream cut short (between events, or inside one) as a truncated, retryable error', () => {
    const events = fx('stream-text.sse').split('\r\n\r\n');
    const firstTwo = enc.encode(`${events[0]}\r\n\r\n${events[1]}\r\n\r\n`);
    const cut = translate([firstTwo], streamOpts(true));
    expect(cut.state.error).toMatchObject({
      status: 502,
      code: 'upstream_stream_truncated',
      retryable: true,
      kind: 'upstream_5xx',
    });
    expect(cut.state.contentSeen).toBe(true);
    // The early chunks' prompt-only usage is not the answer's: the translator estimates instead.
    expect(cut.state.usage).toBeUndefined();
    expect(cut.state.generatedChars).toBeGreaterThan(10);
    expect(cut.out).not.toContain('finish_reason":"stop');
    const midEvent = translate([text.subarray(0, text.length - 40)], streamOpts(true));
    expect(midEvent.state.error).toMatchObject({ status: 502, retryable: true });
    expect(midEvent.state.done).toBe(false);
    expect(translate([], streamOpts(true)).state.error).toMatchObject({ code: 'upstream_stream_truncated' });
  });

  it('ends with the error an error event carries, and refuses a blocked prompt before any content', () => {
    const events = fx('stream-text.sse').split('\r\n\r\n');
    const failing = `${events[0]}\r\n\r\ndata: ${JSON.stringify(JSON.parse(fx('error-503.json')))}\r\n\r\n`;
    const r = translate([enc.encode(failing)], streamOpts(true));
    expect(r.state.error).toMatchObject({ status: 503, kind: 'overloaded', retryable: true });
    const blocked = `data: ${JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 7, totalTokenCount: 7 } })}\r\n\r\n`;
    const b = translate([enc.encode(blocked)], streamOpts(true));
    expect(b.state.error).toMatchObject({ status: 400, code: 'content_policy_violation', kind: 'content_policy' });
    expect(b.state.contentSeen).toBe(false);
    expect(b.state.usage?.promptTokens).toBe(7); // billed even though refused
  });
});

describe('gemini errors', () => {
  const err = (status: number, file: string, headers: Record<string, string> = {}) =>
    normaliseGoogleError({ status, body: fx(file), headers }, dep());

  it.each([
    [
      'API key invalid (a 400 from the Gemini API)',
      400,
      'error-api-key-invalid.json',
      { status: 502, code: 'upstream_auth_failed', kind: 'auth', retryable: true },
    ],
    ['permission denied', 403, 'error-403.json', { status: 502, code: 'upstream_auth_failed', kind: 'auth' }],
    [
      'quota (retry delay from RetryInfo)',
      429,
      'error-429.json',
      { status: 429, type: 'rate_limit_error', kind: 'rate_limited', retryAfter: 37 },
    ],
    [
      'context length',
      400,
      'error-context.json',
      { status: 400, code: 'context_length_exceeded', kind: 'context_window', retryable: false },
    ],
    [
      'unknown field',
      400,
      'error-unknown-field.json',
      { status: 400, type: 'invalid_request_error', kind: 'bad_request', code: null },
    ],
    ['model not found', 404, 'error-404.json', { status: 404, kind: 'not_found', code: 'model_not_found' }],
    ['internal', 500, 'error-500.json', { status: 502, code: 'upstream_error', kind: 'upstream_5xx', retryable: true }],
    ['overloaded', 503, 'error-503.json', { status: 503, kind: 'overloaded', retryable: true }],
    ['billing / region', 400, 'error-failed-precondition.json', { status: 502, kind: 'unavailable', retryable: true }],
  ])('maps %s', (_name, status, file, expected) => {
    expect(err(status, file)).toMatchObject(expected);
  });

  it('keeps the provider’s message for the client’s mistakes, never a key', () => {
    expect(err(400, 'error-unknown-field.json').message).toContain('Unknown name "additionalProperties"');
    expect(err(400, 'error-context.json').message).toContain('exceeds the maximum number of tokens allowed');
    const echoed = normaliseGoogleError(
      {
        status: 400,
        body: JSON.stringify({
          error: { code: 400, status: 'INVALID_ARGUMENT', message: `bad request with key ${KEY} in it` },
        }),
        headers: {},
      },
      dep(),
    );
    expect(echoed.message).not.toContain(KEY);
    expect(echoed.message).toContain('AIza***');
  });

  it('prefers Retry-After, reads timeouts, a 404 that is not Google’s, array-wrapped bodies and an unreadable body', () => {
    expect(err(429, 'error-429.json', { 'retry-after': '3' }).retryAfter).toBe(3);
    expect(normaliseGoogleError({ status: 504, body: '', headers: {} }, dep())).toMatchObject({
      status: 504,
      kind: 'timeout',
      code: 'timeout',
    });
    expect(normaliseGoogleError({ status: 408, body: '', headers: {} }, dep())).toMatchObject({
      status: 504,
      kind: 'timeout',
    });
    expect(normaliseGoogleError({ status: 404, body: '<!DOCTYPE html><p>404</p>', headers: {} }, dep())).toMatchObject({
      status: 502,
      kind: 'unavailable',
    });
    expect(
      normaliseGoogleError({ status: 429, body: `[${fx('error-429.json')}]`, headers: {} }, dep()).retryAfter,
    ).toBe(37);
    expect(normaliseGoogleError({ status: 413, body: '', headers: {} }, dep())).toMatchObject({
      status: 413,
      kind: 'too_large',
    });
    expect(normaliseGoogleError({ status: 502, body: 'Bad Gateway', headers: {} }, dep())).toMatchObject({
      status: 502,
      retryable: true,
    });
  });
});

describe('vertex request', () => {
  const vdep = (over: Partial<ProviderDeployment> = {}, params: Record<string, unknown> = {}): ProviderDeployment => ({
    id: 'dep-vertex',
    modelName: 'gemini-vertex',
    provider: 'vertex_ai',
    model: 'gemini-2.5-pro',
    params: { family: 'vertex_ai', ...params },
    ...over,
  });
  const ctx = {
    now: () => 0,
    credentials: { token: { value: 'ya29.test-token-value', expiresAt: 1 }, projectId: 'key-project' },
  };

  it('posts the Gemini body to the publisher model URL with the bearer token', () => {
    const req = vertexAdapter.chat.buildRequest(
      input(fxJson('chat-request.json')),
      vdep({}, { vertex_location: 'europe-west4' }),
      ctx,
    );
    expect(req.url).toBe(
      'https://europe-west4-aiplatform.googleapis.com/v1/projects/key-project/locations/europe-west4/publishers/google/models/gemini-2.5-pro:generateContent',
    );
    expect(req.headers['authorization']).toBe('Bearer ya29.test-token-value');
    expect(req.headers['x-goog-api-key']).toBeUndefined();
    // Same body as the Gemini API: every field the adapter writes is one Vertex takes too.
    const gemini = fxJson<GenerateContentRequest>('generate-content-request.json');
    expect(JSON.parse(req.body as string)).toEqual({
      ...gemini,
      generationConfig: { ...gemini.generationConfig, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } },
    });
  });

  it('uses vertex_project over the key’s, us-central1 by default, the global host, and api_base', () => {
    const stream = input(chat({ stream: true }));
    expect(vertexAdapter.chat.buildRequest(stream, vdep({}, { vertex_project: 'cfg-project' }), ctx).url).toBe(
      'https://us-central1-aiplatform.googleapis.com/v1/projects/cfg-project/locations/us-central1/publishers/google/models/gemini-2.5-pro:streamGenerateContent?alt=sse',
    );
    expect(vertexAdapter.chat.buildRequest(stream, vdep({}, { vertex_location: 'global' }), ctx).url).toMatch(
      /^https:\/\/aiplatform\.googleapis\.com\/v1\/projects\/key-project\/locations\/global\//,
    );
    expect(vertexAdapter.chat.buildRequest(stream, vdep({ apiBase: 'http://127.0.0.1:8080/' }), ctx).url).toMatch(
      /^http:\/\/127\.0\.0\.1:8080\/v1\/projects\//,
    );
    expect(() =>
      vertexAdapter.chat.buildRequest(stream, vdep(), {
        now: () => 0,
        credentials: { token: { value: 't', expiresAt: 1 } },
      }),
    ).toThrow(/no Vertex AI project/);
    expect(() => vertexAdapter.chat.buildRequest(stream, vdep({}, { vertex_location: 'evil.example/x' }), ctx)).toThrow(
      /not a Vertex AI location/,
    );
    expect(() => vertexAdapter.chat.buildRequest(stream, vdep(), { now: () => 0, credentials: {} })).toThrow(
      /no access token/,
    );
  });

  it('builds URLs for other publishers (Anthropic on Vertex)', () => {
    expect(
      vertexPublisherUrl(
        vdep({}, { vertex_location: 'us-east5', vertex_project: 'p1' }),
        'anthropic',
        'claude-sonnet-4@20250514',
        'streamRawPredict',
      ),
    ).toBe(
      'https://us-east5-aiplatform.googleapis.com/v1/projects/p1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict',
    );
  });

  it('names vertex in auth errors and reads Vertex’s 429 without RetryInfo', () => {
    const e = normaliseGoogleError(
      {
        status: 401,
        body: JSON.stringify({
          error: { code: 401, status: 'UNAUTHENTICATED', message: 'Request had invalid authentication credentials.' },
        }),
        headers: {},
      },
      vdep(),
      'vertex_ai',
    );
    expect(e).toMatchObject({ status: 502, kind: 'auth', code: 'upstream_auth_failed' });
    expect(e.message).toContain('service account');
    const quota = vertexAdapter.normaliseError(
      {
        status: 429,
        body: JSON.stringify({
          error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'Resource exhausted. Please try again later.' },
        }),
        headers: {},
      },
      vdep(),
    );
    expect(quota).toMatchObject({
      status: 429,
      kind: 'rate_limited',
      message: 'Resource exhausted. Please try again later.',
    });
    expect(quota.retryAfter).toBeUndefined();
  });
});

describe('registry', () => {
  it("serves gemini/ and vertex_ai/ Gemini models natively, Claude on Vertex with Anthropic's adapter, and refuses other publishers", () => {
    expect(adapterFor({ provider: 'gemini' })).toBe(geminiAdapter);
    expect(adapterFor({ provider: 'gemini', model: 'gemini-2.5-flash' }).api).toBe('native');
    expect(adapterFor({ provider: 'vertex_ai', model: 'gemini-2.5-pro' })).toBe(vertexAdapter);
    expect(adapterFor({ provider: 'vertex_ai_beta', model: 'gemini-2.0-flash' })).toBe(vertexAdapter);
    expect(adapterFor({ provider: 'vertex_ai', model: '*' })).toBe(vertexAdapter);
    expect(adapterFor({ provider: 'vertex_ai', model: 'claude-sonnet-4@20250514' }).credentials.kind).toBe(
      'vertex service account',
    );
    expect(() => adapterFor({ provider: 'vertex_ai', model: 'llama-3.1-405b-instruct-maas' })).toThrow(
      UnsupportedProviderError,
    );
    expect(geminiAdapter.streamFraming).toBe('sse');
    expect(vertexAdapter.credentials.kind).toBe('vertex service account');
  });
});
