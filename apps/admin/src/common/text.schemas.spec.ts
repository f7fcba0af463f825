import { describe, expect, it } from 'vitest';
import { ApiException } from './api.exception';
import { parseInput } from './parse-input';
import { CreateKeySchema } from '../keys/keys.schemas';
import { CreateTeamSchema } from '../teams/teams.schemas';
import { findNul } from './text.schemas';

function paramOf(fn: () => unknown): string | null | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiException) return e.error.param;
    throw e;
  }
  return undefined;
}

describe('NUL characters', () => {
  it('finds the first NUL in keys or string values', () => {
    expect(findNul({ a: 'ok', b: [1, 'x\u0000'] })).toEqual(['b', 1]);
    expect(findNul({ a: { 'k\u0000': 1 } })).toEqual(['a']);
    expect(findNul({ a: 'ok', b: [1, null, true, { c: 'd' }] })).toBeUndefined();
  });

  it.each([
    [CreateTeamSchema, { team_alias: 'a\u0000b' }, 'team_alias'],
    [CreateTeamSchema, { models: ['ok', 'gpt\u0000'] }, 'models.1'],
    [CreateTeamSchema, { metadata: { owner: 'x\u0000' } }, 'metadata.owner'],
    [CreateTeamSchema, { metadata: { deep: { list: ['ok', '\u0000'] } } }, 'metadata.deep.list.1'],
    [CreateTeamSchema, { metadata: { '\u0000': 1 } }, 'metadata'],
    [CreateKeySchema, { key_alias: '\u0000' }, 'key_alias'],
    [CreateKeySchema, { metadata: { a: { 'b\u0000': 'c' } } }, 'metadata.a'],
  ])('rejects %#', (schema, body, param) => {
    expect(paramOf(() => parseInput(schema, body))).toBe(param);
  });

  it('accepts other control characters and unicode', () => {
    expect(parseInput(CreateTeamSchema, { team_alias: 'tab\there ✓', metadata: { é: ['\u0001'] } })).toBeTruthy();
  });
});

describe('free-form JSON fields', () => {
  const nested = (levels: number): unknown => JSON.parse('{"a":'.repeat(levels) + '1' + '}'.repeat(levels));

  it.each([CreateTeamSchema, CreateKeySchema])('refuses 10,000 levels of metadata with a 400 naming it', (schema) => {
    expect(paramOf(() => parseInput(schema, { metadata: nested(10_000) }))).toBe('metadata');
  });

  it('accepts metadata 32 levels deep and refuses 33', () => {
    expect(paramOf(() => parseInput(CreateTeamSchema, { metadata: nested(32) }))).toBeUndefined();
    expect(paramOf(() => parseInput(CreateTeamSchema, { metadata: nested(33) }))).toBe('metadata');
  });

  it('refuses metadata larger than 64 KiB as JSON', () => {
    expect(paramOf(() => parseInput(CreateKeySchema, { metadata: { blob: 'x'.repeat(70_000) } }))).toBe('metadata');
  });
});
