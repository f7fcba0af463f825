import { describe, expect, it } from 'vitest';
import { ProviderError } from '../provider-adapter';
import { applyParamMap } from './param-map.engine';
import { invalidParam, type DropSettings, type OpenAIChatParams, type ParamMap } from './param-map.types';

/** A wire request shaped like Anthropic's Messages API (only what the sample map writes). */
interface AnthropicLikeWire {
  model: string;
  messages: unknown[];
  max_tokens: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  stream?: boolean;
  tool_choice?:
    | { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean }
    | { type: 'none' }
    | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean };
  metadata?: { user_id?: string };
}

/*
 * A sample map with the shape of Anthropic's rules, to exercise the engine; the real adapter keeps its own
 * map next to its code.
 */
const anthropicLike: ParamMap<AnthropicLikeWire> = {
  provider: 'anthropic',
  unknownFields: 'reject',
  rules: {
    model: { kind: 'external' },
    messages: { kind: 'external' },
    stream: { kind: 'external' },
    stream_options: { kind: 'external' },
    parallel_tool_calls: { kind: 'external' }, // read by the tool_choice transform
    n: {
      kind: 'external',
      check: { validate: (n) => (n > 1 ? 'anthropic returns one choice per request, so n must be 1' : undefined) },
    },
    max_tokens: {
      kind: 'map',
      required: true,
      default: (_req, ctx) => (ctx.model.startsWith('claude-3-haiku') ? 4096 : 8192),
      check: { min: 1, integer: true },
    },
    max_completion_tokens: { kind: 'map', to: 'max_tokens', check: { min: 1, integer: true } },
    temperature: { kind: 'map', check: { min: 0, max: 1 } },
    top_p: { kind: 'map', check: { min: 0, max: 1 } },
    stop: {
      kind: 'map',
      to: 'stop_sequences',
      transform: (stop) => (typeof stop === 'string' ? [stop] : stop),
    },
    tool_choice: {
      kind: 'map',
      to: 'tool_choice',
      transform: (choice, req) => {
        const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
        if (choice === 'none') return { type: 'none' };
        if (choice === 'auto') return { type: 'auto', ...noParallel };
        if (choice === 'required') return { type: 'any', ...noParallel };
        if (choice.type === 'function') return { type: 'tool', name: choice.function.name, ...noParallel };
        return invalidParam(`anthropic has no equivalent of tool_choice type "${choice.type}"`);
      },
    },
    user: { kind: 'map', to: 'metadata', transform: (user) => ({ user_id: user }) },
    presence_penalty: { kind: 'unsupported' },
    frequency_penalty: { kind: 'unsupported' },
    logprobs: { kind: 'unsupported' },
    seed: { kind: 'unsupported' },
    logit_bias: { kind: 'unsupported', hint: 'steer the prompt instead' },
  },
};

const base: OpenAIChatParams = { model: 'claude-sonnet-4', messages: [{ role: 'user', content: 'hi' }] };
const ctx = { model: 'claude-sonnet-4-20250514' };

