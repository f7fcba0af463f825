import { crc32 } from './crc32';
import {
  DEFAULT_MAX_FRAME_BYTES,
  FrameDecodeError,
  type AwsEventStreamMessage,
  type AwsHeaderValue,
  type FrameDecodeErrorCode,
  type FrameDecoder,
  type FrameDecoderOptions,
} from './framing.types';

/*
 * The `application/vnd.amazon.eventstream` framing. Every message:
 *   total length u32 BE | headers length u32 BE | prelude CRC32 (of the 8 bytes before it)
 *   headers | payload | message CRC32 (of every byte before it)
 * A header: name length u8, name (UTF-8), value type u8, value (see AWS_HEADER_TYPE).
 */

export const AWS_PRELUDE_BYTES = 12;
/** Prelude plus the trailing message CRC: the size of a message with no headers and no payload. */
export const AWS_MIN_MESSAGE_BYTES = 16;

/** Wire codes of header value types. */
export const AWS_HEADER_TYPE = {
  boolTrue: 0,
  boolFalse: 1,
  byte: 2,
  short: 3,
  integer: 4,
  long: 5,
  binary: 6,
  string: 7,
  timestamp: 8,
  uuid: 9,
} as const;

class HeaderError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Parses the header block of one message (`bytes` is exactly that block). */
export function parseAwsHeaders(bytes: Uint8Array): Record<string, AwsHeaderValue> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headers = Object.create(null) as Record<string, AwsHeaderValue>;
  let at = 0;
  const need = (n: number): void => {
    if (at + n > bytes.length) throw new HeaderError('a header runs past the end of the header block');
  };
  while (at < bytes.length) {
    need(1);
    const nameLen = bytes[at]!;
    at += 1;
    if (nameLen === 0) throw new HeaderError('a header has an empty name');
    need(nameLen + 1);
    const name = utf8.decode(bytes.subarray(at, at + nameLen));
    at += nameLen;
    const type = bytes[at]!;
    at += 1;
    let value: AwsHeaderValue;
    switch (type) {
      case AWS_HEADER_TYPE.boolTrue:
        value = { type: 'boolean', value: true };
        break;
      case AWS_HEADER_TYPE.boolFalse:
        value = { type: 'boolean', value: false };
        break;
      case AWS_HEADER_TYPE.byte:
        need(1);
        value = { type: 'byte', value: view.getInt8(at) };
        at += 1;
        break;
      case AWS_HEADER_TYPE.short:
        need(2);
        value = { type: 'short', value: view.getInt16(at) };
        at += 2;
        break;
      case AWS_HEADER_TYPE.integer:
        need(4);
        value = { type: 'integer', value: view.getInt32(at) };
        at += 4;
        break;
      case AWS_HEADER_TYPE.long:
        need(8);
        value = { type: 'long', value: view.getBigInt64(at) };
        at += 8;
        break;
      case AWS_HEADER_TYPE.timestamp:
        need(8);
        value = { type: 'timestamp', value: view.getBigInt64(at) };
        at += 8;
        break;
      case AWS_HEADER_TYPE.binary:
      case AWS_HEADER_TYPE.string: {
        need(2);
        const len = view.getUint16(at);
        at += 2;
        need(len);
        const raw = bytes.slice(at, at + len);
        at += len;
        value =
          type === AWS_HEADER_TYPE.binary
            ? { type: 'binary', value: raw }
            : { type: 'string', value: utf8.decode(raw) };
        break;
      }
      case AWS_HEADER_TYPE.uuid: {
        need(16);
        const h = hex(bytes.subarray(at, at + 16));
        at += 16;
        value = {
          type: 'uuid',
          value: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
        };
        break;
      }
      default:
        throw new HeaderError(`header "${name}" has unknown value type ${type}`);
    }
    headers[name] = value;
  }
  return headers;
}

