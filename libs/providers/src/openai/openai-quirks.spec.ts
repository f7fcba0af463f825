import { describe, expect, it } from 'vitest';
import { chatInput } from '../chat-input';
import { staticRequestContext } from '../credentials/credentials.types';
import { ProviderError } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { adapterFor } from '../provider.registry';
import { normaliseOpenAIError } from './openai.errors';

const enc = new TextEncoder();

const dep = (provider: string, over: Partial<ProviderDeployment> = {}): ProviderDeployment => ({
  id: `dep-${provider}`,
  modelName: 'm',
  provider,
  model: 'some-model',
  apiKey: 'key-123456789',
  ...over,
});

function build(provider: string, body: Record<string, unknown>, over: Partial<ProviderDeployment> = {}) {
  const d = dep(provider, over);
  const req = adapterFor(d).chat.buildRequest(chatInput(enc.encode(JSON.stringify(body))), d, staticRequestContext(d));
  const text = typeof req.body === 'string' ? req.body : new TextDecoder().decode(req.body);
  return { url: req.url, body: JSON.parse(text) as Record<string, unknown>, dropped: req.dropped };
}

function refusal(fn: () => unknown): { status: number; param: string | null; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProviderError) return e.gatewayError;
    throw e;
  }
  throw new Error('expected a refusal');
}

const messages = [{ role: 'user', content: 'hi' }];

describe('Mistral', () => {
  it('renames seed and max_completion_tokens, maps tool_choice required to any, and never sends stream_options', () => {
    const { url, body } = build('mistral', {
      model: 'm',
      messages,
      seed: 7,
      max_completion_tokens: 64,
      tool_choice: 'required',
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      stream: true,
      stream_options: { include_usage: true },
      safe_prompt: true,
    });
    expect(url).toBe('https://api.mistral.ai/v1/chat/completions');
    expect(body).toEqual({
      model: 'some-model',
      messages,
      random_seed: 7,
      max_tokens: 64,
      tool_choice: 'any',
      tools: [{ type: 'function', function: { name: 'f', parameters: {} } }],
      stream: true,
      safe_prompt: true,
    });
  });

  it('keeps the pass-through path (client bytes, edited) when no quirk applies, without stream_options', () => {
    const { body } = build('mistral', { model: 'm', messages, stream: true, temperature: 0.2 });
    expect(body).toEqual({ model: 'some-model', messages, stream: true, temperature: 0.2 });
  });

  it('refuses what Mistral refuses with a 400 naming the parameter and the provider, unless drop_params', () => {
    const e = refusal(() => build('mistral', { model: 'm', messages, logit_bias: { '1': 2 } }));
    expect(e.status).toBe(400);
    expect(e.param).toBe('logit_bias');
    expect(e.message).toMatch(/mistral does not support `logit_bias`/);
    expect(e.message).toMatch(/drop_params/);

    const dropped = build('mistral', { model: 'm', messages, logit_bias: { '1': 2 }, drop_params: true });
    expect(dropped.body).toEqual({ model: 'some-model', messages });
    expect(dropped.dropped).toEqual([{ param: 'logit_bias', reason: 'unsupported' }]);

    const byDeployment = build(
      'mistral',
      { model: 'm', messages, user: 'u-1' },
      { params: { family: 'openai', model: 'mistral/x', drop_params: true } as ProviderDeployment['params'] },
    );
    expect(byDeployment.body).toEqual({ model: 'some-model', messages });

    const additional = build(
      'mistral',
      { model: 'm', messages, temperature: 0.5, seed: 1 },
      {
        params: {
          family: 'openai',
          model: 'mistral/x',
          additional_drop_params: ['temperature'],
        } as ProviderDeployment['params'],
      },
    );
    expect(additional.body).toEqual({ model: 'some-model', messages, random_seed: 1 });
  });

  it("renames the deployment's own defaults too", () => {
    const { body } = build('mistral', { model: 'm', messages }, { requestDefaults: { seed: 3 } });
    expect(body).toEqual({ model: 'some-model', messages, random_seed: 3 });
  });

  it("reads Mistral's validation errors (message.detail) into one line naming the field", () => {
    const e = normaliseOpenAIError(
      {
        status: 422,
        headers: {},
        body: JSON.stringify({
          object: 'error',
          message: {
            detail: [
              {
                type: 'extra_forbidden',
                loc: ['body', 'stream_options', 'include_usage'],
                msg: 'Extra inputs are not permitted',
                input: true,
              },
            ],
          },
          type: 'invalid_request_error',
          param: null,
          code: null,
        }),
      },
      dep('mistral'),
    );
    expect(e.message).toContain('stream_options.include_usage: Extra inputs are not permitted');
    expect(e.kind).toBe('bad_request');
  });
});