function apply(extra: Partial<OpenAIChatParams> & Record<string, unknown>, settings?: DropSettings) {
  return applyParamMap(anthropicLike, { ...base, ...extra }, ctx, settings);
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

describe('applyParamMap with an Anthropic-shaped map', () => {
  it('renames, transforms and fills the required max_tokens default', () => {
    const { wire, dropped, passthrough } = apply({
      temperature: 0.2,
      top_p: 1,
      stop: 'END',
      user: 'u-1',
      stream: true,
      n: 1,
      presence_penalty: null,
    });
    expect(wire).toEqual({
      max_tokens: 8192,
      temperature: 0.2,
      top_p: 1,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
    });
    expect(dropped).toEqual([]);
    expect(passthrough).toEqual({});
    expect(applyParamMap(anthropicLike, base, { model: 'claude-3-haiku-20240307' }).wire.max_tokens).toBe(4096);
  });

  it('takes max_tokens or max_completion_tokens, and refuses both at once', () => {
    expect(apply({ max_tokens: 100 }).wire.max_tokens).toBe(100);
    expect(apply({ max_completion_tokens: 200 }).wire.max_tokens).toBe(200);
    const e = rejection(() => apply({ max_tokens: 100, max_completion_tokens: 200 }));
    expect(e.gatewayError).toMatchObject({
      status: 400,
      code: 'conflicting_parameters',
      param: 'max_completion_tokens',
    });
    expect(rejection(() => apply({ max_tokens: 0 })).gatewayError.param).toBe('max_tokens');
    expect(rejection(() => apply({ max_tokens: 10.5 })).gatewayError.message).toContain('integer');
  });

  it('refuses a temperature above 1 with a 400 naming the parameter and the provider, never clamping it', () => {
    const e = rejection(() => apply({ temperature: 1.5 }));
    expect(e.gatewayError).toEqual({
      status: 400,
      type: 'invalid_request_error',
      param: 'temperature',
      code: 'invalid_value',
      kind: 'bad_request',
      message: expect.stringContaining('anthropic') as unknown as string,
    });
    expect(e.gatewayError.message).toContain('must be at most 1, got 1.5');
    expect(e.gatewayError.message).toContain('drop_params');
  });

  it('drops an out-of-range temperature when drop_params is set, and reports it', () => {
    const { wire, dropped } = apply({ temperature: 1.5 }, { dropParams: true });
    expect(wire).not.toHaveProperty('temperature');
    expect(dropped).toEqual([{ param: 'temperature', reason: 'invalid_value', detail: 'must be at most 1, got 1.5' }]);
  });

  it('keeps a stop array as it is', () => {
    expect(apply({ stop: ['a', 'b'] }).wire.stop_sequences).toEqual(['a', 'b']);
  });

  it('refuses n > 1 and accepts n = 1 with nothing on the wire', () => {
    const e = rejection(() => apply({ n: 2 }));
    expect(e.gatewayError).toMatchObject({ status: 400, param: 'n', code: 'invalid_value', kind: 'bad_request' });
    expect(e.gatewayError.message).toContain('one choice per request');
    expect(apply({ n: 1 }).wire).not.toHaveProperty('n');
  });

  it('transforms tool_choice, reading parallel_tool_calls from the whole request', () => {
    expect(apply({ tool_choice: 'auto' }).wire.tool_choice).toEqual({ type: 'auto' });
    expect(apply({ tool_choice: 'required', parallel_tool_calls: false }).wire.tool_choice).toEqual({
      type: 'any',
      disable_parallel_tool_use: true,
    });
    expect(apply({ tool_choice: 'none' }).wire.tool_choice).toEqual({ type: 'none' });
    expect(apply({ tool_choice: { type: 'function', function: { name: 'get_weather' } } }).wire.tool_choice).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    const e = rejection(() =>
      apply({ tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } }),
    );
    expect(e.gatewayError).toMatchObject({ param: 'tool_choice', code: 'invalid_value' });
    expect(
      apply(
        { tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } } },
        { dropParams: true },
      ).dropped,
    ).toMatchObject([{ param: 'tool_choice', reason: 'invalid_value' }]);
  });

  it('refuses an unsupported parameter unless drop_params or additional_drop_params drops it', () => {
    const e = rejection(() => apply({ presence_penalty: 0.5 }));
    expect(e.gatewayError).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      param: 'presence_penalty',
      code: 'unsupported_parameter',
      kind: 'bad_request',
    });
    expect(e.gatewayError.message).toMatch(/^anthropic does not support `presence_penalty`/);
    expect(rejection(() => apply({ logit_bias: { '42': 1 } })).gatewayError.message).toContain('steer the prompt');

    expect(apply({ presence_penalty: 0.5, seed: 7 }, { dropParams: true }).dropped).toEqual([
      { param: 'presence_penalty', reason: 'unsupported' },
      { param: 'seed', reason: 'unsupported' },
    ]);
    const r = apply(
      { presence_penalty: 0.5, temperature: 0.3 },
      { additionalDropParams: ['presence_penalty', 'temperature'] },
    );
    expect(r.dropped).toEqual([
      { param: 'presence_penalty', reason: 'additional_drop_params' },
      { param: 'temperature', reason: 'additional_drop_params' },
    ]);
    expect(r.wire).not.toHaveProperty('temperature');
  });

  it('treats null as not given', () => {
    expect(apply({ temperature: null, stop: null, max_tokens: null }).wire).toEqual({ max_tokens: 8192 });
  });

  it('applies the unknown-field policy: reject (or drop by setting), drop, passthrough', () => {
    const e = rejection(() => apply({ top_k: 5 }));
    expect(e.gatewayError).toMatchObject({
      status: 400,
      param: 'top_k',
      code: 'unknown_parameter',
      kind: 'bad_request',
    });
    expect(apply({ top_k: 5 }, { dropParams: true }).dropped).toEqual([{ param: 'top_k', reason: 'unknown_field' }]);

    const dropping = applyParamMap({ ...anthropicLike, unknownFields: 'drop' }, { ...base, top_k: 5 }, ctx);
    expect(dropping.dropped).toEqual([{ param: 'top_k', reason: 'unknown_field' }]);
    expect(dropping.wire).not.toHaveProperty('top_k');

    const passing = applyParamMap({ ...anthropicLike, unknownFields: 'passthrough' }, { ...base, top_k: 5 }, ctx);
    expect(passing.passthrough).toEqual({ top_k: 5 });
    expect(passing.dropped).toEqual([]);
  });

  it('refuses a request without a required field that has no default', () => {
    const strict: ParamMap<AnthropicLikeWire> = {
      ...anthropicLike,
      rules: { ...anthropicLike.rules, max_tokens: { kind: 'map', required: true } },
    };
    const e = rejection(() => applyParamMap(strict, base, ctx));
    expect(e.gatewayError).toMatchObject({ status: 400, param: 'max_tokens', code: 'missing_required_parameter' });
    expect(e.gatewayError.message).toBe('anthropic requires `max_tokens`. Send it with the request.');
    // max_completion_tokens writes the same wire field, which satisfies it.
    expect(applyParamMap(strict, { ...base, max_completion_tokens: 5 }, ctx).wire.max_tokens).toBe(5);
  });
});

