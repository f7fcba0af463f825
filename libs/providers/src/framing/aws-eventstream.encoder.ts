import { AWS_HEADER_TYPE } from './aws-eventstream.decoder';
import { crc32 } from './crc32';
import type { AwsEventStreamMessage, AwsHeaderValue } from './framing.types';

/*
 * Writes AWS event stream messages (`application/vnd.amazon.eventstream`), for fake upstreams (Bedrock)
 * and for tests of the decoder. Layout: total length u32 BE, headers length u32 BE, prelude CRC32,
 * headers, payload, message CRC32.
 */

const utf8 = new TextEncoder();

function headerValueBytes(v: AwsHeaderValue): Uint8Array {
  const fixed = (size: number, type: number, write: (view: DataView) => void): Uint8Array => {
    const out = new Uint8Array(1 + size);
    out[0] = type;
    write(new DataView(out.buffer, 1));
    return out;
  };
  const sized = (type: number, bytes: Uint8Array): Uint8Array => {
    if (bytes.length > 0xffff) throw new RangeError(`A ${v.type} header value is at most 65535 bytes.`);
    const out = new Uint8Array(3 + bytes.length);
    out[0] = type;
    new DataView(out.buffer).setUint16(1, bytes.length);
    out.set(bytes, 3);
    return out;
  };
  switch (v.type) {
    case 'boolean':
      return Uint8Array.of(v.value ? AWS_HEADER_TYPE.boolTrue : AWS_HEADER_TYPE.boolFalse);
    case 'byte':
      return fixed(1, AWS_HEADER_TYPE.byte, (d) => d.setInt8(0, v.value));
    case 'short':
      return fixed(2, AWS_HEADER_TYPE.short, (d) => d.setInt16(0, v.value));
    case 'integer':
      return fixed(4, AWS_HEADER_TYPE.integer, (d) => d.setInt32(0, v.value));
    case 'long':
      return fixed(8, AWS_HEADER_TYPE.long, (d) => d.setBigInt64(0, v.value));
    case 'timestamp':
      return fixed(8, AWS_HEADER_TYPE.timestamp, (d) => d.setBigInt64(0, v.value));
    case 'binary':
      return sized(AWS_HEADER_TYPE.binary, v.value);
    case 'string':
      return sized(AWS_HEADER_TYPE.string, utf8.encode(v.value));
    case 'uuid': {
      const hex = v.value.replace(/-/g, '');
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`"${v.value}" is not a UUID.`);
      const out = new Uint8Array(17);
      out[0] = AWS_HEADER_TYPE.uuid;
      out.set(Buffer.from(hex, 'hex'), 1);
      return out;
    }
  }
}

/** The header block of a message, headers in the order of the record's keys. */
export function encodeAwsHeaders(headers: Record<string, AwsHeaderValue>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const nameBytes = utf8.encode(name);
    if (nameBytes.length === 0 || nameBytes.length > 255)
      throw new RangeError(`Header name "${name}" must be 1 to 255 bytes.`);
    parts.push(Uint8Array.of(nameBytes.length), nameBytes, headerValueBytes(value));
  }
  return Buffer.concat(parts);
}

/** One complete message, both CRCs included. */
export function encodeAwsEventStreamMessage(message: AwsEventStreamMessage): Uint8Array {
  const headers = encodeAwsHeaders(message.headers);
  const total = 12 + headers.length + message.payload.length + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headers.length);
  view.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(headers, 12);
  out.set(message.payload, 12 + headers.length);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

/** Shorthands for the headers AWS services put on a stream event and on an exception. */
export const awsHeaders = {
  event: (eventType: string, contentType = 'application/json'): Record<string, AwsHeaderValue> => ({
    ':event-type': { type: 'string', value: eventType },
    ':content-type': { type: 'string', value: contentType },
    ':message-type': { type: 'string', value: 'event' },
  }),
  exception: (exceptionType: string, contentType = 'application/json'): Record<string, AwsHeaderValue> => ({
    ':exception-type': { type: 'string', value: exceptionType },
    ':content-type': { type: 'string', value: contentType },
    ':message-type': { type: 'string', value: 'exception' },
  }),
};

/** A Bedrock-style event message whose payload is `body` as JSON. */
export function encodeAwsJsonEvent(eventType: string, body: unknown): Uint8Array {
  return encodeAwsEventStreamMessage({
    headers: awsHeaders.event(eventType),
    payload: utf8.encode(JSON.stringify(body)),
  });
}
