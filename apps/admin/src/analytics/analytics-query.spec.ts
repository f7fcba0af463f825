import { describe, expect, it } from 'vitest';
import { encodeReportCursor } from '@switchyard/analytics';
import { ApiException } from '../common/api.exception';
import { encodeCursor, parseAnalyticsQuery, parseLogsQuery } from './analytics-query';
import { toCsv } from './csv';

function paramOf(fn: () => unknown): string | null | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiException) return e.error.param;
    throw e;
  }
  return undefined;
}

describe('parseAnalyticsQuery', () => {
  it('reads dimensions, interval, range and filters', () => {
    expect(
      parseAnalyticsQuery({
        group_by: 'team, model,team',
        interval: 'day',
        from: '2025-06-01',
        team: 't1',
        status: '429',
        tag: "it's",
      }),
    ).toEqual({
      groupBy: ['team', 'model'],
      interval: 'day',
      from: new Date('2025-06-01T00:00:00Z'),
      to: undefined,
      equals: { team: 't1', status: 429, tag: "it's" },
      format: 'json',
      page: { limit: 1000 },
    });
  });

  it('reads a page: its limit, and a cursor only of the same shape of query', () => {
    const day = encodeReportCursor({ bucket: 1_767_225_600, offset: 3 });
    expect(parseAnalyticsQuery({ interval: 'day', limit: '50', cursor: day }).page).toEqual({
      limit: 50,
      after: { bucket: 1_767_225_600, offset: 3 },
    });
    expect(parseAnalyticsQuery({ cursor: encodeReportCursor({ offset: 20 }) }).page).toEqual({
      limit: 1000,
      after: { offset: 20 },
    });
    expect(paramOf(() => parseAnalyticsQuery({ cursor: day }))).toBe('cursor');
    expect(paramOf(() => parseAnalyticsQuery({ interval: 'day', cursor: encodeReportCursor({ offset: 2 }) }))).toBe(
      'cursor',
    );
    expect(paramOf(() => parseAnalyticsQuery({ cursor: 'nope' }))).toBe('cursor');
    for (const limit of ['0', '10001', '1.5', '-1', 'ten'])
      expect(paramOf(() => parseAnalyticsQuery({ limit }))).toBe('limit');
  });

  it('names the offending parameter', () => {
    expect(paramOf(() => parseAnalyticsQuery({ group_by: 'team,secret' }))).toBe('group_by');
    expect(paramOf(() => parseAnalyticsQuery({ interval: 'week' }))).toBe('interval');
    expect(paramOf(() => parseAnalyticsQuery({ status: '2xx' }))).toBe('status');
    expect(paramOf(() => parseAnalyticsQuery({ model: 'a\u0000b' }))).toBe('model');
    expect(paramOf(() => parseAnalyticsQuery({ key: 'k'.repeat(257) }))).toBe('key');
    expect(paramOf(() => parseAnalyticsQuery({ format: 'xml' }))).toBe('format');
    expect(paramOf(() => parseAnalyticsQuery({ team: ['a', 'b'] }))).toBe('team');
  });
});

describe('parseLogsQuery', () => {
  it('round-trips its cursor and bounds the limit', () => {
    const c = encodeCursor({ ts: 1_750_000_000, requestId: 'req_1' });
    expect(parseLogsQuery({ cursor: c, limit: '5' })).toMatchObject({
      limit: 5,
      after: { ts: 1_750_000_000, requestId: 'req_1' },
    });
    expect(parseLogsQuery({}).limit).toBe(100);
    expect(paramOf(() => parseLogsQuery({ limit: '0' }))).toBe('limit');
    expect(paramOf(() => parseLogsQuery({ limit: '1001' }))).toBe('limit');
    expect(paramOf(() => parseLogsQuery({ cursor: 'garbage' }))).toBe('cursor');
    expect(paramOf(() => parseLogsQuery({ cursor: encodeCursor({ ts: -1, requestId: 'x' }) }))).toBe('cursor');
  });
});

describe('toCsv', () => {
  it('quotes what needs quoting and defuses spreadsheet formulas', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          { a: 'x,y', b: 'say "hi"' },
          { a: '=1+1', b: -5 },
          { a: null, b: ['t1', 't2'] },
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n"\'=1+1",-5\r\n,t1|t2\r\n');
  });
});
