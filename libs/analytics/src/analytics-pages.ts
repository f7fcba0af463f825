/**
 * Pages of grouped analytics rows. Rows are ordered by time bucket, then by spend; a page of a bucketed
 * report is read from a window of whole buckets starting at the cursor's bucket (a bucket split between two
 * windows would have partial sums), grown until it holds the page, so the first page of a 90-day report per
 * end user and day reads a day or two, not 90 days. Pure: the arithmetic is unit-tested apart from SQL.
 */
import type { AnalyticsInterval } from './analytics.queries';
import { DAY_SECONDS, HOUR_SECONDS } from './analytics-plan';

/** Where the next page starts: `offset` rows into the ordered rows of bucket `bucket` (or of the whole report). */
export interface ReportCursor {
  /** Start (epoch seconds, UTC) of the bucket the next page starts in; absent for a report without interval. */
  bucket?: number;
  /** Rows of that bucket (or of the report) already returned. */
  offset: number;
}

/** The start (epoch seconds) of the bucket holding `t`. */
export function bucketStart(interval: AnalyticsInterval, t: number): number {
  if (interval === 'hour') return Math.floor(t / HOUR_SECONDS) * HOUR_SECONDS;
  if (interval === 'day') return Math.floor(t / DAY_SECONDS) * DAY_SECONDS;
  const d = new Date(t * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
}

/** The start of the bucket `n` buckets after the one holding `t`. */
export function bucketsAfter(interval: AnalyticsInterval, t: number, n: number): number {
  const start = bucketStart(interval, t);
  if (interval === 'hour') return start + n * HOUR_SECONDS;
  if (interval === 'day') return start + n * DAY_SECONDS;
  const d = new Date(start * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1) / 1000;
}

/**
 * The page in the rows a window returned (`buckets`: each row's bucket start, in order; the first `offset`
 * rows are the cursor bucket's rows already returned): which rows to return and the cursor after them.
 * `complete` is false when the window held too few rows and did not reach the end of the range: read a
 * wider window.
 */
export function pageOfWindow(
  buckets: readonly number[],
  offset: number,
  limit: number,
  reachedEnd: boolean,
): { complete: boolean; from: number; to: number; next?: ReportCursor } {
  if (buckets.length > offset + limit) {
    const to = offset + limit;
    const bucket = buckets[to]!;
    let inBucket = 0;
    for (let i = to - 1; i >= 0 && buckets[i] === bucket; i--) inBucket++;
    return { complete: true, from: offset, to, next: { bucket, offset: inBucket } };
  }
  if (!reachedEnd) return { complete: false, from: offset, to: buckets.length };
  return { complete: true, from: Math.min(offset, buckets.length), to: buckets.length };
}

/**
 * How many buckets the next window spans, after one of `spanned` buckets returned `rows` rows when `needed`
 * were wanted: the rows a bucket held so far, scaled to what is needed with a margin, and at least four times
 * the last window (so a sparse report takes few round trips), at most `maxBuckets`.
 */
export function nextWindowBuckets(spanned: number, rows: number, needed: number, maxBuckets: number): number {
  const perBucket = rows / Math.max(1, spanned);
  const estimate = perBucket > 0 ? Math.ceil((needed / perBucket) * 1.5) : 0;
  return Math.max(1, Math.min(maxBuckets, Math.max(spanned * 4, estimate)));
}

/** The opaque text of a cursor in an API answer. */
export function encodeReportCursor(c: ReportCursor): string {
  return Buffer.from(JSON.stringify([c.bucket ?? null, c.offset]), 'utf8').toString('base64url');
}

/** A cursor from its text, or undefined when the text is not one this module made. */
export function decodeReportCursor(text: string): ReportCursor | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2) return undefined;
    const [bucket, offset] = v as unknown[];
    if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) > 1e9) return undefined;
    if (bucket === null) return { offset: offset as number };
    if (!Number.isSafeInteger(bucket) || (bucket as number) < 0 || (bucket as number) >= 2 ** 32) return undefined;
    return { bucket: bucket as number, offset: offset as number };
  } catch {
    return undefined;
  }
}
