/**
 * Text every store accepts: well-formed UTF-16 (a lone surrogate, which ClickHouse refuses in JSON and
 * Postgres cannot encode, becomes U+FFFD), no U+0000 (Postgres `text` refuses it; also U+FFFD), and at
 * most `maxChars` UTF-16 code units, cut so that no surrogate pair is split.
 */
export function storableText(s: string, maxChars: number): string {
  let out = s.length > maxChars ? s.slice(0, maxChars) : s;
  // A cut between the halves of a pair leaves a lone high surrogate at the end: drop it rather than replace it.
  const last = out.charCodeAt(out.length - 1);
  if (out.length < s.length && last >= 0xd800 && last <= 0xdbff) out = out.slice(0, -1);
  return UNSTORABLE.test(out) ? out.replace(UNSTORABLE_ALL, '\uFFFD') : out;
}

/** A lone high or low surrogate, or U+0000. */
const UNSTORABLE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\u0000/;
const UNSTORABLE_ALL = new RegExp(UNSTORABLE.source, 'g');
