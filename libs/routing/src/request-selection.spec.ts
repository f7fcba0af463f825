import { describe, expect, it } from 'vitest';
import {
  applyProviderPreferences,
  chooseAutoRoute,
  compileRoutePattern,
  matchesProviderSlug,
  parseProviderPreferences,
  pickInOrder,
  preCallCheck,
  type AutoRoute,
  type ModelLimits,
  type PreferenceFacts,
  type ProviderPreferences,
  type RequestNeed,
} from './index';

interface D {
  id: string;
  modelName: string;
  weight: number;
  provider: string;
}
const dep = (id: string, provider = 'openai'): D => ({ id, modelName: 'g', weight: 1, provider });

describe('preCallCheck (enable_pre_call_checks)', () => {
  const small = dep('small');
  const big = dep('big');
  const unknown = dep('unknown');
  const limits: Record<string, ModelLimits | undefined> = {
    small: { contextWindow: 1000, lacks: new Set<RequestNeed>(['vision', 'json_schema', 'reasoning']) },
    big: { contextWindow: 100_000, lacks: new Set<RequestNeed>(['json_schema', 'reasoning']) },
    unknown: undefined,
  };
  const of = (d: D) => limits[d.id];

  it('skips a deployment whose context window cannot hold the prompt plus max_tokens', () => {
    const r = preCallCheck([small, big], { promptTokens: 900, maxTokens: 200, needs: [] }, of, 'g');
    expect(r).toEqual({ ok: true, deployments: [big] });
    expect(preCallCheck([small, big], { promptTokens: 900, needs: [] }, of, 'g')).toEqual({
      ok: true,
      deployments: [small, big],
    });
  });
  it('skips a deployment whose model lacks a capability the request needs; unknown models pass', () => {
    const r = preCallCheck([small, big, unknown], { promptTokens: 10, needs: ['vision'] }, of, 'g');
    expect(r).toEqual({ ok: true, deployments: [big, unknown] });
  });
  it('answers context_length_exceeded when no deployment is large enough', () => {
    const r = preCallCheck([small], { promptTokens: 5000, needs: [] }, of, 'g');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.contextWindow).toBe(true);
    expect(r.error).toMatchObject({ status: 400, kind: 'context_window', code: 'context_length_exceeded' });
    expect(r.error.message).toContain('largest 1000 tokens');
  });
  it('names the capability that no deployment has', () => {
    const r = preCallCheck([small, big], { promptTokens: 10, needs: ['tools', 'reasoning'] }, of, 'g');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.contextWindow).toBe(false);
    expect(r.error).toMatchObject({
      status: 400,
      kind: 'not_found',
      param: 'reasoning_effort',
      code: 'model_capability_missing',
    });
    expect(r.error.message).toContain('reasoning');
  });
});

