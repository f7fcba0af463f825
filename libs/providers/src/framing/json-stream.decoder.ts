import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecodeError,
  type FrameDecoder,
  type FrameDecoderOptions,
} from './framing.types';

import { BACKSLASH, COMMA, isWs, LBRACE, LBRACK, QUOTE, RBRACE, RBRACK } from '../json/json-bytes';

/** Where the decoder is in the top-level document. */
type Phase =
  /** Before the first non-whitespace byte. */
  | 'start'
  /** Inside the top-level array, before an element or `]` (`first`: no element yet, so `]` may close it). */
  | 'before-element'
  /** Inside an element (see `depth`, `inString`, `escaped`). */
  | 'element'
  /** After an element of the array: `,` or `]`. */
  | 'after-element'
  /** The document is complete: only whitespace may follow. */
  | 'done';

/**
 * A JSON document streamed as it is written: a top-level array whose elements are yielded as soon as each
 * is complete (Gemini's `streamGenerateContent` without `alt=sse` writes `[{...}\n,\r\n{...}]`), or a
 * single top-level value, yielded once. Each byte is examined once, whatever the split: the scanner keeps
 * its position (nesting depth, inside a string, after a backslash) between pushes and only the bytes of the
 * current element are buffered. Structural characters are ASCII and never occur inside a UTF-8 multi-byte
 * sequence, so scanning bytes is safe; an element is decoded as UTF-8 only once it is complete.
 */
export function createJsonStreamDecoder(opts: FrameDecoderOptions = {}): FrameDecoder<unknown> {
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let phase: Phase = 'start';
  /** The top level is an array (elements are yielded) rather than a single value. */
  let inArray = false;
  let sawElement = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** The current element is a bare number or literal: it ends at a delimiter, not at a bracket. */
  let bare = false;
  let pieces: Uint8Array[] = [];
  let pieceBytes = 0;
  let elementNo = 0;
  let failed: FrameDecodeError | undefined;

  function fail(
    code: 'invalid_json' | 'invalid_frame' | 'frame_too_large' | 'truncated',
    message: string,
    events: unknown[],
  ): never {
    failed = new FrameDecodeError('json', code, message, events);
    pieces = [];
    throw failed;
  }

  function complete(bytes: Uint8Array, from: number, to: number, out: unknown[]): void {
    elementNo++;
    let text = bytes.subarray(from, to);
    if (pieces.length > 0) {
      pieces.push(text);
      text = Buffer.concat(pieces, pieceBytes + text.length);
      pieces = [];
      pieceBytes = 0;
    }
    if (text.length > max) fail('frame_too_large', `JSON element ${elementNo} is larger than ${max} bytes.`, out);
    try {
      out.push(JSON.parse(decoder.decode(text)));
    } catch {
      fail('invalid_json', `JSON element ${elementNo} is not valid JSON (or not UTF-8).`, out);
    }
    sawElement = true;
    phase = inArray ? 'after-element' : 'done';
  }

  function beginElement(b: number): void {
    phase = 'element';
    depth = 0;
    inString = false;
    escaped = false;
    bare = false;
    if (b === LBRACE || b === LBRACK) depth = 1;
    else if (b === QUOTE) inString = true;
    else bare = true;
  }

  function push(bytes: Uint8Array): unknown[] {
    if (failed) throw failed;
    const out: unknown[] = [];
    let elementStart = phase === 'element' ? 0 : -1;
    const n = bytes.length;
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      switch (phase) {
        case 'start':
          if (isWs(b)) continue;
          if (b === LBRACK) {
            inArray = true;
            phase = 'before-element';
            continue;
          }
          beginElement(b);
          elementStart = i;
          continue;
        case 'before-element':
          if (isWs(b)) continue;
          if (b === RBRACK && !sawElement) {
            phase = 'done';
            continue;
          }
          if (b === COMMA || b === RBRACK || b === RBRACE) {
            fail(
              'invalid_frame',
              `Unexpected "${String.fromCharCode(b)}" where a JSON array element should start.`,
              out,
            );
          }
          beginElement(b);
          elementStart = i;
          continue;
        case 'after-element':
          if (isWs(b)) continue;
          if (b === COMMA) phase = 'before-element';
          else if (b === RBRACK) phase = 'done';
          else fail('invalid_frame', `Expected "," or "]" after JSON array element ${elementNo}.`, out);
          continue;
        case 'done':
          if (isWs(b)) continue;
          fail('invalid_frame', 'Bytes follow the end of the JSON document.', out);
          break;
        case 'element':
          break;
      }
      // Inside an element, past its first byte (beginElement took that one).
      if (bare) {
        if (isWs(b) || b === COMMA || b === RBRACK || b === RBRACE) {
          complete(bytes, elementStart, i, out);
          elementStart = -1;
          i--; // the delimiter belongs to the array
        }
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (b === BACKSLASH) escaped = true;
        else if (b === QUOTE) {
          inString = false;
          if (depth === 0) {
            complete(bytes, elementStart, i + 1, out);
            elementStart = -1;
          }
        }
        continue;
      }
      if (b === QUOTE) inString = true;
      else if (b === LBRACE || b === LBRACK) depth++;
      else if (b === RBRACE || b === RBRACK) {
        if (--depth === 0) {
          complete(bytes, elementStart, i + 1, out);
          elementStart = -1;
        }
      }
    }
    if (phase === 'element' && elementStart !== -1 && elementStart < n) {
      const rest = bytes.subarray(elementStart);
      pieceBytes += rest.length;
      if (pieceBytes > max) fail('frame_too_large', `JSON element ${elementNo + 1} is larger than ${max} bytes.`, out);
      pieces.push(Uint8Array.from(rest));
    }
    return out;
  }

  return {
    push,
    end() {
      if (failed) throw failed;
      const out: unknown[] = [];
      // A bare top-level value (`42`) has no closing delimiter: the end of the body is its end.
      if (phase === 'element' && bare && !inArray) {
        complete(new Uint8Array(0), 0, 0, out);
        return out;
      }
      if (phase !== 'done') {
        fail(
          'truncated',
          phase === 'start'
            ? 'The body ended before any JSON value.'
            : `The body ended inside the JSON document (after ${elementNo} complete elements).`,
          out,
        );
      }
      return out;
    },
  };
}
