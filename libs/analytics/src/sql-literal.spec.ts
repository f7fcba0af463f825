import { describe, expect, it } from 'vitest';
import { lit, sql, SqlFragment, SqlLiteralError } from './sql-literal';

describe('lit.string', () => {
  it('quotes and escapes quote and backslash', () => {
    expect(lit.string('abc').text).toBe("'abc'");
    expect(lit.string("O'Brien").text).toBe("'O\\'Brien'");
    expect(lit.string('a\\b').text).toBe("'a\\\\b'");
    expect(lit.string('').text).toBe("''");
    expect(lit.string('ünïcødé 模型 🚀').text).toBe("'ünïcødé 模型 🚀'");
  });

  it('neutralises injection attempts', () => {
    expect(lit.string("x'; DROP DATABASE switchyard; --").text).toBe("'x\\'; DROP DATABASE switchyard; --'");
    // A trailing backslash must not escape the closing quote.
    expect(lit.string('x\\').text).toBe("'x\\\\'");
    expect(lit.string("\\'").text).toBe("'\\\\\\''");
    expect(lit.string("' OR 1=1 OR '").text).toBe("'\\' OR 1=1 OR \\''");
  });

  it('rejects control characters, NUL, lone surrogates and oversize values', () => {
    for (const bad of ['a\u0000b', 'line\nbreak', 'tab\there', 'cr\r', '\u001b[31m', 'del\u007f', 'c1\u0085']) {
      expect(() => lit.string(bad), JSON.stringify(bad)).toThrow(SqlLiteralError);
    }
    expect(() => lit.string('\ud800x')).toThrow(/UTF-16/);
    expect(() => lit.string('x'.repeat(4097))).toThrow(/limit/);
    expect(() => lit.string('x'.repeat(10), { maxLength: 5 })).toThrow(/limit of 5/);
    expect(() => lit.string(42 as unknown as string)).toThrow(/expected a string/);
  });
});

describe('lit.int / lit.uint', () => {
  it('renders integers', () => {
    expect(lit.int(42).text).toBe('42');
    expect(lit.int(-7).text).toBe('-7');
    expect(lit.int(2n ** 63n - 1n).text).toBe('9223372036854775807');
    expect(lit.uint(2n ** 64n - 1n).text).toBe('18446744073709551615');
  });
  it('rejects non-integers and out-of-range values', () => {
    for (const bad of [1.5, NaN, Infinity, 2 ** 53, '1; DROP' as unknown as number]) {
      expect(() => lit.int(bad), String(bad)).toThrow(SqlLiteralError);
    }
    expect(() => lit.int(2n ** 63n)).toThrow(/outside/);
    expect(() => lit.uint(-1)).toThrow(/outside/);
    expect(() => lit.int(5, { min: 0n, max: 3n })).toThrow(/outside/);
  });
});

describe('lit.dateTime', () => {
  it('renders epoch seconds, floor or ceil', () => {
    expect(lit.dateTime(new Date('2024-01-02T03:04:05Z')).text).toBe('toDateTime(1704164645)');
    expect(lit.dateTime(new Date(1704164645500)).text).toBe('toDateTime(1704164645)');
    expect(lit.dateTime(new Date(1704164645500), 'ceil').text).toBe('toDateTime(1704164646)');
    expect(lit.dateTime(new Date(1704164645000), 'ceil').text).toBe('toDateTime(1704164645)');
  });
  it('rejects invalid and out-of-range dates', () => {
    expect(() => lit.dateTime(new Date('nope'))).toThrow(SqlLiteralError);
    expect(() => lit.dateTime(new Date('1960-01-01'))).toThrow(/outside/);
    expect(() => lit.dateTime(new Date('2200-01-01'))).toThrow(/outside/);
    expect(() => lit.dateTime('2024-01-01' as unknown as Date)).toThrow(SqlLiteralError);
  });
});

describe('lit.ident / lit.table', () => {
  it('accepts plain identifiers', () => {
    expect(lit.ident('switchyard_test_1').text).toBe('switchyard_test_1');
    expect(lit.table('sy', 'usage').text).toBe('sy.usage');
  });
  it('rejects anything else', () => {
    for (const bad of ['', '1abc', 'a-b', 'a.b', 'a b', 'x; DROP', '`x`', 'a'.repeat(65), 'ünï']) {
      expect(() => lit.ident(bad), bad).toThrow(SqlLiteralError);
    }
    expect(() => lit.table('ok', 'bad;')).toThrow(SqlLiteralError);
  });
});

describe('sql', () => {
  it('composes fragments', () => {
    const where = sql.join([sql`a = ${lit.int(1)}`, sql`b = ${lit.string('x')}`], sql` AND `);
    expect(sql`SELECT * FROM ${lit.table('d', 't')} WHERE ${where}`.text).toBe(
      "SELECT * FROM d.t WHERE a = 1 AND b = 'x'",
    );
  });
  it('refuses raw values', () => {
    const raw = "x' OR '1'='1" as unknown as SqlFragment;
    expect(() => sql`SELECT ${raw}`).toThrow(/raw string/);
    expect(() => sql`SELECT ${5 as unknown as SqlFragment}`).toThrow(/raw number/);
    expect(() => sql.join(['a' as unknown as SqlFragment], sql`,`)).toThrow(SqlLiteralError);
  });
  it('cannot be forged', () => {
    const Ctor = SqlFragment as unknown as new (t: symbol, s: string) => SqlFragment;
    expect(() => new Ctor(Symbol('SqlFragment'), 'DROP')).toThrow(TypeError);
  });
});
