import { describe, expect, it } from 'vitest';
import { allowedModels, modelsOutside } from './model-access';

describe('allowedModels', () => {
  it('is unrestricted (null) when no level restricts', () => {
    expect(allowedModels([])).toBeNull();
    expect(allowedModels([[], []])).toBeNull();
  });

  it('takes the one level that restricts', () => {
    expect(allowedModels([[], ['gpt-4o']])).toEqual(['gpt-4o']);
    expect(allowedModels([['a', 'b', 'a'], []])).toEqual(['a', 'b']);
  });

  it('intersects every level that restricts, and may leave nothing', () => {
    expect(
      allowedModels([
        ['a', 'b', 'c'],
        ['b', 'c', 'd'],
      ]),
    ).toEqual(['b', 'c']);
    expect(allowedModels([['a'], ['b']])).toEqual([]);
  });
});

describe('modelsOutside', () => {
  it('names what the limit does not allow, once each', () => {
    expect(modelsOutside(['a', 'x', 'x', 'b'], ['a', 'b'])).toEqual(['x']);
    expect(modelsOutside(['a'], [])).toEqual([]);
    expect(modelsOutside([], ['a'])).toEqual([]);
  });
});
