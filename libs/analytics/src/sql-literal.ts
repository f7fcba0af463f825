/**
 * The only way values get into ClickHouse SQL. ClickHouse 18.16 has no query parameters, so every value
 * is rendered as a literal here, validated and escaped, and `sql` refuses anything that did not come
 * through `lit` or another `sql` fragment. Inserts do not need this: they send rows as JSONEachRow.
 */
const BRAND: unique symbol = Symbol('SqlFragment');

export class SqlFragment {
  readonly [BRAND] = true;
  /** @internal use `sql` or `lit`, never construct from an unchecked string. */
  constructor(
    token: typeof BRAND,
    readonly text: string,
  ) {
    if (token !== BRAND) throw new TypeError('SqlFragment is created through sql`...` or lit.*, not directly.');
  }
  toString(): string {
    return this.text;
  }
}

const fragment = (text: string): SqlFragment => new SqlFragment(BRAND, text);

export class SqlLiteralError extends Error {}

/**
 * Tagged template: static SQL text with `lit.*` values or nested fragments interpolated.
 * `sql\`SELECT count() FROM ${lit.table(db, 'usage')} WHERE key_id = ${lit.string(keyId)}\``
 */
export function sql(strings: TemplateStringsArray, ...values: SqlFragment[]): SqlFragment {
  let text = strings[0];
  values.forEach((v, i) => {
    if (!(v instanceof SqlFragment)) {
      throw new SqlLiteralError(
        `sql\`\` value #${i + 1} is a raw ${typeof v}; wrap it in lit.string()/lit.int()/lit.dateTime()/lit.ident().`,
      );
    }
    text += v.text + strings[i + 1];
  });
  return fragment(text);
}

/** Joins fragments with a separator fragment, e.g. sql.join(conditions, sql` AND `). */
sql.join = (parts: readonly SqlFragment[], separator: SqlFragment): SqlFragment => {
  for (const p of [...parts, separator]) {
    if (!(p instanceof SqlFragment)) throw new SqlLiteralError('sql.join takes SqlFragment values only.');
  }
  return fragment(parts.map((p) => p.text).join(separator.text));
};

export const DEFAULT_MAX_STRING_LENGTH = 4096;
const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/;
// C0 controls, DEL and C1 controls: never legitimate in the values we filter on, and NUL ends strings in places.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const DATETIME_MAX_SECONDS = 2 ** 32 - 1;

function toBigInt(value: number | bigint, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new SqlLiteralError(`${what}: ${String(value)} is not a safe integer.`);
  }
  return BigInt(value);
}

export const lit = {
  /** A quoted string literal: backslash and quote escaped; control characters, NUL and broken UTF-16 rejected. */
  string(value: string, opts: { maxLength?: number } = {}): SqlFragment {
    const max = opts.maxLength ?? DEFAULT_MAX_STRING_LENGTH;
    if (typeof value !== 'string') throw new SqlLiteralError(`lit.string: expected a string, got ${typeof value}.`);
    if (value.length > max)
      throw new SqlLiteralError(`lit.string: value is ${value.length} characters, longer than the limit of ${max}.`);
    if (CONTROL.test(value))
      throw new SqlLiteralError('lit.string: value contains a control character (or NUL); remove it.');
    if (LONE_SURROGATE.test(value))
      throw new SqlLiteralError('lit.string: value is not well-formed UTF-16 (lone surrogate).');
    return fragment(`'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
  },

  /** A signed 64-bit integer literal (numbers must be safe integers). */
  int(value: number | bigint, opts: { min?: bigint; max?: bigint } = {}): SqlFragment {
    const v = toBigInt(value, 'lit.int');
    const min = opts.min ?? INT64_MIN;
    const max = opts.max ?? INT64_MAX;
    if (v < min || v > max) throw new SqlLiteralError(`lit.int: ${v} is outside [${min}, ${max}].`);
    return fragment(v.toString());
  },

  /** An unsigned 64-bit integer literal. */
  uint(value: number | bigint): SqlFragment {
    const v = toBigInt(value, 'lit.uint');
    if (v < 0n || v > UINT64_MAX) throw new SqlLiteralError(`lit.uint: ${v} is outside [0, ${UINT64_MAX}].`);
    return fragment(v.toString());
  },

  /**
   * `toDateTime(<epoch seconds>)`: an instant with no time-zone ambiguity. DateTime holds whole seconds,
   * so callers choose how sub-second instants round (an exclusive upper bound wants 'ceil').
   */
  dateTime(value: Date, round: 'floor' | 'ceil' = 'floor'): SqlFragment {
    if (!(value instanceof Date) || Number.isNaN(value.getTime()))
      throw new SqlLiteralError('lit.dateTime: not a valid Date.');
    const ms = value.getTime();
    const seconds = round === 'ceil' ? Math.ceil(ms / 1000) : Math.floor(ms / 1000);
    if (seconds < 0 || seconds > DATETIME_MAX_SECONDS) {
      throw new SqlLiteralError(`lit.dateTime: ${value.toISOString()} is outside ClickHouse DateTime (1970 to 2106).`);
    }
    return fragment(`toDateTime(${seconds})`);
  },

  /** An identifier (database, table, column name): letters, digits, '_' only, so it needs no quoting. */
  ident(name: string): SqlFragment {
    if (typeof name !== 'string' || !IDENT.test(name)) {
      throw new SqlLiteralError(
        `lit.ident: "${String(name).slice(0, 80)}" is not a valid identifier; use 1-64 letters, digits or '_', not starting with a digit.`,
      );
    }
    return fragment(name);
  },

  /** `database.table`, both validated as identifiers. */
  table(database: string, table: string): SqlFragment {
    return fragment(`${lit.ident(database).text}.${lit.ident(table).text}`);
  },
} as const;

export function isValidIdentifier(name: string): boolean {
  return IDENT.test(name);
}
