/*
 * Byte-level scans over JSON text, for the hot path: finding and editing one top-level member of a large
 * body without parsing or re-serialising the rest. They rely on one fact of JSON: inside a string every
 * `"` is escaped (preceded by an odd number of backslashes), so structural characters are recognisable
 * without a full parse. UTF-8 multi-byte sequences never contain ASCII bytes, so scanning bytes is safe.
 * Callers feed text that was already parsed (requests) or check what they find with JSON.parse (usage).
 */

import { BACKSLASH, COLON, COMMA, isWs, LBRACE, LBRACK, QUOTE, RBRACE, RBRACK } from './json-bytes';

function skipWs(buf: Uint8Array, i: number): number {
  while (i < buf.length && isWs(buf[i])) i++;
  return i;
}

/** Index just past the closing quote of the string whose opening quote is at `i`; -1 if it never ends. */
export function jsonStringEnd(buf: Uint8Array, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, from);
    if (q === -1) return -1;
    let backslashes = 0;
    for (let k = q - 1; buf[k] === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return q + 1;
    from = q + 1;
  }
}

/** Index just past the JSON value that starts at `i` (no leading whitespace); -1 if it is cut short. */
export function jsonValueEnd(buf: Uint8Array, i: number): number {
  const c = buf[i];
  if (c === QUOTE) return jsonStringEnd(buf, i);
  if (c === LBRACE || c === LBRACK) {
    let depth = 0;
    for (let j = i; j < buf.length; j++) {
      const b = buf[j];
      if (b === QUOTE) {
        const end = jsonStringEnd(buf, j);
        if (end === -1) return -1;
        j = end - 1;
      } else if (b === LBRACE || b === LBRACK) depth++;
      else if (b === RBRACE || b === RBRACK) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: runs to the next delimiter.
  let j = i;
  while (j < buf.length) {
    const b = buf[j];
    if (b === COMMA || b === RBRACE || b === RBRACK || isWs(b)) break;
    j++;
  }
  return j > i ? j : -1;
}

/** One member of the top-level object: byte offsets of its key's opening quote and of its value. */
export interface JsonMember {
  key: string;
  start: number;
  valueStart: number;
  valueEnd: number;
}

export interface JsonObjectLayout {
  /** Offset of the opening `{`. */
  open: number;
  members: JsonMember[];
}

/**
 * The members of the top-level object of `buf`, in order. Undefined when the text is not an object, is
 * malformed, or has a key written with an escape (`"\u006dodel"` means "model": a byte comparison would
 * miss it, so the caller must fall back to a parse).
 */
export function topLevelMembers(buf: Uint8Array): JsonObjectLayout | undefined {
  const open = skipWs(buf, 0);
  if (buf[open] !== LBRACE) return undefined;
  const members: JsonMember[] = [];
  let i = skipWs(buf, open + 1);
  if (buf[i] === RBRACE) return { open, members };
  for (;;) {
    if (buf[i] !== QUOTE) return undefined;
    const keyEnd = jsonStringEnd(buf, i);
    if (keyEnd === -1) return undefined;
    if (buf.subarray(i + 1, keyEnd - 1).indexOf(BACKSLASH) !== -1) return undefined;
    const key = Buffer.from(buf.buffer, buf.byteOffset + i + 1, keyEnd - i - 2).toString('utf8');
    let j = skipWs(buf, keyEnd);
    if (buf[j] !== COLON) return undefined;
    j = skipWs(buf, j + 1);
    const valueEnd = jsonValueEnd(buf, j);
    if (valueEnd === -1) return undefined;
    members.push({ key, start: i, valueStart: j, valueEnd });
    i = skipWs(buf, valueEnd);
    if (buf[i] === RBRACE) return { open, members };
    if (buf[i] !== COMMA) return undefined;
    i = skipWs(buf, i + 1);
  }
}

/**
 * `buf` with some top-level members edited in place, every other byte unchanged: each key of `edits`
 * maps to the new value's JSON text (replacing the value, or adding the member at the front when it is
 * missing), or to null (removing the member). Undefined when the edit cannot be done safely (see
 * topLevelMembers, or an edited key that appears twice): the caller then re-serialises instead.
 */
export function editTopLevel(buf: Uint8Array, edits: Readonly<Record<string, string | null>>): Buffer | undefined {
  const layout = topLevelMembers(buf);
  if (layout === undefined) return undefined;
  const { members } = layout;
  const cuts: { start: number; end: number; text: string }[] = [];
  const added: string[] = [];
  let removed = 0;
  for (const [key, value] of Object.entries(edits)) {
    let at = -1;
    for (let m = 0; m < members.length; m++) {
      if (members[m]!.key !== key) continue;
      if (at !== -1) return undefined; // a duplicate key: JSON.parse kept the last one; do not guess
      at = m;
    }
    if (at === -1) {
      if (value !== null) added.push(`${JSON.stringify(key)}:${value}`);
      continue;
    }
    const m = members[at]!;
    if (value !== null) {
      cuts.push({ start: m.valueStart, end: m.valueEnd, text: value });
      continue;
    }
    removed++;
    // Take one neighbouring comma with the member: the following one, or for the last member the one before.
    if (at + 1 < members.length) cuts.push({ start: m.start, end: members[at + 1]!.start, text: '' });
    else if (at > 0) cuts.push({ start: members[at - 1]!.valueEnd, end: m.valueEnd, text: '' });
    else cuts.push({ start: m.start, end: m.valueEnd, text: '' });
  }
  if (added.length > 0) {
    const more = members.length - removed > 0 ? ',' : '';
    cuts.push({ start: layout.open + 1, end: layout.open + 1, text: added.join(',') + more });
  }
  cuts.sort((a, b) => a.start - b.start || a.end - b.end);
  const pieces: Uint8Array[] = [];
  let pos = 0;
  for (const c of cuts) {
    if (c.start < pos) return undefined; // overlapping edits (removing two neighbours): not worth the cleverness
    pieces.push(buf.subarray(pos, c.start));
    if (c.text) pieces.push(Buffer.from(c.text, 'utf8'));
    pos = c.end;
  }
  pieces.push(buf.subarray(pos));
  return Buffer.concat(pieces);
}

/**
 * The JSON text of the object value of the top-level member `key`, located from the END of `buf`
 * without parsing the rest: the last `"key"` that is a real key (after `{` or `,`), followed by `:` and
 * an object, whose closing brace leaves only the top-level object's own remaining members and its
 * closing `}`. Undefined when that does not hold (the member is missing, null, nested, or the text is
 * malformed): the caller then parses the whole body.
 */
export function topLevelObjectFromEnd(buf: Uint8Array, key: string): string | undefined {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const needle = JSON.stringify(key);
  const at = b.lastIndexOf(needle);
  if (at <= 0) return undefined;
  let k = at - 1;
  while (k > 0 && isWs(b[k])) k--;
  if (b[k] !== COMMA && b[k] !== LBRACE) return undefined;
  let j = skipWs(b, at + Buffer.byteLength(needle));
  if (b[j] !== COLON) return undefined;
  j = skipWs(b, j + 1);
  if (b[j] !== LBRACE) return undefined;
  const end = jsonValueEnd(b, j);
  if (end === -1 || !closesTopLevel(b, end)) return undefined;
  return b.toString('utf8', j, end);
}

/** From `from` (outside any string, inside the container), the container closes exactly at the last byte of the text. */
function closesTopLevel(buf: Uint8Array, from: number): boolean {
  let depth = 0;
  for (let j = from; j < buf.length; j++) {
    const b = buf[j];
    if (b === QUOTE) {
      const end = jsonStringEnd(buf, j);
      if (end === -1) return false;
      j = end - 1;
    } else if (b === LBRACE || b === LBRACK) depth++;
    else if (b === RBRACE || b === RBRACK) {
      if (depth > 0) {
        depth--;
        continue;
      }
      return b === RBRACE && skipWs(buf, j + 1) === buf.length;
    }
  }
  return false;
}
