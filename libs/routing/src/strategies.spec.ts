import { describe, expect, it } from 'vitest';
import { lowestOrder, pickDeployment } from './deployment-picker';
import { pickLowestCost } from './lowest-cost';
import { estimateTokens, fitsMinuteLimits, minuteEnd, pickLowestUsage, type LimitedDeployment } from './lowest-usage';
import type { RoutableDeployment } from './model-resolver';
import { OutcomeWindow } from './outcome-window';
import { pickWeighted, shuffleWeights } from './weighted-pick';

const d = (id: string, extra: Partial<LimitedDeployment> = {}): LimitedDeployment => ({
  id,
  modelName: 'g',
  weight: 1,
  ...extra,
});
const never = { cooldownUntil: () => 0 };

describe('simple-shuffle weights (shuffleWeights)', () => {
  it('weighs by weight when any deployment of the group sets one; the others weigh 0', () => {
    expect(shuffleWeights([{ weight: 3, rpm: 10 }, { rpm: 100 }, { weight: 1 }])).toEqual([3, 0, 1]);
  });
  it('else by rpm, else by tpm, else evenly', () => {
    expect(shuffleWeights([{ rpm: 100, tpm: 1 }, { rpm: 300 }, { tpm: 5 }])).toEqual([100, 300, 0]);
    expect(shuffleWeights([{ tpm: 1000 }, { tpm: 3000 }])).toEqual([1000, 3000]);
    expect(shuffleWeights([{}, {}])).toEqual([1, 1]);
  });
  it('picks in proportion to rpm', () => {
    const deps = [d('a', { shuffleWeight: 100 }), d('b', { shuffleWeight: 300 })];
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 20_000; i++) counts[pickWeighted(deps, rand)!.id]!++;
    expect(counts.b! / counts.a!).toBeGreaterThan(2.8);
    expect(counts.b! / counts.a!).toBeLessThan(3.2);
  });
  it('serves from a deployment of shuffle weight 0 only when no weighted one can; never from weight 0', () => {
    const deps = [d('a', { shuffleWeight: 10 }), d('b', { shuffleWeight: 0 }), d('z', { weight: 0, shuffleWeight: 0 })];
    for (const r of [0, 0.5, 0.99]) expect(pickWeighted(deps, () => r)?.id).toBe('a');
    expect(pickWeighted(deps, () => 0.99, new Set(['a']))?.id).toBe('b');
    expect(pickWeighted(deps, () => 0.5, new Set(['a', 'b']))).toBeUndefined();
  });
});

describe('order (lowestOrder)', () => {
  const deps = [d('a', { order: 2 }), d('b', { order: 1 }), d('c', { order: 1 }), d('u')];
  it('keeps the lowest order not excluded; unset orders last', () => {
    expect(lowestOrder(deps, new Set()).map((x) => x.id)).toEqual(['b', 'c']);
    expect(lowestOrder(deps, new Set(['b', 'c'])).map((x) => x.id)).toEqual(['a']);
    expect(lowestOrder(deps, new Set(['a', 'b', 'c'])).map((x) => x.id)).toEqual(['u']);
    expect(lowestOrder([d('x'), d('y')], new Set(['x'])).map((x) => x.id)).toEqual(['x', 'y']);
  });
  it('a retry moves to the next order only when the first order is tried or cooling down', () => {
    const view = { cooldownUntil: (id: string) => (id === 'b' ? 100 : 0) };
    expect(pickDeployment(deps, view, 0, new Set(), () => 0)).toMatchObject({ deployment: { id: 'c' } });
    expect(pickDeployment(deps, view, 0, new Set(['c']), () => 0)).toMatchObject({ deployment: { id: 'a' } });
  });
});

