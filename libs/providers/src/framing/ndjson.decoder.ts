import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecodeError,
  type FrameDecoder,
  type FrameDecoderOptions,
} from './framing.types';

const LF = 0x0a;
const CR = 0x0d;

function isBlank(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR && b !== LF) return false;
  }
  return true;
}

/**
 * Newline-delimited JSON: one value per line, `\n` or `\r\n`, blank lines skipped, a last line without a
 * newline completed by end(). Only the bytes of the current line are kept, and each byte is scanned once.
 */
export function createNdjsonDecoder(opts: FrameDecoderOptions = {}): FrameDecoder<unknown> {
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  /** Pieces of the line not yet terminated. */
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let failed: FrameDecodeError | undefined;
  let lineNo = 0;

  function fail(code: 'invalid_json' | 'frame_too_large', message: string, events: unknown[]): never {
    failed = new FrameDecodeError('ndjson', code, message, events);
    pending = [];
    throw failed;
  }

  function emitLine(tail: Uint8Array, out: unknown[]): void {
    lineNo++;
    let line = tail;
    if (pending.length > 0) {
      pending.push(tail);
      line = Buffer.concat(pending, pendingBytes + tail.length);
      pending = [];
      pendingBytes = 0;
    }
    if (line.length > max) fail('frame_too_large', `NDJSON line ${lineNo} is longer than ${max} bytes.`, out);
    if (isBlank(line)) return;
    let value: unknown;
    try {
      value = JSON.parse(decoder.decode(line));
    } catch {
      fail('invalid_json', `NDJSON line ${lineNo} is not JSON (or not UTF-8).`, out);
    }
    out.push(value);
  }

  return {
    push(bytes) {
      if (failed) throw failed;
      const out: unknown[] = [];
      let start = 0;
      for (let nl = bytes.indexOf(LF); nl !== -1; nl = bytes.indexOf(LF, start)) {
        // A trailing \r is whitespace to JSON.parse, so \r\n needs no special case even when split.
        emitLine(bytes.subarray(start, nl), out);
        start = nl + 1;
      }
      if (start < bytes.length) {
        const rest = bytes.subarray(start);
        pendingBytes += rest.length;
        if (pendingBytes > max) fail('frame_too_large', `NDJSON line ${lineNo + 1} is longer than ${max} bytes.`, out);
        // Copy: the caller may reuse its buffer once push returns.
        pending.push(Uint8Array.from(rest));
      }
      return out;
    },
    end() {
      if (failed) throw failed;
      const out: unknown[] = [];
      if (pending.length > 0) emitLine(new Uint8Array(0), out);
      return out;
    },
  };
}
