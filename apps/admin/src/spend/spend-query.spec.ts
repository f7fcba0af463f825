import { describe, expect, it } from 'vitest';
import { ApiException } from '../common/api.exception';
import { parseInstant, parseSpendQuery } from './spend-query';

function paramOf(fn: () => unknown): string | null | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiException) return e.error.param;
    throw e;
  }
  return undefined;
}

describe('parseInstant', () => {
  it.each([
    ['2025-06-01', '2025-06-01T00:00:00.000Z'],
    ['2025-06-01T12:30:00Z', '2025-06-01T12:30:00.000Z'],
    ['2025-06-01T12:30', '2025-06-01T12:30:00.000Z'],
    ['2025-06-01T12:30:00+02:00', '2025-06-01T10:30:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['1717243200', '2024-06-01T12:00:00.000Z'],
  ])('%s', (input, iso) => expect(parseInstant(input)?.toISOString()).toBe(iso));

  it.each(['2025-02-30', '2025-13-01', '2025-06-01T24:00Z', 'yesterday', '1.5', '-5', '2025-6-1'])(
    'rejects %s',
    (input) => {
      expect(parseInstant(input)).toBeUndefined();
    },
  );
});

describe('parseSpendQuery', () => {
  it('defaults to group_by team without a range', () => {
    expect(parseSpendQuery({})).toEqual({ groupBy: 'team', from: undefined, to: undefined, teamId: undefined });
  });
  it('names the offending parameter', () => {
    expect(paramOf(() => parseSpendQuery({ group_by: 'user' }))).toBe('group_by');
    expect(paramOf(() => parseSpendQuery({ from: 'soon' }))).toBe('from');
    expect(paramOf(() => parseSpendQuery({ to: '2025-99-01' }))).toBe('to');
    expect(paramOf(() => parseSpendQuery({ from: '2025-06-02', to: '2025-06-01' }))).toBe('from');
    expect(paramOf(() => parseSpendQuery({ team_id: 'x' }))).toBe('team_id');
    expect(paramOf(() => parseSpendQuery({ group_by: ['team', 'model'] }))).toBe('group_by');
  });
  it.each([
    ['from', '0000-01-01'],
    ['from', '1969-12-31'],
    ['from', '1970-01-01T00:30:00+01:00'],
    ['to', '99999999999'],
    ['to', '4294967296'],
    ['to', '2106-02-08'],
    ['to', '9999-12-31T23:59:59Z'],
  ])('rejects %s=%s outside what ClickHouse DateTime holds', (name, value) => {
    expect(paramOf(() => parseSpendQuery({ [name]: value }))).toBe(name);
  });
  it('accepts the ends of the DateTime range', () => {
    const q = parseSpendQuery({ from: '1970-01-01', to: '2106-02-07T06:28:15.900Z' });
    expect(q.from?.getTime()).toBe(0);
    expect(q.to?.toISOString()).toBe('2106-02-07T06:28:15.900Z');
    expect(parseSpendQuery({ to: '4294967295' }).to?.getTime()).toBe((2 ** 32 - 1) * 1000);
  });
});