describe('usage-based-routing-v2', () => {
  const usage = (m: Record<string, [number, number]>) => ({
    minuteUsage: (id: string) => ({ requests: m[id]?.[0] ?? 0, tokens: m[id]?.[1] ?? 0 }),
  });
  const deps = [d('a', { rpm: 10, tpm: 1000 }), d('b', { rpm: 5 }), d('c', { tpm: 500 })];
  it('takes the deployment that used the fewest tokens this minute', () => {
    expect(pickLowestUsage(deps, usage({ a: [1, 300], b: [1, 200], c: [1, 400] }), 10)?.id).toBe('b');
  });
  it('skips a deployment this request would take past its rpm or tpm', () => {
    expect(pickLowestUsage(deps, usage({ a: [1, 300], b: [5, 0], c: [0, 495] }), 10)?.id).toBe('a');
    expect(pickLowestUsage(deps, usage({ a: [10, 0], b: [5, 0], c: [0, 491] }), 10)).toBeUndefined();
    expect(fitsMinuteLimits(d('x', { rpm: 1 }), { requests: 0, tokens: 0 }, 10)).toBe(true);
    expect(fitsMinuteLimits(d('x', { tpm: 10 }), { requests: 0, tokens: 1 }, 10)).toBe(false);
    expect(fitsMinuteLimits(d('x'), { requests: 10 ** 9, tokens: 10 ** 12 }, 10)).toBe(true);
  });
  it('breaks token ties by requests, then at random', () => {
    const u = usage({ a: [3, 100], b: [2, 100], c: [2, 100] });
    expect(pickLowestUsage(deps, u, 1, () => 0)?.id).toBe('b');
    expect(pickLowestUsage(deps, u, 1, () => 0.99)?.id).toBe('c');
  });
  it('makes pickDeployment report the group at its limits, not cooling down', () => {
    const u = usage({ a: [10, 0], b: [5, 0], c: [0, 500] });
    const choose = (ds: readonly LimitedDeployment[], ex: ReadonlySet<string>) =>
      pickLowestUsage(ds, u, 1, Math.random, ex);
    expect(pickDeployment(deps, never, 5, new Set(), Math.random, choose)).toEqual({
      ok: false,
      availableAt: 5,
      atLimits: true,
    });
  });
  it('minute arithmetic', () => {
    expect(minuteEnd(0)).toBe(60_000);
    expect(minuteEnd(59_999)).toBe(60_000);
    expect(minuteEnd(60_000)).toBe(120_000);
    expect(estimateTokens(0)).toBe(1);
    expect(estimateTokens(9)).toBe(3);
  });
});

describe('cost-based-routing', () => {
  const deps: RoutableDeployment[] = [d('pricey'), d('cheap1'), d('cheap2'), d('unknown'), d('off', { weight: 0 })];
  const price: Record<string, number | undefined> = { pricey: 10, cheap1: 1, cheap2: 1, off: 0 };
  const costOf = (x: RoutableDeployment) => price[x.id];
  it('takes the cheapest; equal prices share at random', () => {
    expect(pickLowestCost(deps, costOf, () => 0)?.id).toBe('cheap1');
    expect(pickLowestCost(deps, costOf, () => 0.99)?.id).toBe('cheap2');
  });
  it('an unpriced deployment only when no priced one is left', () => {
    expect(pickLowestCost(deps, costOf, () => 0, new Set(['cheap1', 'cheap2']))?.id).toBe('pricey');
    expect(pickLowestCost(deps, costOf, () => 0, new Set(['cheap1', 'cheap2', 'pricey']))?.id).toBe('unknown');
    expect(pickLowestCost(deps, costOf, () => 0, new Set(['cheap1', 'cheap2', 'pricey', 'unknown']))).toBeUndefined();
  });
});

describe('OutcomeWindow (recent error rate)', () => {
  it('counts the last minute in ten-second steps, and forgets what is older', () => {
    const w = new OutcomeWindow();
    w.record('a', true, 0);
    w.record('a', false, 5_000);
    w.record('a', true, 30_000);
    w.record('b', false, 30_000);
    expect(w.totals(59_999)).toEqual([
      ['a', { ok: 2, failed: 1 }],
      ['b', { ok: 0, failed: 1 }],
    ]);
    // At 60 s the first bucket (0-10 s) has left the window.
    expect(w.totals(60_000)).toEqual([
      ['a', { ok: 1, failed: 0 }],
      ['b', { ok: 0, failed: 1 }],
    ]);
    w.record('a', true, 125_000);
    expect(w.totals(125_000)).toEqual([['a', { ok: 1, failed: 0 }]]);
  });
});