describe('Cerebras', () => {
  it('refuses the fields Cerebras answers 400 to, and tool_choice other than auto/none', () => {
    expect(build('cerebras', { model: 'm', messages, temperature: 0.3 }).url).toBe(
      'https://api.cerebras.ai/v1/chat/completions',
    );
    for (const field of ['frequency_penalty', 'presence_penalty', 'parallel_tool_calls']) {
      const e = refusal(() =>
        build('cerebras', { model: 'm', messages, [field]: field === 'parallel_tool_calls' ? false : 0.5 }),
      );
      expect(e.param).toBe(field);
    }
    const e = refusal(() => build('cerebras', { model: 'm', messages, tool_choice: 'required' }));
    expect(e.message).toMatch(/auto.*none/);
    expect(build('cerebras', { model: 'm', messages, tool_choice: 'auto' }).body['tool_choice']).toBe('auto');
  });
});

describe('Groq and xAI', () => {
  it('Groq: refuses logprobs, logit_bias, top_logprobs and n other than 1', () => {
    for (const [field, value] of [
      ['logprobs', true],
      ['logit_bias', { '1': 1 }],
      ['top_logprobs', 2],
      ['n', 2],
    ] as const) {
      expect(refusal(() => build('groq', { model: 'm', messages, [field]: value })).param).toBe(field);
    }
    expect(build('groq', { model: 'm', messages, n: 1 }).body['n']).toBe(1);
    expect(build('groq', { model: 'm', messages, logprobs: true, drop_params: true }).body).not.toHaveProperty(
      'logprobs',
    );
  });

  it('xAI: its reasoning models refuse penalties, stop and (but grok-3-mini) reasoning_effort; other models take them', () => {
    const grok4 = { model: 'grok-4' };
    expect(refusal(() => build('xai', { model: 'm', messages, stop: ['x'] }, grok4)).message).toMatch(/grok-4/);
    expect(refusal(() => build('xai', { model: 'm', messages, presence_penalty: 1 }, grok4)).param).toBe(
      'presence_penalty',
    );
    expect(refusal(() => build('xai', { model: 'm', messages, reasoning_effort: 'low' }, grok4)).param).toBe(
      'reasoning_effort',
    );
    expect(
      build('xai', { model: 'm', messages, reasoning_effort: 'low' }, { model: 'grok-3-mini' }).body,
    ).toMatchObject({
      reasoning_effort: 'low',
    });
    expect(build('xai', { model: 'm', messages, stop: ['x'] }, { model: 'grok-2-1212' }).body['stop']).toEqual(['x']);
  });
});

describe('local servers', () => {
  it('Ollama: the OpenAI-compatible API under /v1 of the configured address', () => {
    expect(build('ollama', { model: 'm', messages }).url).toBe('http://localhost:11434/v1/chat/completions');
    expect(build('ollama', { model: 'm', messages }, { apiBase: 'http://gpu-box:11434' }).url).toBe(
      'http://gpu-box:11434/v1/chat/completions',
    );
    expect(build('ollama_chat', { model: 'm', messages }, { apiBase: 'http://gpu-box:11434/v1' }).url).toBe(
      'http://gpu-box:11434/v1/chat/completions',
    );
  });

  it('LM Studio: its usual address', () => {
    expect(build('lm_studio', { model: 'm', messages }).url).toBe('http://localhost:1234/v1/chat/completions');
  });
});
