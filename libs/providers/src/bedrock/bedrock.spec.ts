import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayError } from '@switchyard/contracts';
import { describe, expect, it } from 'vitest';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import { canonicalStreamTranslator } from '../canonical/canonical-stream';
import { chatInput } from '../chat-input';
import { awsHeaders, encodeAwsEventStreamMessage, encodeAwsJsonEvent } from '../framing/aws-eventstream.encoder';
import { createFrameDecoder } from '../framing/frame-decoder';
import type { ChatCompletion, ChatCompletionChunk } from '../openai-types';
import { ProviderError, type StreamTranslator } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { adapterFor } from '../provider.registry';
import type { AwsEventStreamMessage } from '../framing/framing.types';
import { bedrockAdapter } from './bedrock.adapter';
import { bedrockConfigProblem, createBedrockCredentials } from './bedrock.credentials';
import { bedrockModel, encodeModelId } from './bedrock.model';
import { buildBedrockRequest, buildConverseRequest, RESPONSE_FORMAT_TOOL } from './bedrock.request';
import { parseBedrockResponse } from './bedrock.response';
import { signBedrockRequest } from './bedrock.signer';
import { BedrockStreamReader } from './bedrock.stream';
import type { ConverseRequest } from './bedrock.types';

const fx = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const json = <T>(name: string): T => JSON.parse(fx(name)) as T;

const SECRET = 'bedrockUnitSecret/0123456789+abcdefghijklmn';
const KEYS = { accessKeyId: 'AKIAUNITTEST00000001', secretAccessKey: SECRET, region: 'us-east-1' };

function dep(
  model = 'us.anthropic.claude-3-5-sonnet-20241022-v2:0',
  params: Record<string, unknown> = {},
  over: Partial<ProviderDeployment> = {},
): ProviderDeployment {
  return {
    id: 'bedrock-1',
    modelName: 'claude',
    provider: 'bedrock',
    model,
    params: {
      family: 'bedrock',
      aws_access_key_id: KEYS.accessKeyId,
      aws_secret_access_key: SECRET,
      aws_region_name: 'us-east-1',
      ...params,
    } as ProviderDeployment['params'],
    ...over,
  };
}

const input = (body: Record<string, unknown>) =>
  chatInput(Buffer.from(JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'Hi' }], ...body })));

const converse = (body: Record<string, unknown>, d: ProviderDeployment = dep()): ConverseRequest =>
  buildConverseRequest(input(body), d);

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (e) {
    if (e instanceof ProviderError) return e.gatewayError;
    throw e;
  }
  throw new Error('expected a ProviderError');
}

