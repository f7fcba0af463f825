import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildRoutingConfig, modelCatalog } from '@switchyard/config';
import { encodeSummary, type RequestSummary } from '@switchyard/contracts';
import { resolveGroup } from '@switchyard/routing';
import { CandidateFilter } from './candidate-filter';

const config = (checks: boolean) =>
  buildRoutingConfig(
    parse(`
model_list:
  - model_name: g
    litellm_params: { model: openai/gpt-4o-mini }
    model_info: { id: mini }
  - model_name: g
    litellm_params: { model: openai/o1 }
    model_info: { id: o1 }
  - model_name: g
    litellm_params: { model: openai/house-model, api_base: "http://127.0.0.1:1/v1" }
    model_info: { id: house, max_input_tokens: 1000, supports_reasoning: true }
  - model_name: "openai/*"
    litellm_params: { model: "openai/*" }
    model_info: { id: wild }
router_settings: { enable_pre_call_checks: ${checks} }
`),
    {},
  );
const summary = (s: Partial<RequestSummary> = {}): RequestSummary => ({
  model: 'g',
  stream: false,
  includeUsage: false,
  tags: [],
  promptChars: 40,
  strip: [],
  ...s,
});

describe('CandidateFilter', () => {
  const c = config(true);
  const filter = new CandidateFilter(c, { latencyMs: (id) => ({ mini: 50, o1: 10 })[id] });
  const group = resolveGroup(modelCatalog(c), 'g')!.deployments;
  const ids = (s: RequestSummary, deps = group, model = 'g') => {
    const r = filter.narrow(deps, 'g', model, s);
    return r.ok ? r.deployments.map((d) => d.id) : r.error.code;
  };

  it('reads the summary only when pre-call checks are on or the request has provider preferences', () => {
    expect(filter.wants(encodeSummary(summary()))).toBe(true);
    const off = new CandidateFilter(config(false), { latencyMs: () => undefined });
    expect(off.wants(encodeSummary(summary()))).toBe(false);
    expect(off.wants(encodeSummary(summary({ provider: { sort: 'price' } })))).toBe(true);
    expect(off.wants(encodeSummary(summary({ user: '"provider": x' })))).toBe(false);
    expect(off.wants('')).toBe(false);
  });

  it('takes context windows and capabilities from the catalogue, and model_info over it', () => {
    expect(ids(summary())).toEqual(['mini', 'o1', 'house']);
    // gpt-4o-mini does not reason (catalogue); house says it does.
    expect(ids(summary({ needs: ['reasoning'] }))).toEqual(['o1', 'house']);
    // house's window is 1000 tokens (model_info); the catalogue's models hold more.
    expect(ids(summary({ promptChars: 8000 }))).toEqual(['mini', 'o1']);
    expect(ids(summary({ promptChars: 8000, needs: ['reasoning'] }))).toEqual(['o1']);
    expect(ids(summary({ promptChars: 4_000_000 }))).toBe('context_length_exceeded');
  });

  it("looks a wildcard deployment's model up by what the request asked for", () => {
    const wild = resolveGroup(modelCatalog(c), 'openai/gpt-4o-mini')!.deployments;
    expect(ids(summary({ needs: ['reasoning'] }), wild, 'openai/gpt-4o-mini')).toBe('model_capability_missing');
    expect(ids(summary({ needs: ['reasoning'] }), wild, 'openai/o1')).toEqual(['wild']);
  });

  it('applies provider preferences after the checks, with their own order', () => {
    const r = filter.narrow(group, 'g', 'g', summary({ provider: { sort: 'latency' } }));
    expect(r.ok && r.deployments.map((d) => d.id)).toEqual(['house', 'o1', 'mini']);
    expect(r.ok && r.choose).toBeTypeOf('function');
    expect(ids(summary({ provider: { sort: 'price', max_price: { prompt: 1 } } }))).toEqual(['mini']);
    expect(ids(summary({ provider: { order: ['house'], allow_fallbacks: false } }))).toEqual(['house']);
    expect(ids(summary({ provider: { only: ['anthropic'] } }))).toBe('no_provider_matches');
  });
});
