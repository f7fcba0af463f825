import { describe, expect, it } from 'vitest';
import {
  bucketsAfter,
  bucketStart,
  decodeReportCursor,
  encodeReportCursor,
  nextWindowBuckets,
  pageOfWindow,
} from './analytics-pages';

const at = (iso: string): number => Date.parse(iso) / 1000;

describe('buckets', () => {
  it('starts hours, days and months on UTC boundaries', () => {
    expect(bucketStart('hour', at('2026-03-04T05:59:59Z'))).toBe(at('2026-03-04T05:00:00Z'));
    expect(bucketStart('day', at('2026-03-04T23:59:59Z'))).toBe(at('2026-03-04T00:00:00Z'));
    expect(bucketStart('month', at('2026-03-31T23:59:59Z'))).toBe(at('2026-03-01T00:00:00Z'));
  });

  it('counts buckets forward across month lengths and years', () => {
    expect(bucketsAfter('hour', at('2026-03-04T05:30:00Z'), 3)).toBe(at('2026-03-04T08:00:00Z'));
    expect(bucketsAfter('day', at('2026-02-27T12:00:00Z'), 2)).toBe(at('2026-03-01T00:00:00Z'));
    expect(bucketsAfter('month', at('2026-01-31T12:00:00Z'), 1)).toBe(at('2026-02-01T00:00:00Z'));
    expect(bucketsAfter('month', at('2026-11-15T00:00:00Z'), 3)).toBe(at('2027-02-01T00:00:00Z'));
  });
});

describe('a page out of a window of whole buckets', () => {
  // Three buckets (10, 20, 30) of 4, 3 and 2 rows.
  const rows = [10, 10, 10, 10, 20, 20, 20, 30, 30];

  it('cuts the page and points the cursor at the first row left, counted within its bucket', () => {
    expect(pageOfWindow(rows, 0, 2, false)).toEqual({
      complete: true,
      from: 0,
      to: 2,
      next: { bucket: 10, offset: 2 },
    });
    expect(pageOfWindow(rows, 2, 3, false)).toEqual({
      complete: true,
      from: 2,
      to: 5,
      next: { bucket: 20, offset: 1 },
    });
    // The page ends exactly at a bucket's end: the next starts at the following bucket's first row.
    expect(pageOfWindow(rows, 0, 4, false)).toEqual({
      complete: true,
      from: 0,
      to: 4,
      next: { bucket: 20, offset: 0 },
    });
  });

  it('asks for a wider window when this one holds too few rows and the range goes on', () => {
    expect(pageOfWindow(rows, 0, 9, false)).toEqual({ complete: false, from: 0, to: 9 });
    expect(pageOfWindow(rows, 3, 6, false).complete).toBe(false);
  });

  it('returns the rest, without a cursor, when the window reaches the end of the range', () => {
    expect(pageOfWindow(rows, 5, 10, true)).toEqual({ complete: true, from: 5, to: 9 });
    expect(pageOfWindow([], 0, 10, true)).toEqual({ complete: true, from: 0, to: 0 });
    expect(pageOfWindow(rows, 12, 10, true)).toEqual({ complete: true, from: 9, to: 9 });
  });

  it('reassembles the whole ordered list, page by page, whatever the page size', () => {
    const all = rows.map((bucket, i) => ({ bucket, id: i }));
    for (let limit = 1; limit <= 10; limit++) {
      const seen: number[] = [];
      let cursor: { bucket: number; offset: number } | undefined;
      for (let guard = 0; guard < 50; guard++) {
        // A window starts at the cursor's bucket: the rows of earlier buckets are not in it.
        const window = cursor ? all.filter((r) => r.bucket >= cursor!.bucket) : all;
        const cut = pageOfWindow(
          window.map((r) => r.bucket),
          cursor?.offset ?? 0,
          limit,
          true,
        );
        seen.push(...window.slice(cut.from, cut.to).map((r) => r.id));
        if (!cut.next) break;
        cursor = { bucket: cut.next.bucket!, offset: cut.next.offset };
      }
      expect(seen, `limit ${limit}`).toEqual(all.map((r) => r.id));
    }
  });
});

describe('window growth', () => {
  it('scales to the rows needed from the rows a bucket held, at least four times wider, within the range', () => {
    expect(nextWindowBuckets(1, 20, 1001, 90)).toBe(76);
    expect(nextWindowBuckets(1, 0, 1001, 90)).toBe(4);
    expect(nextWindowBuckets(4, 500, 1001, 90)).toBe(16);
    expect(nextWindowBuckets(64, 1, 1001, 90)).toBe(90);
  });
});

describe('report cursors', () => {
  it('round-trips, and refuses text it did not make', () => {
    for (const c of [{ offset: 0 }, { offset: 1000 }, { bucket: at('2026-03-04T00:00:00Z'), offset: 7 }])
      expect(decodeReportCursor(encodeReportCursor(c))).toEqual(c);
    for (const bad of [
      '',
      'abc',
      Buffer.from('[1,-1]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
    ])
      expect(decodeReportCursor(bad)).toBeUndefined();
    expect(decodeReportCursor(Buffer.from('[1.5,0]').toString('base64url'))).toBeUndefined();
  });
});