describe('bedrock request translation', () => {
  it('translates a full chat request into the golden Converse body', () => {
    expect(buildConverseRequest(chatInput(Buffer.from(fx('chat-request.json'))), dep())).toEqual(
      json('converse-request.json'),
    );
  });

  it('posts to the region endpoint with the model id encoded, Converse or ConverseStream', () => {
    const ctx = { now: () => 0, credentials: { aws: KEYS } };
    const plain = buildBedrockRequest(input({}), dep('anthropic.claude-3-haiku-20240307-v1:0'), ctx);
    expect(plain).toMatchObject({
      method: 'POST',
      url: 'https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
    });
    const arn = 'arn:aws:bedrock:eu-west-1:123456789012:application-inference-profile/a1b2c3';
    const streamed = buildBedrockRequest(input({ stream: true }), dep(`converse/${arn}`), ctx);
    expect(streamed.url).toBe(
      `https://bedrock-runtime.us-east-1.amazonaws.com/model/${encodeURIComponent(arn)}/converse-stream`,
    );
    expect(streamed.headers['accept']).toBe('application/vnd.amazon.eventstream');
    const viaEndpoint = buildBedrockRequest(
      input({}),
      dep('amazon.nova-pro-v1:0', {
        aws_bedrock_runtime_endpoint: 'https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/',
      }),
      ctx,
    );
    expect(viaEndpoint.url).toBe(
      'https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse',
    );
    expect(encodeModelId("a!b'(c)*")).toBe('a%21b%27%28c%29%2A');
  });

  it('knows the model family behind inference profiles, ARNs and base_model', () => {
    expect(bedrockModel({ model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0' })).toMatchObject({
      base: 'anthropic.claude-3-7-sonnet-20250219-v1:0',
      anthropic: true,
      nativeStructuredOutput: false,
      maxOutputTokens: expect.any(Number) as unknown as number,
    });
    expect(bedrockModel({ model: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0' }).nativeStructuredOutput).toBe(
      true,
    );
    expect(bedrockModel({ model: 'meta.llama3-1-70b-instruct-v1:0' }).anthropic).toBe(false);
    expect(
      bedrockModel({
        model: 'arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/x',
        baseModel: 'anthropic.claude-3-haiku-20240307-v1:0',
      }),
    ).toMatchObject({ anthropic: true, base: 'anthropic.claude-3-haiku-20240307-v1:0' });
  });

  it('maps sampling parameters, and refuses values out of Converse range instead of clamping them', () => {
    expect(converse({ max_tokens: 50, temperature: 1, top_p: 0.5, stop: 'END' }).inferenceConfig).toEqual({
      maxTokens: 50,
      temperature: 1,
      topP: 0.5,
      stopSequences: ['END'],
    });
    expect(refusal(() => converse({ temperature: 1.5 }))).toMatchObject({
      status: 400,
      param: 'temperature',
      code: 'invalid_value',
      message: expect.stringContaining('bedrock') as unknown as string,
    });
    expect(converse({ temperature: 1.5 }, dep(undefined, { drop_params: true })).inferenceConfig).toBeUndefined();
    expect(refusal(() => converse({ max_tokens: 5, max_completion_tokens: 6 })).code).toBe('conflicting_parameters');
    expect(refusal(() => converse({ n: 2 })).message).toContain('one choice per request');
    expect(converse({ n: 1 })).not.toHaveProperty('n');
    expect(refusal(() => converse({ stop: [''] })).param).toBe('stop');
  });

  const unsupported = [
    ['seed', 7],
    ['frequency_penalty', 0.5],
    ['presence_penalty', 0.5],
    ['logit_bias', { '1': 2 }],
    ['top_logprobs', 2],
    ['audio', { voice: 'alloy', format: 'mp3' }],
    ['prediction', { type: 'content', content: 'x' }],
    ['web_search_options', {}],
    ['verbosity', 'low'],
    ['prompt_cache_key', 'k'],
    ['safety_identifier', 's'],
    ['functions', [{ name: 'f' }]],
    ['function_call', 'auto'],
  ] as const;
  for (const [param, value] of unsupported) {
    it(`refuses ${param} with a 400 naming it, and drops it with drop_params`, () => {
      const e = refusal(() => converse({ [param]: value }));
      expect(e).toMatchObject({ status: 400, param, code: 'unsupported_parameter', kind: 'bad_request' });
      expect(e.message).toMatch(new RegExp(`^bedrock does not support \`${param}\``));
      expect(converse({ [param]: value, drop_params: true })).toEqual({
        messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      });
    });
  }

  it('lists what drop_params left out on the upstream request, for the translator to log', () => {
    const ctx = { now: () => 0, credentials: { aws: KEYS } };
    const req = buildBedrockRequest(input({ seed: 1, top_k: 3, temperature: 0.5, drop_params: true }), dep(), ctx);
    expect(req.dropped).toEqual([
      { param: 'seed', reason: 'unsupported' },
      { param: 'top_k', reason: 'unknown_field' },
    ]);
    expect(JSON.parse(req.body as string)).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
      inferenceConfig: { temperature: 0.5 },
    });
    expect(buildBedrockRequest(input({}), dep(), ctx)).not.toHaveProperty('dropped');
  });

  it('accepts the neutral values of logprobs, store and modalities, and refuses the others', () => {
    const plain = { messages: [{ role: 'user', content: [{ text: 'Hi' }] }] };
    expect(converse({ logprobs: false, store: false, modalities: ['text'] })).toEqual(plain);
    for (const [param, value] of [
      ['logprobs', true],
      ['store', true],
      ['modalities', ['text', 'audio']],
    ] as const) {
      expect(refusal(() => converse({ [param]: value }))).toMatchObject({ status: 400, param, code: 'invalid_value' });
      expect(converse({ [param]: value, drop_params: true })).toEqual(plain);
    }
  });

  it('refuses unknown fields as Converse does, unless dropped', () => {
    expect(refusal(() => converse({ top_k: 5 }))).toMatchObject({ param: 'top_k', code: 'unknown_parameter' });
    expect(converse({ top_k: 5 }, dep(undefined, { drop_params: true }))).not.toHaveProperty('top_k');
    expect(converse({ seed: 1 }, dep(undefined, { additional_drop_params: ['seed'] }))).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
    });
    // Gateway-only members never reach the map.
    expect(converse({ fallbacks: ['x'], num_retries: 2 })).toEqual({
      messages: [{ role: 'user', content: [{ text: 'Hi' }] }],
    });
  });

  it('maps tool_choice: auto, required, a named function, and none', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    expect(converse({ tools, tool_choice: 'auto' }).toolConfig?.toolChoice).toEqual({ auto: {} });
    expect(converse({ tools, tool_choice: 'required' }).toolConfig?.toolChoice).toEqual({ any: {} });
    expect(
      converse({ tools, tool_choice: { type: 'function', function: { name: 'f' } } }).toolConfig?.toolChoice,
    ).toEqual({
      tool: { name: 'f' },
    });
    expect(converse({ tools }).toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }],
    });
    // "none": Converse has no such choice; without tool history the tools are left out.
    expect(converse({ tools, tool_choice: 'none' })).not.toHaveProperty('toolConfig');
    const history = {
      tools,
      tool_choice: 'none',
      messages: [
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 't1', content: 'done' },
      ],
    };
    expect(refusal(() => converse(history))).toMatchObject({ param: 'tool_choice', code: 'invalid_value' });
    expect(converse({ ...history, drop_params: true }).toolConfig).toEqual({
      tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }],
    });
    expect(
      refusal(() =>
        converse({ tools, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } }),
      ).param,
    ).toBe('tool_choice');
    expect(refusal(() => converse({ tools, parallel_tool_calls: false })).param).toBe('parallel_tool_calls');
    expect(converse({ tools, parallel_tool_calls: true }).toolConfig?.tools).toHaveLength(1);
    expect(refusal(() => converse({ tools: [{ type: 'custom', custom: { name: 'x' } }] })).param).toBe('tools[0]');
    expect(
      refusal(() => converse({ tools: [{ type: 'function', function: { name: RESPONSE_FORMAT_TOOL } }] })).message,
    ).toContain('reserved');
  });

  it('passes strict tools through, and cache points after marked tools', () => {
    const tools = [
      {
        type: 'function',
        function: { name: 'f', description: 'F', parameters: { type: 'object' }, strict: true },
        cache_control: { type: 'ephemeral' },
      },
    ];
    expect(converse({ tools }).toolConfig?.tools).toEqual([
      { toolSpec: { name: 'f', description: 'F', inputSchema: { json: { type: 'object' } }, strict: true } },
      { cachePoint: { type: 'default' } },
    ]);
  });

  it('maps reasoning_effort to Anthropic thinking with the catalogue maximum as maxTokens', () => {
    const d = dep('us.anthropic.claude-3-7-sonnet-20250219-v1:0');
    const out = converse({ reasoning_effort: 'medium' }, d);
    expect(out.additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(out.inferenceConfig?.maxTokens).toBe(bedrockModel(d).maxOutputTokens);
    expect(converse({ reasoning_effort: 'high', max_tokens: 5000 }, d).inferenceConfig).toEqual({ maxTokens: 5000 });
    expect(converse({ reasoning_effort: 'low' }, d).additionalModelRequestFields).toEqual({
      thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    expect(refusal(() => converse({ reasoning_effort: 'high', max_tokens: 4096 }, d))).toMatchObject({
      param: 'max_tokens',
    });
    expect(
      converse({ thinking: { type: 'enabled', budget_tokens: 3000 }, max_tokens: 8000 }, d)
        .additionalModelRequestFields,
    ).toEqual({
      thinking: { type: 'enabled', budget_tokens: 3000 },
    });
    expect(refusal(() => converse({ thinking: { type: 'enabled', budget_tokens: 10 } }, d)).param).toBe('thinking');
    expect(
      refusal(() => converse({ reasoning_effort: 'low', thinking: { type: 'enabled', budget_tokens: 2000 } }, d)).code,
    ).toBe('conflicting_parameters');
    const llama = dep('meta.llama3-1-70b-instruct-v1:0');
    expect(refusal(() => converse({ reasoning_effort: 'low' }, llama))).toMatchObject({
      param: 'reasoning_effort',
      code: 'invalid_value',
    });
    expect(converse({ reasoning_effort: 'low', drop_params: true }, llama)).not.toHaveProperty(
      'additionalModelRequestFields',
    );
  });

  it('gives json_schema natively to Claude 4.5, through a forced tool to older models', () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    };
    const rf = { type: 'json_schema', json_schema: { name: 'place', schema, strict: true } };
    expect(
      converse({ response_format: rf }, dep('global.anthropic.claude-sonnet-4-5-20250929-v1:0')).outputConfig,
    ).toEqual({
      textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'place' } } },
    });
    const forced = converse({ response_format: rf });
    expect(forced.toolConfig?.toolChoice).toEqual({ tool: { name: RESPONSE_FORMAT_TOOL } });
    expect(forced.toolConfig?.tools).toEqual([
      {
        toolSpec: {
          name: RESPONSE_FORMAT_TOOL,
          description: expect.stringContaining('(place)') as unknown as string,
          inputSchema: { json: schema },
        },
      },
    ]);
    expect(converse({ response_format: { type: 'json_object' } }).toolConfig?.tools[0]).toMatchObject({
      toolSpec: { name: RESPONSE_FORMAT_TOOL, inputSchema: { json: { type: 'object' } } },
    });
    expect(converse({ response_format: { type: 'text' } })).not.toHaveProperty('toolConfig');
    // Beside the client's tools, the model must call one of them (its answer or a real tool).
    const both = converse({ response_format: rf, tools: [{ type: 'function', function: { name: 'f' } }] });
    expect(both.toolConfig?.toolChoice).toEqual({ any: {} });
    expect(both.toolConfig?.tools).toHaveLength(2);
    // A forced tool and extended thinking do not go together on Anthropic models.
    expect(
      refusal(() =>
        converse({ response_format: rf, reasoning_effort: 'low' }, dep('us.anthropic.claude-3-7-sonnet-20250219-v1:0')),
      ),
    ).toMatchObject({
      param: 'response_format',
    });
    expect(refusal(() => converse({ response_format: { type: 'xml' } })).param).toBe('response_format');
  });

  it('records user and string metadata as requestMetadata, and maps service_tier', () => {
    expect(converse({ user: 'u-1', metadata: { team: 'blue', tags: ['x'] } }).requestMetadata).toEqual({
      team: 'blue',
      user: 'u-1',
    });
    expect(refusal(() => converse({ user: 'ünicode!' })).param).toBe('user');
    expect(converse({ service_tier: 'flex' }).serviceTier).toEqual({ type: 'flex' });
    expect(converse({ service_tier: 'auto' })).not.toHaveProperty('serviceTier');
    expect(refusal(() => converse({ service_tier: 'scale' })).param).toBe('service_tier');
  });

  it('applies litellm_params request defaults and extra_body', () => {
    const d = dep(
      undefined,
      { extra_body: { guardrailConfig: { guardrailIdentifier: 'g1', guardrailVersion: '1' }, top_k: 40 } },
      {
        requestDefaults: { temperature: 0.2, max_tokens: 300 },
      },
    );
    expect(converse({ max_tokens: 10 }, d)).toMatchObject({
      inferenceConfig: { maxTokens: 10, temperature: 0.2 },
      guardrailConfig: { guardrailIdentifier: 'g1', guardrailVersion: '1' },
      additionalModelRequestFields: { top_k: 40 },
    });
  });

  it('takes images as base64 data URLs only, and refuses what Converse cannot take', () => {
    const img = (url: string) => ({
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
    });
    expect(converse(img('data:image/jpeg;base64,/9j/4AAQ')).messages[0]!.content).toEqual([
      { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } },
    ]);
    expect(converse(img('data:image/webp;base64,UklGRg==')).messages[0]!.content[0]).toMatchObject({
      image: { format: 'webp' },
    });
    const url = refusal(() => converse(img('https://example.com/cat.png')));
    expect(url).toMatchObject({ status: 400, param: 'messages[0].content[0]' });
    expect(url.message).toContain('base64 data URL');
    expect(refusal(() => converse(img('data:image/bmp;base64,Qk0='))).message).toContain('png, jpeg, gif and webp');
    expect(
      refusal(() =>
        converse({
          messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }],
        }),
      ).code,
    ).toBe('unsupported_content');
    expect(refusal(() => converse({ messages: [{ role: 'function', name: 'f', content: 'x' }] })).message).toContain(
      'role "function"',
    );
    expect(
      refusal(() =>
        converse({
          messages: [
            { role: 'user', content: 'x' },
            {
              role: 'assistant',
              tool_calls: [{ id: 'a', type: 'function', function: { name: 'f', arguments: '{oops' } }],
            },
          ],
        }),
      ).message,
    ).toContain('not JSON');
  });

  it('merges consecutive turns of one role and collects system messages in order', () => {
    const out = converse({
      messages: [
        { role: 'system', content: 'one' },
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'text', text: 'b' }] },
        { role: 'developer', content: 'two' },
        { role: 'assistant', content: 'c' },
        { role: 'assistant', content: 'd' },
      ],
    });
    expect(out.system).toEqual([{ text: 'one' }, { text: 'two' }]);
    expect(out.messages).toEqual([
      { role: 'user', content: [{ text: 'a' }, { text: 'b' }] },
      { role: 'assistant', content: [{ text: 'c' }, { text: 'd' }] },
    ]);
  });

  it('sends redacted reasoning back as redactedContent', () => {
    const out = converse({
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: 'a',
          thinking_blocks: [{ type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix' }],
        },
        { role: 'user', content: 'more' },
      ],
    });
    expect(out.messages[1]!.content[0]).toEqual({ reasoningContent: { redactedContent: 'EmwKAhgBEgy3va3pzix' } });
  });
});

