import { describe, expect, it } from 'vitest';
import { tooDeepAt } from './json-depth';

const nested = (levels: number): unknown => JSON.parse('{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1));

describe('tooDeepAt', () => {
  it('accepts values up to the limit and scalars', () => {
    expect(tooDeepAt(nested(8), 8)).toBeUndefined();
    expect(tooDeepAt('text', 1)).toBeUndefined();
    expect(tooDeepAt({ a: [1, { b: 2 }] }, 3)).toBeUndefined();
  });

  it('names the path to the first container past the limit', () => {
    expect(tooDeepAt(nested(9), 8)).toEqual(['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a']);
    expect(tooDeepAt({ x: 1, list: [0, [[]]] }, 3)).toEqual(['list', 1, 0]);
  });

  it('walks 100,000 levels without overflowing the stack', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(tooDeepAt(deep, 64)).toHaveLength(64);
  });
});
