import { describe, expect, it } from 'vitest';
import {
  listModelNames,
  matchesWildcard,
  pickWeighted,
  resolveGroup,
  upstreamModelFor,
  type RoutableDeployment,
} from './index';

const d = (id: string, modelName: string, weight = 1): RoutableDeployment => ({ id, modelName, weight });
const catalog = (deps: RoutableDeployment[], aliases: Record<string, string> = {}) => {
  const groups = new Map<string, RoutableDeployment[]>();
  for (const x of deps) groups.set(x.modelName, [...(groups.get(x.modelName) ?? []), x]);
  return { groups, aliases };
};

describe('resolveGroup', () => {
  const c = catalog([d('a', 'gpt-4o'), d('b', 'gpt-4o'), d('c', 'openai/*'), d('e', 'openai/gpt-4*'), d('f', '*')], {
    fast: 'gpt-4o',
  });

  it('finds an exact group with all its deployments', () => {
    expect(resolveGroup(c, 'gpt-4o')?.deployments.map((x) => x.id)).toEqual(['a', 'b']);
  });
  it('follows an alias', () => {
    expect(resolveGroup(c, 'fast')?.group).toBe('gpt-4o');
  });
  it('prefers the most specific wildcard', () => {
    expect(resolveGroup(c, 'openai/gpt-4.1')?.group).toBe('openai/gpt-4*');
    expect(resolveGroup(c, 'openai/o3')?.group).toBe('openai/*');
    expect(resolveGroup(c, 'mistral-large')?.group).toBe('*');
  });
  it('returns undefined when nothing serves the model', () => {
    expect(resolveGroup(catalog([d('a', 'gpt-4o')]), 'gpt-5')).toBeUndefined();
  });
  it('lists groups and aliases but not wildcards', () => {
    expect(listModelNames(c)).toEqual(['fast', 'gpt-4o']);
  });
});

describe('matchesWildcard', () => {
  it.each([
    ['a*', 'a', true],
    ['a*c', 'abc', true],
    ['a*c', 'ac', true],
    ['a*c', 'ab', false],
    ['*b*', 'xbx', true],
    ['a*a', 'a', false],
    ['x', 'x', true],
    ['x', 'y', false],
  ])('%s ~ %s = %s', (p, v, want) => expect(matchesWildcard(p, v)).toBe(want));
});

describe('pickWeighted', () => {
  const deps = [d('a', 'g', 2), d('b', 'g', 1), d('z', 'g', 0)];

  it('maps the random point onto cumulative weights', () => {
    expect(pickWeighted(deps, () => 0)?.id).toBe('a');
    expect(pickWeighted(deps, () => 0.66)?.id).toBe('a');
    expect(pickWeighted(deps, () => 0.67)?.id).toBe('b');
    expect(pickWeighted(deps, () => 0.999999)?.id).toBe('b');
  });
  it('never picks a zero-weight or excluded deployment', () => {
    expect(pickWeighted(deps, () => 0, new Set(['a']))?.id).toBe('b');
    expect(pickWeighted(deps, () => 0.5, new Set(['a', 'b']))).toBeUndefined();
  });
  it('balances in proportion to weight', () => {
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 30_000; i++) counts[pickWeighted(deps, rand)!.id]!++;
    expect(counts.a! / counts.b!).toBeGreaterThan(1.85);
    expect(counts.a! / counts.b!).toBeLessThan(2.15);
  });
});

describe('upstreamModelFor (wildcard deployments)', () => {
  const dep = (modelName: string, model: string, provider: string) => ({ modelName, model, provider });
  it.each([
    // model_name, deployment model (provider prefix already split off), provider, requested → upstream
    ['*', '*', 'openai', 'gpt-4o', 'gpt-4o'],
    ['*', '*', 'openai', 'openai/gpt-4o', 'gpt-4o'],
    ['*', '*', 'openai', 'groq/llama-3.3-70b-versatile', 'groq/llama-3.3-70b-versatile'],
    ['openai/*', '*', 'openai', 'openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['groq/*', '*', 'groq', 'groq/llama-3.3-70b-versatile', 'llama-3.3-70b-versatile'],
    ['team-a/*', 'gpt-4o*', 'openai', 'team-a/-mini', 'gpt-4o-mini'],
    ['fo::*:static::*', 'fo::*:static::*', 'openai', 'fo::hi:static::there', 'fo::hi:static::there'],
    ['gpt-4o', 'gpt-4o-2024-08-06', 'openai', 'gpt-4o', 'gpt-4o-2024-08-06'],
    // An alias pointing at a wildcard group does not match it: the requested name goes out.
    ['groq/*', '*', 'groq', 'fast', 'fast'],
  ])('%s → %s/%s, asked %s: sends %s', (modelName, model, provider, requested, want) => {
    expect(upstreamModelFor(dep(modelName, model, provider), requested)).toBe(want);
  });
});

describe('listModelNames with wildcard groups', () => {
  const w = (id: string, modelName: string, model: string, provider: string) => ({
    id,
    modelName,
    model,
    provider,
    weight: 1,
  });
  const known = [
    { name: 'gpt-4o', provider: 'openai' },
    { name: 'gpt-4o-mini', provider: 'openai' },
    { name: 'llama-3.3-70b-versatile', provider: 'groq' },
    { name: 'claude-sonnet-4', provider: 'anthropic' },
  ];
  const groups = (...deps: ReturnType<typeof w>[]) => {
    const m = new Map<string, ReturnType<typeof w>[]>();
    for (const x of deps) m.set(x.modelName, [...(m.get(x.modelName) ?? []), x]);
    return m;
  };

  it("lists a provider wildcard's known models as clients ask for them, never the wildcard", () => {
    const c = { groups: groups(w('g', 'groq/*', '*', 'groq'), w('o', '*', '*', 'openai')), aliases: {} };
    expect(listModelNames(c, known)).toEqual(['gpt-4o', 'gpt-4o-mini', 'groq/llama-3.3-70b-versatile']);
  });

  it('does not list a known model twice when a concrete group serves it, nor models of other providers', () => {
    const c = { groups: groups(w('x', 'gpt-4o', 'gpt-4o', 'openai'), w('o', 'openai/*', '*', 'openai')), aliases: {} };
    expect(listModelNames(c, known)).toEqual(['gpt-4o', 'openai/gpt-4o', 'openai/gpt-4o-mini']);
  });
});
