import { describe, expect, it } from 'vitest';
import { DAY_SECONDS, HOUR_SECONDS, planSegments, type PlanSegment, type RollupCoverage } from './analytics-plan';

const H = HOUR_SECONDS;
const D = DAY_SECONDS;
// A Monday, 00:00 UTC, in epoch seconds.
const T = Date.UTC(2025, 2, 3) / 1000;
const both = { allowHours: true, allowDays: true };
const covered = (watermark: number, staleHours: number[] = []): RollupCoverage => ({ watermark, staleHours });

/** Each second of [from, to) is in exactly one segment, in order. */
function expectExactCover(segments: PlanSegment[], from: number, to: number): void {
  let at = from;
  for (const s of segments) {
    expect(s.from).toBe(at);
    expect(s.to).toBeGreaterThan(s.from);
    at = s.to;
  }
  expect(at).toBe(to);
}

describe('planSegments', () => {
  it('reads raw rows only when nothing is rolled up', () => {
    expect(planSegments({ from: T, to: T + 3 * D, ...both }, covered(0))).toEqual([
      { source: 'raw', from: T, to: T + 3 * D },
    ]);
    expect(planSegments({ ...both }, covered(0))).toEqual([{ source: 'raw', from: 0, to: Infinity }]);
  });

  it('takes whole days from the daily rollup, the hours around them hourly, the ragged seconds raw', () => {
    const from = T + 5 * H + 17;
    const to = T + 2 * D + 3 * H + 59;
    const segments = planSegments({ from, to, ...both }, covered(T + 10 * D));
    expect(segments).toEqual([
      { source: 'raw', from, to: T + 6 * H },
      { source: 'hour', from: T + 6 * H, to: T + D },
      { source: 'day', from: T + D, to: T + 2 * D },
      { source: 'hour', from: T + 2 * D, to: T + 2 * D + 3 * H },
      { source: 'raw', from: T + 2 * D + 3 * H, to },
    ]);
    expectExactCover(segments, from, to);
  });

  it('reads the open edge after the watermark raw, and a range with no end up to it', () => {
    const watermark = T + 2 * D + 5 * H;
    expect(planSegments({ from: T, ...both }, covered(watermark))).toEqual([
      { source: 'day', from: T, to: T + 2 * D },
      { source: 'hour', from: T + 2 * D, to: watermark },
      { source: 'raw', from: watermark, to: Infinity },
    ]);
    expect(planSegments({ to: T + D, ...both }, covered(watermark))).toEqual([{ source: 'day', from: 0, to: T + D }]);
  });

  it('uses hours only when rows are bucketed by hour', () => {
    expect(planSegments({ from: T, to: T + 2 * D, allowHours: true, allowDays: false }, covered(T + 5 * D))).toEqual([
      { source: 'hour', from: T, to: T + 2 * D },
    ]);
  });

  it('reads the hours around whole days raw for a cube kept per day only', () => {
    const from = T + 20 * H;
    const to = T + 3 * D + 2 * H;
    expect(planSegments({ from, to, allowHours: false, allowDays: true }, covered(T + 9 * D))).toEqual([
      { source: 'raw', from, to: T + D },
      { source: 'day', from: T + D, to: T + 3 * D },
      { source: 'raw', from: T + 3 * D, to },
    ]);
    expect(planSegments({ from: T, to: T + 5 * H, allowHours: false, allowDays: true }, covered(T + 9 * D))).toEqual([
      { source: 'raw', from: T, to: T + 5 * H },
    ]);
  });

  it('reads stale hours raw and keeps the daily rollup only for days without one', () => {
    const stale = [T + D + 4 * H, T + D + 5 * H, T + 3 * D + 23 * H, T + 20 * D /* after the range */];
    const segments = planSegments({ from: T, to: T + 4 * D, ...both }, covered(T + 10 * D, stale));
    expect(segments).toEqual([
      { source: 'day', from: T, to: T + D },
      { source: 'hour', from: T + D, to: T + D + 4 * H },
      { source: 'raw', from: T + D + 4 * H, to: T + D + 6 * H },
      { source: 'hour', from: T + D + 6 * H, to: T + 2 * D },
      { source: 'day', from: T + 2 * D, to: T + 3 * D },
      { source: 'hour', from: T + 3 * D, to: T + 3 * D + 23 * H },
      { source: 'raw', from: T + 3 * D + 23 * H, to: T + 4 * D },
    ]);
    expectExactCover(segments, T, T + 4 * D);
  });

  it('a range within one hour, or empty, never reaches a rollup', () => {
    expect(planSegments({ from: T + 60, to: T + 3000, ...both }, covered(T + 9 * D))).toEqual([
      { source: 'raw', from: T + 60, to: T + 3000 },
    ]);
    expect(planSegments({ from: T + 5 * H, to: T + 5 * H, ...both }, covered(T + 9 * D))).toEqual([]);
    expect(planSegments({ from: T + 6 * H, to: T + 5 * H, ...both }, covered(T + 9 * D))).toEqual([]);
  });

  it('covers every second exactly once for any bounds, watermark and stale hours', () => {
    let seed = 1;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2_000; i++) {
      const from = T + rand(10 * D);
      const to = from + rand(12 * D);
      const watermark = T + rand(15 * D);
      const stale = Array.from({ length: rand(5) }, () => T + rand(15 * D));
      const allowHours = rand(4) > 0;
      const allowDays = rand(3) > 0;
      const segments = planSegments({ from, to, allowHours, allowDays }, covered(watermark, stale));
      if (from === to) {
        expect(segments).toEqual([]);
        continue;
      }
      expectExactCover(segments, from, to);
      for (const s of segments) {
        if (s.source === 'raw') continue;
        const step = s.source === 'day' ? D : H;
        expect(s.from % step).toBe(0);
        expect(s.to % step).toBe(0);
        expect(s.to).toBeLessThanOrEqual(watermark);
        for (const h of stale) expect(h >= s.from && h < s.to).toBe(false);
        expect(s.source === 'day' ? allowDays : allowHours).toBe(true);
      }
    }
  });
});