describe('ParamMap typing', () => {
  it('catches misspelt fields, wrong wire types and missing transforms at compile time', () => {
    const maps: Array<ParamMap<AnthropicLikeWire>> = [
      // @ts-expect-error `max_token` is not a field of the OpenAI request
      { provider: 'x', unknownFields: 'reject', rules: { max_token: { kind: 'map' } } },
      {
        provider: 'x',
        unknownFields: 'reject',
        // @ts-expect-error `stop_sequence` is not a field of the wire request
        rules: { stop: { kind: 'map', to: 'stop_sequence', transform: () => [] } },
      },
      // @ts-expect-error string | string[] does not fit stop_sequences (string[]) without a transform
      { provider: 'x', unknownFields: 'reject', rules: { stop: { kind: 'map', to: 'stop_sequences' } } },
      // @ts-expect-error the transform must return the wire field's type
      { provider: 'x', unknownFields: 'reject', rules: { user: { kind: 'map', to: 'metadata', transform: (u) => u } } },
      // @ts-expect-error a default must have the wire field's type
      { provider: 'x', unknownFields: 'reject', rules: { max_tokens: { kind: 'map', default: '1024' } } },
      // @ts-expect-error range checks apply to numbers only
      { provider: 'x', unknownFields: 'reject', rules: { stop: { kind: 'external', check: { max: 1 } } } },
    ];
    expect(maps).toHaveLength(6);
  });
});
