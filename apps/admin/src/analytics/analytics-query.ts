import {
  ANALYTICS_DIMENSION_NAMES,
  decodeReportCursor,
  type AnalyticsDimension,
  type AnalyticsInterval,
  type AnalyticsQuery,
  type LogCursor,
  type ReportCursor,
  type UsageFilter,
} from '@switchyard/analytics';
import { Errors } from '@switchyard/contracts';
import { ApiException } from '../common/api.exception';
import { instant, single } from '../spend/spend-query';

const bad = (message: string, param: string) => new ApiException(Errors.invalidRequest(message, param));
// Printable text without controls: what ids, model names and tags are; anything else cannot match a row.
const FILTER_VALUE = /^[^\u0000-\u001f\u007f-\u009f]{0,256}$/;

export type OutputFormat = 'json' | 'csv';

function format(query: Record<string, unknown>): OutputFormat {
  const f = single(query, 'format') ?? 'json';
  if (f !== 'json' && f !== 'csv') throw bad('Invalid format: use "json" (the default) or "csv".', 'format');
  return f;
}

/** from, to and one `<dimension>=<value>` per dimension; each problem a 400 naming the parameter. */
export function parseUsageFilter(query: Record<string, unknown>): UsageFilter {
  const from = instant(query, 'from');
  const to = instant(query, 'to');
  if (from && to && from.getTime() > to.getTime()) throw bad('from is after to: swap them or widen the range.', 'from');
  const equals: UsageFilter['equals'] = {};
  for (const d of ANALYTICS_DIMENSION_NAMES) {
    const v = single(query, d);
    if (v === undefined) continue;
    if (d === 'status') {
      if (!/^\d{3}$/.test(v)) throw bad('Invalid status: use an HTTP status such as 200 or 429.', d);
      equals[d] = Number(v);
    } else {
      if (!FILTER_VALUE.test(v)) throw bad(`Invalid ${d}: at most 256 printable characters.`, d);
      equals[d] = v;
    }
  }
  return { from, to, equals };
}

export const DEFAULT_REPORT_LIMIT = 1000;
export const MAX_REPORT_LIMIT = 10_000;

/** `limit` between 1 and `max` (default `fallback`), a 400 naming the range otherwise. */
function limitParam(query: Record<string, unknown>, fallback: number, max: number): number {
  const text = single(query, 'limit');
  const limit = text === undefined ? fallback : Number(text);
  if (!/^\d+$/.test(text ?? '1') || limit < 1 || limit > max) throw bad(`Invalid limit: use 1 to ${max}.`, 'limit');
  return limit;
}

/** GET /v1/analytics query parameters. */
export function parseAnalyticsQuery(
  query: Record<string, unknown>,
): AnalyticsQuery & { format: OutputFormat; page: { limit: number; after?: ReportCursor } } {
  const groupBy: AnalyticsDimension[] = [];
  const raw = single(query, 'group_by');
  for (const name of raw ? raw.split(',').map((s) => s.trim()) : []) {
    if (!(ANALYTICS_DIMENSION_NAMES as string[]).includes(name))
      throw bad(
        `Invalid group_by "${name}": use any of ${ANALYTICS_DIMENSION_NAMES.join(', ')}, comma-separated.`,
        'group_by',
      );
    if (!groupBy.includes(name as AnalyticsDimension)) groupBy.push(name as AnalyticsDimension);
  }
  const interval = single(query, 'interval');
  if (interval !== undefined && interval !== 'hour' && interval !== 'day' && interval !== 'month')
    throw bad('Invalid interval: use "hour", "day" or "month".', 'interval');
  const cursorText = single(query, 'cursor');
  const after = cursorText === undefined ? undefined : decodeReportCursor(cursorText);
  if (cursorText !== undefined && (!after || (after.bucket !== undefined) !== (interval !== undefined)))
    throw bad('Invalid cursor: pass the next_cursor of the previous page, with the same query.', 'cursor');
  return {
    ...parseUsageFilter(query),
    groupBy,
    ...(interval && { interval: interval as AnalyticsInterval }),
    format: format(query),
    page: { limit: limitParam(query, DEFAULT_REPORT_LIMIT, MAX_REPORT_LIMIT), ...(after && { after }) },
  };
}

export const MAX_LOG_LIMIT = 1000;

/** The opaque cursor of GET /v1/logs: the last row's (ts, request id). */
export function encodeCursor(c: LogCursor): string {
  return Buffer.from(JSON.stringify([c.ts, c.requestId]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): LogCursor {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      Number.isSafeInteger(v[0]) &&
      (v[0] as number) >= 0 &&
      (v[0] as number) < 2 ** 32 &&
      typeof v[1] === 'string' &&
      FILTER_VALUE.test(v[1]) &&
      v[1].length <= 128
    )
      return { ts: v[0] as number, requestId: v[1] };
  } catch {
    // reported below
  }
  throw bad('Invalid cursor: pass the next_cursor of the previous page as it came.', 'cursor');
}

/** GET /v1/logs query parameters. */
export function parseLogsQuery(query: Record<string, unknown>): {
  filter: UsageFilter;
  limit: number;
  after?: LogCursor;
  format: OutputFormat;
} {
  const limit = limitParam(query, 100, MAX_LOG_LIMIT);
  const cursor = single(query, 'cursor');
  return {
    filter: parseUsageFilter(query),
    limit,
    ...(cursor && { after: decodeCursor(cursor) }),
    format: format(query),
  };
}