/**
 * Decodes the AWS event stream framing (Bedrock's ConverseStream / InvokeModelWithResponseStream). Both
 * CRCs are checked; a message larger than `maxFrameBytes` (16 MiB, the format's own bound) is refused as
 * soon as its prelude says so, before its bytes are buffered. Body pieces are appended to one growing
 * buffer that is compacted when consumed, so decoding is linear in the body size.
 */
export function createAwsEventStreamDecoder(opts: FrameDecoderOptions = {}): FrameDecoder<AwsEventStreamMessage> {
  const max = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let buf = new Uint8Array(0);
  /** Unconsumed bytes are buf[start, end). */
  let start = 0;
  let end = 0;
  let messageNo = 0;
  let failed: FrameDecodeError | undefined;

  function fail(code: FrameDecodeErrorCode, message: string, events: AwsEventStreamMessage[]): never {
    failed = new FrameDecodeError('aws-eventstream', code, message, events);
    buf = new Uint8Array(0);
    start = end = 0;
    throw failed;
  }

  function append(bytes: Uint8Array): void {
    if (end + bytes.length > buf.length) {
      const live = end - start;
      if (live + bytes.length <= buf.length && start > 0) {
        buf.copyWithin(0, start, end);
      } else {
        const grown = new Uint8Array(Math.max(live + bytes.length, buf.length * 2, 4096));
        grown.set(buf.subarray(start, end));
        buf = grown;
      }
      start = 0;
      end = live;
    }
    buf.set(bytes, end);
    end += bytes.length;
  }

  /** Decodes every complete message in the buffer. */
  function drain(out: AwsEventStreamMessage[]): void {
    for (;;) {
      const avail = end - start;
      if (avail < AWS_PRELUDE_BYTES) return;
      const view = new DataView(buf.buffer, buf.byteOffset + start, avail);
      const total = view.getUint32(0);
      const headersLen = view.getUint32(4);
      const n = messageNo + 1;
      if (crc32(buf.subarray(start, start + 8)) !== view.getUint32(8)) {
        fail('bad_prelude_crc', `AWS event stream message ${n}: the prelude CRC does not match.`, out);
      }
      if (total > max)
        fail('frame_too_large', `AWS event stream message ${n} is ${total} bytes, over the ${max} byte bound.`, out);
      if (total < AWS_MIN_MESSAGE_BYTES || headersLen > total - AWS_MIN_MESSAGE_BYTES) {
        fail(
          'invalid_frame',
          `AWS event stream message ${n}: lengths are inconsistent (total ${total}, headers ${headersLen}).`,
          out,
        );
      }
      if (avail < total) return;
      const message = buf.subarray(start, start + total);
      if (crc32(message.subarray(0, total - 4)) !== view.getUint32(total - 4)) {
        fail('bad_message_crc', `AWS event stream message ${n}: the message CRC does not match.`, out);
      }
      let headers: Record<string, AwsHeaderValue>;
      try {
        headers = parseAwsHeaders(message.subarray(AWS_PRELUDE_BYTES, AWS_PRELUDE_BYTES + headersLen));
      } catch (e) {
        fail(
          'invalid_frame',
          `AWS event stream message ${n}: ${e instanceof HeaderError ? e.message : 'a header name or value is not UTF-8'}.`,
          out,
        );
      }
      // A copy: the buffer is reused for the next messages.
      const payload = message.slice(AWS_PRELUDE_BYTES + headersLen, total - 4);
      messageNo = n;
      start += total;
      out.push({ headers, payload });
    }
  }

  return {
    push(bytes) {
      if (failed) throw failed;
      const out: AwsEventStreamMessage[] = [];
      append(bytes);
      drain(out);
      if (start === end) start = end = 0;
      return out;
    },
    end() {
      if (failed) throw failed;
      const left = end - start;
      if (left > 0) {
        fail('truncated', `The body ended ${left} bytes into AWS event stream message ${messageNo + 1}.`, []);
      }
      return [];
    },
  };
}
