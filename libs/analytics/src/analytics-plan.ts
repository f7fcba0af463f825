/**
 * Which source answers which part of an analytics range: the hourly and daily rollups for closed buckets
 * they hold, the raw usage rows for the rest (the open edge after the rollups' watermark, the ragged ends of
 * a range that does not start or end on an hour, and hours whose rollup may be stale because rows arrived
 * for them after the last rollup run read them). Pure: no I/O, so the splitting is unit-tested.
 */
export const HOUR_SECONDS = 3_600;
export const DAY_SECONDS = 86_400;

export type PlanSource = 'raw' | 'hour' | 'day';

/** [from, to) in epoch seconds; `to` is Infinity for a range without an end. */
export interface PlanSegment {
  source: PlanSource;
  from: number;
  to: number;
}

export interface RollupCoverage {
  /** Every hour before this instant (epoch seconds, on an hour) has been rolled up; 0 when none has. */
  watermark: number;
  /** Hours (their start, epoch seconds) before the watermark that received rows since the last run read them. */
  staleHours: readonly number[];
}

export interface PlanRequest {
  /** Inclusive, epoch seconds; undefined for no lower bound. */
  from?: number;
  /** Exclusive, epoch seconds; undefined for no upper bound. */
  to?: number;
  /** Whether closed hours may come from the hourly rollup (the cube has one). */
  allowHours: boolean;
  /** Whether whole days may come from the daily rollup (the cube has one, and rows are not bucketed by hour). */
  allowDays: boolean;
}

const floorTo = (t: number, step: number): number => Math.floor(t / step) * step;
const ceilTo = (t: number, step: number): number => Math.ceil(t / step) * step;

/**
 * Splits [from, to) into segments, in order, that cover it exactly once: each row of the range is read from
 * exactly one source. Adjacent segments of one source are merged.
 */
export function planSegments(req: PlanRequest, coverage: RollupCoverage): PlanSegment[] {
  const from = req.from ?? 0;
  const to = req.to ?? Infinity;
  if (!(from < to)) return [];
  const out: PlanSegment[] = [];
  const push = (source: PlanSource, a: number, b: number): void => {
    if (!(a < b)) return;
    const last = out[out.length - 1];
    if (last && last.source === source && last.to === a) last.to = b;
    else out.push({ source, from: a, to: b });
  };
  const lo = ceilTo(from, HOUR_SECONDS);
  const hi = Math.min(
    to === Infinity ? Infinity : floorTo(to, HOUR_SECONDS),
    floorTo(coverage.watermark, HOUR_SECONDS),
  );
  if (!(lo < hi) || !(req.allowHours || req.allowDays)) {
    push('raw', from, to);
    return out;
  }
  push('raw', from, lo);
  const stale = [...new Set(coverage.staleHours.map((h) => floorTo(h, HOUR_SECONDS)))]
    .filter((h) => h >= lo && h < hi)
    .sort((a, b) => a - b);
  const rolled = (a: number, b: number): void => {
    if (!(a < b)) return;
    const d1 = ceilTo(a, DAY_SECONDS);
    const d2 = floorTo(b, DAY_SECONDS);
    const hours: PlanSource = req.allowHours ? 'hour' : 'raw';
    if (req.allowDays && d1 < d2) {
      push(hours, a, d1);
      push('day', d1, d2);
      push(hours, d2, b);
    } else push(hours, a, b);
  };
  let cursor = lo;
  for (const h of stale) {
    rolled(cursor, h);
    push('raw', h, h + HOUR_SECONDS);
    cursor = h + HOUR_SECONDS;
  }
  rolled(cursor, hi);
  push('raw', hi, to);
  return out;
}