/** An independent SigV4 (AWS's documented algorithm, node:crypto only), to check the signer against. */
function referenceSignature(
  req: { url: string; headers: Record<string, string>; body: string },
  secret: string,
  region: string,
): string {
  const url = new URL(req.url);
  const amzDate = req.headers['x-amz-date']!;
  const day = amzDate.slice(0, 8);
  const names = Object.keys(req.headers)
    .map((h) => h.toLowerCase())
    .filter((h) => h !== 'authorization')
    .sort();
  const canonicalHeaders = names.map((h) => `${h}:${req.headers[h]!.trim()}\n`).join('');
  const path = url.pathname
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const canonical = ['POST', path, '', canonicalHeaders, names.join(';'), sha(req.body)].join('\n');
  const scope = `${day}/${region}/bedrock/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha(canonical)].join('\n');
  const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), region), 'bedrock'), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex');
}

describe('bedrock SigV4 signing', () => {
  it('signs with the context clock, matching the documented algorithm', async () => {
    const ctx = { now: () => Date.UTC(2025, 0, 2, 3, 4, 5), credentials: { aws: KEYS } };
    const built = bedrockAdapter.chat.buildRequest(input({}), dep('anthropic.claude-3-haiku-20240307-v1:0'), ctx);
    const signed = await bedrockAdapter.chat.signRequest!(built, ctx);
    expect(signed.headers['x-amz-date']).toBe('20250102T030405Z');
    expect(signed.headers['host']).toBe('bedrock-runtime.us-east-1.amazonaws.com');
    expect(signed.headers['x-amz-content-sha256']).toBe(
      createHash('sha256')
        .update(built.body as string)
        .digest('hex'),
    );
    const auth = signed.headers['authorization']!;
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAUNITTEST00000001\/20250102\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    const { authorization: _auth, ...rest } = signed.headers;
    expect(auth.slice(-64)).toBe(
      referenceSignature({ url: built.url, headers: rest, body: built.body as string }, SECRET, 'us-east-1'),
    );
    // Never the secret itself.
    expect(JSON.stringify(signed)).not.toContain(SECRET);
  });

  it('adds the session token of temporary keys, signed', async () => {
    const signed = await signBedrockRequest(
      {
        url: 'http://127.0.0.1:9/model/m/converse',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
      { ...KEYS, sessionToken: 'FwoGZXIvYXdzEJr//////////wEaDFakeToken' },
      Date.UTC(2025, 0, 2),
    );
    expect(signed.headers['x-amz-security-token']).toBe('FwoGZXIvYXdzEJr//////////wEaDFakeToken');
    expect(signed.headers['host']).toBe('127.0.0.1:9');
    expect(signed.headers['authorization']).toContain('x-amz-security-token');
  });
});

describe('bedrock credentials', () => {
  const resolve = (d: ProviderDeployment, env: Record<string, string> = {}) =>
    createBedrockCredentials(env).resolve(d, 0);
  const bare = (params: Record<string, unknown> = {}) =>
    dep(undefined, {
      aws_access_key_id: undefined,
      aws_secret_access_key: undefined,
      aws_region_name: undefined,
      ...params,
    });

  it('reads litellm_params, then the AWS environment variables', () => {
    expect(resolve(dep())).toEqual({ aws: KEYS });
    expect(
      resolve(bare(), {
        AWS_ACCESS_KEY_ID: 'AKIAENV',
        AWS_SECRET_ACCESS_KEY: 'envsecret',
        AWS_SESSION_TOKEN: 'tok',
        AWS_DEFAULT_REGION: 'eu-west-3',
      }),
    ).toEqual({
      aws: { accessKeyId: 'AKIAENV', secretAccessKey: 'envsecret', sessionToken: 'tok', region: 'eu-west-3' },
    });
    expect(
      resolve(bare({ aws_region_name: 'ap-south-1' }), {
        AWS_ACCESS_KEY_ID: 'A',
        AWS_SECRET_ACCESS_KEY: 'B',
        AWS_REGION: 'us-west-2',
      }),
    ).toMatchObject({
      aws: { region: 'ap-south-1' },
    });
  });

  it('names the missing setting, never a value', () => {
    expect(() => resolve(bare({ aws_region_name: 'us-east-1' }))).toThrow(
      /no AWS access key: set litellm_params.aws_access_key_id/,
    );
    expect(() => resolve(bare({ aws_access_key_id: 'AKIAX', aws_region_name: 'us-east-1' }))).toThrow(
      /not aws_secret_access_key/,
    );
    expect(() => resolve(bare(), { AWS_ACCESS_KEY_ID: 'A', AWS_SECRET_ACCESS_KEY: 'B' })).toThrow(
      /no AWS region: set litellm_params.aws_region_name/,
    );
    expect(() => resolve(bare(), { AWS_ACCESS_KEY_ID: 'AKIAENV' })).toThrow(/AWS_SECRET_ACCESS_KEY is not/);
  });

  it('refuses STS settings, api_key and other routes when the config loads', () => {
    expect(bedrockConfigProblem(dep(undefined, { aws_role_name: 'arn:aws:iam::1:role/x' }))).toMatch(
      /aws_role_name is not supported/,
    );
    expect(() => adapterFor(dep(undefined, { aws_web_identity_token: 't', aws_profile_name: 'p' }))).toThrow(
      /aws_profile_name, aws_web_identity_token are not supported/,
    );
    expect(() => adapterFor({ ...dep(), apiKey: 'bedrock-api-key' })).toThrow(/api_key/);
    expect(() => adapterFor(dep('invoke/anthropic.claude-v2'))).toThrow(/bedrock\/invoke\/ model route/);
    expect(() => adapterFor(dep(undefined, { aws_region_name: 'Mars' }))).toThrow(/not an AWS region/);
    expect(adapterFor(dep())).toBe(bedrockAdapter);
  });
});

interface Normalised {
  id: string;
  created: number;
  [k: string]: unknown;
}
const stable = (c: ChatCompletion | ChatCompletionChunk): Normalised => ({ ...c, id: 'ID', created: 0 });

describe('bedrock responses', () => {
  const parse = (body: string, model = 'claude') => {
    const r = parseBedrockResponse(body, input({ model }));
    return { ...r, completion: JSON.parse(r.body!) as ChatCompletion };
  };

  it('turns a reasoning answer into content, reasoning_content, signed thinking_blocks and usage', () => {
    const r = parse(fx('converse-response-reasoning.json'));
    expect(stable(r.completion)).toEqual({
      id: 'ID',
      object: 'chat.completion',
      created: 0,
      model: 'claude',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'The capital of France is Paris.',
            refusal: null,
            reasoning_content: 'The user asks for the capital of France. That is Paris.',
            thinking_blocks: [
              {
                type: 'thinking',
                thinking: 'The user asks for the capital of France. That is Paris.',
                signature: 'ErcBCkgIAhABGAIiQMuHpdEdlVYbmJDKnLNZbSnbKxZmOT1m3Sg1YtGaLF5x',
              },
            ],
            annotations: [],
          },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      usage: {
        prompt_tokens: 1242,
        completion_tokens: 96,
        total_tokens: 1338,
        prompt_tokens_details: { cached_tokens: 1000 },
        completion_tokens_details: { reasoning_tokens: 0 },
        cache_creation_input_tokens: 200,
      },
    });
    expect(r.usage).toEqual({
      promptTokens: 1242,
      completionTokens: 96,
      cachedTokens: 1000,
      cacheWriteTokens: 200,
      reasoningTokens: 0,
    });
    expect(r.completion.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
  });

  it('turns tool uses into tool_calls with JSON arguments', () => {
    const r = parse(fx('converse-response-tool-use.json'));
    expect(r.completion.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: "I'll check both.",
        tool_calls: [
          {
            id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
          },
          {
            id: 'tooluse_9dkW0Vv1SOuXjGo2dR7mBA',
            type: 'function',
            function: { name: 'get_time', arguments: '{"tz":"Europe/Paris","label":"Zürich → 東京"}' },
          },
        ],
      },
    });
    expect(r.usage).toMatchObject({ promptTokens: 420, completionTokens: 91 });
  });

  it('gives the response_format tool input as content, finishing with stop', () => {
    const body = JSON.stringify({
      output: {
        message: {
          role: 'assistant',
          content: [{ toolUse: { toolUseId: 't', name: RESPONSE_FORMAT_TOOL, input: { city: 'Paris' } } }],
        },
      },
      stopReason: 'tool_use',
      usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 },
    });
    const c = parse(body).completion.choices[0]!;
    expect(c.message.content).toBe('{"city":"Paris"}');
    expect(c.message.tool_calls).toBeUndefined();
    expect(c.finish_reason).toBe('stop');
  });

  it('maps every stop reason', () => {
    const finish = (stopReason: string) =>
      parse(
        JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'x' }] } }, stopReason, usage: {} }),
      ).completion.choices[0]!.finish_reason;
    expect(finish('end_turn')).toBe('stop');
    expect(finish('stop_sequence')).toBe('stop');
    expect(finish('max_tokens')).toBe('length');
    expect(finish('model_context_window_exceeded')).toBe('length');
    expect(finish('guardrail_intervened')).toBe('content_filter');
    expect(finish('content_filtered')).toBe('content_filter');
    expect(() => finish('malformed_tool_use')).toThrow(ProviderError);
  });

  it('refuses bodies that are not a Converse answer as the upstream failing', () => {
    expect(refusal(() => parse('<html>oops</html>'))).toMatchObject({
      status: 502,
      code: 'upstream_bad_response',
      retryable: true,
    });
    expect(refusal(() => parse('{"message":"x"}'))).toMatchObject({ status: 502, code: 'upstream_bad_response' });
  });
});

type StreamEvent = [string, Record<string, unknown>];
const streamEvents = json<StreamEvent[]>('converse-stream-tool-use.json');
const encodeStream = (events: StreamEvent[]): Uint8Array =>
  Buffer.concat(events.map(([type, payload]) => encodeAwsJsonEvent(type, payload)));

function translator(includeUsage: boolean): StreamTranslator<AwsEventStreamMessage> {
  return canonicalStreamTranslator(
    { includeUsage },
    new BedrockStreamReader({ id: 'chatcmpl-test', model: 'claude', created: 1700000000 }),
  );
}

/** Decodes `pieces` as the translator does (the framing's decoder, then the adapter's translator). */
function run(pieces: Uint8Array[], includeUsage = true): { text: string; t: StreamTranslator<AwsEventStreamMessage> } {
  const decoder = createFrameDecoder('aws-eventstream');
  const t = translator(includeUsage);
  let text = '';
  for (const p of pieces) for (const e of decoder.push(p)) text += t.push(e);
  for (const e of decoder.end()) text += t.push(e);
  text += t.end();
  return { text, t };
}

const chunks = (sse: string): ChatCompletionChunk[] =>
  sse
    .split('\n\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as ChatCompletionChunk);

describe('bedrock stream', () => {
  const bytes = encodeStream(streamEvents);

  it('turns a ConverseStream into the golden OpenAI chunks', () => {
    const { text, t } = run([bytes]);
    expect(text).toBe(fx('converse-stream-tool-use.expected.sse'));
    expect(t.state).toMatchObject({
      done: true,
      finished: true,
      contentSeen: true,
      error: undefined,
      usage: { promptTokens: 620, completionTokens: 91, cachedTokens: 150, cacheWriteTokens: 50, reasoningTokens: 0 },
    });
  });

  it('gives the same output for the stream split at any byte boundary', () => {
    const whole = run([bytes]).text;
    for (let seed = 1; seed <= 200; seed++) {
      expect(run(splitAtRandom(bytes, seed, 1 + (seed % 29))).text, `seed ${seed}`).toBe(whole);
    }
  });

  it('orders role, reasoning, text, tool-call start then arguments, finish; usage only when asked', () => {
    const out = chunks(run([bytes], false).text);
    expect(out[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(out.some((c) => c.usage !== undefined)).toBe(false);
    const deltas = out.map((c) => c.choices[0]?.delta ?? {});
    const firstTool = deltas.findIndex((d) => d.tool_calls !== undefined);
    expect(deltas[firstTool]!.tool_calls).toEqual([
      {
        index: 0,
        id: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
    ]);
    const args = (i: number) =>
      deltas
        .flatMap((d) => d.tool_calls?.filter((c) => c.index === i).map((c) => c.function?.arguments ?? '') ?? [])
        .join('');
    expect(JSON.parse(args(0))).toEqual({ city: 'Paris' });
    expect(JSON.parse(args(1))).toEqual({ tz: 'Europe/Paris', label: 'Zürich → 東京' });
    expect(out.at(-1)!.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' });
    const withUsage = chunks(run([bytes], true).text);
    expect(withUsage.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 620, completion_tokens: 91 } });
  });

  it('ends with the error of an exception message, with its kind', () => {
    const head = streamEvents.slice(0, 6);
    const withException = (type: string, body: unknown) =>
      run([
        encodeStream(head),
        encodeAwsEventStreamMessage({
          headers: awsHeaders.exception(type),
          payload: Buffer.from(JSON.stringify(body)),
        }),
      ]).t.state;
    expect(
      withException('throttlingException', { message: 'Too many tokens, please wait before trying again.' }).error,
    ).toMatchObject({
      status: 429,
      kind: 'rate_limited',
      message: 'Too many tokens, please wait before trying again.',
    });
    expect(
      withException('modelStreamErrorException', { message: 'boom', originalStatusCode: 500 }).error,
    ).toMatchObject({
      status: 502,
      kind: 'upstream_5xx',
    });
    expect(
      withException('validationException', { message: 'Input is too long for requested model.' }).error,
    ).toMatchObject({
      status: 400,
      kind: 'context_window',
      code: 'context_length_exceeded',
    });
    expect(withException('serviceUnavailableException', { message: 'x' }).error).toMatchObject({
      status: 503,
      kind: 'overloaded',
    });
    expect(withException('internalServerException', { message: 'x' }).error).toMatchObject({
      status: 502,
      kind: 'upstream_5xx',
    });
  });

  it('reports a stream cut before its stop as truncated, and one without metadata after its stop as complete', () => {
    const cut = run([encodeStream(streamEvents.slice(0, 7))]).t.state;
    expect(cut.error).toMatchObject({ code: 'upstream_stream_truncated', status: 502 });
    const noMetadata = run([encodeStream(streamEvents.slice(0, -1))]).t.state;
    expect(noMetadata).toMatchObject({ done: true, error: undefined, usage: undefined });
    // A body cut inside a message is the decoder's to report.
    const partial = encodeStream(streamEvents.slice(0, 3));
    expect(() => run([partial.subarray(0, partial.length - 5)])).toThrow(/AWS event stream message/);
  });

  it('gives the response_format tool input as content deltas and finishes with stop', () => {
    const { text } = run([
      encodeStream([
        ['messageStart', { role: 'assistant' }],
        [
          'contentBlockStart',
          { contentBlockIndex: 0, start: { toolUse: { toolUseId: 't', name: RESPONSE_FORMAT_TOOL } } },
        ],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '{"a":' } } }],
        ['contentBlockDelta', { contentBlockIndex: 0, delta: { toolUse: { input: '1}' } } }],
        ['contentBlockStop', { contentBlockIndex: 0 }],
        ['messageStop', { stopReason: 'tool_use' }],
        ['metadata', { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 } }],
      ]),
    ]);
    const out = chunks(text);
    expect(out.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('{"a":1}');
    expect(out.some((c) => c.choices[0]?.delta.tool_calls !== undefined)).toBe(false);
    expect(out.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('is what the adapter builds for the translator', () => {
    const t = bedrockAdapter.chat.createStreamTranslator({
      includeUsage: false,
      request: { id: 'chatcmpl-x', model: 'm', n: 1 },
    });
    const d = createFrameDecoder(bedrockAdapter.streamFraming);
    let text = '';
    for (const e of d.push(bytes)) text += t.push(e);
    text += t.end();
    expect(chunks(text)[0]).toMatchObject({ id: 'chatcmpl-x', model: 'm', object: 'chat.completion.chunk' });
  });
});

describe('bedrock errors', () => {
  type Case = {
    name: string;
    status: number;
    headers: Record<string, string>;
    body: string;
    expect: Partial<GatewayError>;
  };
  for (const c of json<Case[]>('errors.json')) {
    it(`normalises ${c.name}`, () => {
      const e = bedrockAdapter.normaliseError({ status: c.status, headers: c.headers, body: c.body }, dep());
      expect(e).toMatchObject(c.expect);
      expect(e.message.length).toBeGreaterThan(10);
      if (c.status === 400 && c.expect.status === 400) expect(e.message).toBe(JSON.parse(c.body).message);
    });
  }

  it('keeps secrets and account ids out of the messages it passes on', () => {
    const body = JSON.stringify({
      message: `Bad request for arn:aws:bedrock:us-east-1:123456789012:inference-profile/x with key ${KEYS.accessKeyId} and ${SECRET}`,
    });
    const e = bedrockAdapter.normaliseError(
      { status: 400, headers: { 'x-amzn-errortype': 'ValidationException' }, body },
      dep(),
    );
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain(KEYS.accessKeyId);
    expect(e.message).not.toContain('123456789012');
    expect(e.message).toContain('arn:aws:bedrock:us-east-1:***:inference-profile/x');
  });
});
