import { describe, expect, it } from 'vitest';
import { parseDurationSeconds } from './duration';

describe('parseDurationSeconds', () => {
  it.each([
    ['30d', 30 * 86_400],
    ['12h', 43_200],
    ['15m', 900],
    ['45s', 45],
    ['3600', 3600],
    [120, 120],
  ] as const)('%s → %d', (input, seconds) => expect(parseDurationSeconds(input)).toBe(seconds));

  it.each(['', '0', '-5', '1w', '1.5h', 'abc', '30 days', 0, -1, 1.5, 1e12])('rejects %s', (input) => {
    expect(parseDurationSeconds(input)).toBeUndefined();
  });
});
