import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiException } from './api.exception';
import { parseInput } from './parse-input';

const S = z.strictObject({ a: z.number().optional(), list: z.array(z.string().min(1)).optional() });

function errorOf(value: unknown) {
  try {
    parseInput(S, value);
  } catch (e) {
    return (e as ApiException).error;
  }
  throw new Error('expected a failure');
}

describe('parseInput', () => {
  it('treats a missing body as an empty object', () => expect(parseInput(S, undefined)).toEqual({}));
  it('names nested and unknown fields', () => {
    expect(errorOf({ a: 'x' })).toMatchObject({ status: 400, param: 'a' });
    expect(errorOf({ list: ['ok', ''] })).toMatchObject({ param: 'list.1' });
    expect(errorOf({ b: 1 })).toMatchObject({ param: 'b' });
    expect(errorOf([1])).toMatchObject({ param: null, message: 'The request body must be a JSON object.' });
  });
});
