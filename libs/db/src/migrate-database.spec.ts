import { describe, expect, it } from 'vitest';
import { databaseNameOf } from './migrate-database';

describe('databaseNameOf', () => {
  it('accepts plain identifiers', () => {
    expect(databaseNameOf('postgres://postgres@127.0.0.1:5432/switchyard_test_1')).toBe('switchyard_test_1');
  });
  it.each(['postgres://h/a"b', 'postgres://h/', 'postgres://h/1abc', 'postgres://h/a%20b', 'postgres://h/a;drop'])(
    'rejects %s',
    (url) => {
      expect(() => databaseNameOf(url)).toThrow(/not allowed/);
    },
  );
});