describe('provider preferences', () => {
  const parse = (raw: unknown): ProviderPreferences => {
    const p = parseProviderPreferences(raw);
    if (!p.ok) throw new Error(p.message);
    return p.value;
  };
  it('refuses wrong types and unknown fields, naming the field', () => {
    expect(parseProviderPreferences({ order: 'openai' })).toMatchObject({ ok: false, param: 'provider.order' });
    expect(parseProviderPreferences({ allow_fallbacks: 'no' })).toMatchObject({
      ok: false,
      param: 'provider.allow_fallbacks',
    });
    expect(parseProviderPreferences({ sort: 'cheapest' })).toMatchObject({ ok: false, param: 'provider.sort' });
    expect(parseProviderPreferences({ max_price: { prompt: -1 } })).toMatchObject({
      ok: false,
      param: 'provider.max_price.prompt',
    });
    expect(parseProviderPreferences({ ordr: ['a'] })).toMatchObject({ ok: false, param: 'provider.ordr' });
    expect(parseProviderPreferences([])).toMatchObject({ ok: false, param: 'provider' });
  });
  it("takes OpenRouter's forms: sort objects, string prices, informational fields", () => {
    expect(parse({ sort: { by: 'price', partition: 'model' } }).sort).toBe('price');
    expect(parse({ max_price: { prompt: '1.5', completion: 2 } }).maxPrice).toEqual({ prompt: 1.5, completion: 2 });
    expect(parse({ data_collection: 'deny', zdr: true, quantizations: ['fp8'] })).toEqual({
      allowFallbacks: true,
      requireParameters: false,
    });
  });

  const a = dep('a-1', 'anthropic');
  const o = dep('o-1', 'openai');
  const v = dep('v-1', 'vertex_ai');
  const prices: Record<string, { prompt: number; completion: number } | undefined> = {
    'a-1': { prompt: 3, completion: 15 },
    'o-1': { prompt: 2.5, completion: 10 },
    'v-1': undefined,
  };
  const latency: Record<string, number | undefined> = { 'a-1': 300, 'o-1': 100, 'v-1': 200 };
  const facts: PreferenceFacts<D> = {
    matches: matchesProviderSlug,
    priceOf: (d) => prices[d.id],
    latencyMs: (d) => latency[d.id],
    unsupportedParams: (d) => (d.provider === 'anthropic' ? ['logprobs'] : []),
  };
  const apply = (raw: unknown, deps: D[] = [a, o, v]) => applyProviderPreferences(deps, parse(raw), facts, 'g');
  const ids = (raw: unknown) => {
    const r = apply(raw);
    if (!r.ok) throw new Error(r.error.message);
    return r.deployments.map((d) => d.id);
  };

  it('matches by provider name, by OpenRouter slug and by deployment id', () => {
    expect(ids({ only: ['anthropic'] })).toEqual(['a-1']);
    expect(ids({ only: ['google-vertex', 'o-1'] })).toEqual(['o-1', 'v-1']);
    expect(ids({ ignore: ['OpenAI'] })).toEqual(['a-1', 'v-1']);
  });
  it('orders by `order`, the rest after unless allow_fallbacks is false', () => {
    expect(apply({ order: ['vertex_ai', 'anthropic'] })).toMatchObject({ ok: true, ordered: true });
    expect(ids({ order: ['vertex_ai', 'anthropic'] })).toEqual(['v-1', 'a-1', 'o-1']);
    expect(ids({ order: ['vertex_ai', 'anthropic'], allow_fallbacks: false })).toEqual(['v-1', 'a-1']);
    expect(apply({ order: ['cohere'], allow_fallbacks: false })).toMatchObject({
      ok: false,
      error: { status: 400, param: 'provider.order', code: 'no_provider_matches' },
    });
  });
  it('sorts by price (unknown last) and by latency', () => {
    expect(ids({ sort: 'price' })).toEqual(['o-1', 'a-1', 'v-1']);
    expect(ids({ sort: 'latency' })).toEqual(['o-1', 'v-1', 'a-1']);
    expect(ids({ sort: 'price', allow_fallbacks: false })).toEqual(['o-1']);
    expect(ids({ order: ['anthropic'], sort: 'price' })).toEqual(['a-1', 'o-1', 'v-1']);
  });
  it('keeps deployments priced within max_price; unknown prices never pass; none left is a 400', () => {
    expect(ids({ max_price: { prompt: 3 } })).toEqual(['a-1', 'o-1']);
    expect(ids({ max_price: { prompt: 3, completion: 12 } })).toEqual(['o-1']);
    const r = apply({ max_price: { prompt: 1 } });
    expect(r).toMatchObject({ ok: false, error: { status: 400, param: 'provider.max_price' } });
    if (!r.ok) expect(r.error.message).toContain('prompt at most $1');
  });
  it('require_parameters keeps deployments whose provider takes every parameter sent', () => {
    expect(ids({ require_parameters: true })).toEqual(['o-1', 'v-1']);
    const r = apply({ require_parameters: true }, [a]);
    expect(r).toMatchObject({ ok: false, error: { param: 'provider.require_parameters' } });
    if (!r.ok) expect(r.error.message).toContain('a-1: logprobs');
  });
  it('picks in order, skipping excluded ones', () => {
    expect(pickInOrder([v, a, o], new Set(['v-1']))?.id).toBe('a-1');
    expect(pickInOrder([v], new Set(['v-1']))).toBeUndefined();
  });
});

describe('auto routes', () => {
  const route: AutoRoute = {
    model: 'auto',
    rules: [
      { name: 'vision', model: 'big', images: true },
      { name: 'long', model: 'big', minPromptTokens: 1000 },
      { name: 'code', model: 'coder', pattern: compileRoutePattern('\\b(?:function|class|def)\\b', true) },
      { name: 'vip', model: 'big', tag: 'vip', tools: true },
    ],
    default: 'cheap',
  };
  const facts = (f: Partial<Parameters<typeof chooseAutoRoute>[1]> = {}) => ({
    promptTokens: 10,
    tools: false,
    images: false,
    tags: [],
    lastUserText: () => 'hello',
    ...f,
  });
  it('takes the first rule that matches, else the default', () => {
    expect(chooseAutoRoute(route, facts())).toEqual({ model: 'cheap', rule: 'default' });
    expect(chooseAutoRoute(route, facts({ images: true, promptTokens: 5000 }))).toEqual({
      model: 'big',
      rule: 'vision',
    });
    expect(chooseAutoRoute(route, facts({ promptTokens: 5000 }))).toEqual({ model: 'big', rule: 'long' });
    expect(chooseAutoRoute(route, facts({ lastUserText: () => 'Write a Python DEF please' }))).toEqual({
      model: 'coder',
      rule: 'code',
    });
    expect(chooseAutoRoute(route, facts({ tags: ['vip'] }))).toEqual({ model: 'cheap', rule: 'default' });
    expect(chooseAutoRoute(route, facts({ tags: ['vip'], tools: true }))).toEqual({ model: 'big', rule: 'vip' });
  });
  it('reads the message text only when a pattern rule is reached', () => {
    let reads = 0;
    chooseAutoRoute(route, facts({ images: true, lastUserText: () => (reads++, '') }));
    expect(reads).toBe(0);
    chooseAutoRoute(route, facts({ lastUserText: () => (reads++, '') }));
    expect(reads).toBe(1);
  });
  it('refuses patterns that could backtrack exponentially, back-references and invalid ones', () => {
    expect(() => compileRoutePattern('(a+)+$')).toThrow(/exponential/);
    expect(() => compileRoutePattern('(?:\\w*\\s?)*x')).toThrow(/exponential/);
    expect(() => compileRoutePattern('((ab)*c)+')).toThrow(/exponential/);
    expect(() => compileRoutePattern('(a)\\1')).toThrow(/back-references/);
    expect(() => compileRoutePattern('(')).toThrow(/not a valid/);
    expect(() => compileRoutePattern('x'.repeat(300))).toThrow(/1 to 256/);
    expect(compileRoutePattern('(?:foo|bar)+[(+]\\(a+\\)+').test('foo+(aa))')).toBe(true);
  });
});
