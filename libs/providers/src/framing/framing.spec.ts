import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { awsHeaders, encodeAwsEventStreamMessage, encodeAwsJsonEvent } from './aws-eventstream.encoder';
import { SseParser } from '../sse/sse.parser';
import { readAwsServiceMessage } from './bedrock-event';
import { crc32, crc32Portable } from './crc32';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import { createFrameDecoder } from './frame-decoder';
import {
  FrameDecodeError,
  type AwsEventStreamMessage,
  type AwsHeaderValue,
  type FrameDecodeErrorCode,
  type FrameDecoder,
  type FramedEvent,
  type StreamFraming,
} from './framing.types';

const fx = (name: string): Buffer => readFileSync(join(__dirname, '__fixtures__', name));
const sseFixture = readFileSync(join(__dirname, '../openai/__fixtures__/chat-stream-with-usage.sse'));
const enc = new TextEncoder();

/** Small deterministic PRNG so a failing split can be reproduced from its seed. */
/** Decodes `pieces` in order; each is pushed as a copy that is scribbled over afterwards, so a decoder that
 * kept a reference to a caller's buffer instead of copying would fail. */
function decodeAll<F extends StreamFraming>(
  framing: F,
  pieces: Uint8Array[],
  maxFrameBytes?: number,
): FramedEvent[F][] {
  const d = createFrameDecoder(framing, { maxFrameBytes });
  const out: FramedEvent[F][] = [];
  for (const p of pieces) {
    const piece = Uint8Array.from(p);
    out.push(...d.push(piece));
    piece.fill(0xff);
  }
  out.push(...d.end());
  return out;
}

function decodeError(run: () => unknown): FrameDecodeError {
  try {
    run();
  } catch (e) {
    if (e instanceof FrameDecodeError) return e;
    throw e;
  }
  throw new Error('expected a FrameDecodeError');
}

function expectSameForAnySplit<F extends StreamFraming>(framing: F, bytes: Uint8Array, seeds = 200): FramedEvent[F][] {
  const whole = decodeAll(framing, [Uint8Array.from(bytes)]);
  for (let seed = 1; seed <= seeds; seed++) {
    const maxPiece = 1 + (seed % 23);
    expect(decodeAll(framing, splitAtRandom(bytes, seed, maxPiece)), `seed ${seed}`).toEqual(whole);
  }
  return whole;
}

function expectFailure(
  framing: StreamFraming,
  bytes: Uint8Array,
  code: FrameDecodeErrorCode,
  maxFrameBytes?: number,
): FrameDecodeError {
  const err = decodeError(() => decodeAll(framing, [bytes], maxFrameBytes));
  expect(err.code).toBe(code);
  expect(err.framing).toBe(framing);
  // Split anywhere, the same fault is found.
  for (let seed = 1; seed <= 30; seed++) {
    const e = decodeError(() => decodeAll(framing, splitAtRandom(bytes, seed, 1 + (seed % 7)), maxFrameBytes));
    expect(e.code, `seed ${seed}`).toBe(code);
  }
  return err;
}

describe('createFrameDecoder: sse', () => {
  it('yields what SseParser yields, in any split', () => {
    const p = new SseParser();
    const direct = [...p.push(sseFixture), ...p.end()];
    const events = expectSameForAnySplit('sse', sseFixture);
    expect(events).toEqual(direct);
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(events[2]!.data).toContain('wörld 🌍');
  });
});

describe('createFrameDecoder: ndjson', () => {
  const body = fx('ollama-chat.ndjson');

  it('yields one value per line (\\n or \\r\\n, blank lines skipped, last line without newline), in any split', () => {
    const events = expectSameForAnySplit('ndjson', body) as Array<{ message: { content: string }; done: boolean }>;
    expect(events.map((e) => e.message.content)).toEqual(['Héllo', ' 日本語 🌍\n', '']);
    expect(events.at(-1)!.done).toBe(true);
  });

  it('reports a line that is not JSON as invalid_json, with the values before it', () => {
    const err = expectFailure('ndjson', enc.encode('{"a":1}\n<html>bad gateway</html>\n{"a":2}\n'), 'invalid_json');
    expect(err.events).toEqual([{ a: 1 }]);
    expect(err.message).toContain('line 2');
  });

  it('reports a last line that is cut short as invalid_json at end()', () => {
    const d = createFrameDecoder('ndjson');
    expect(d.push(enc.encode('{"a":1}\n{"a":'))).toEqual([{ a: 1 }]);
    expect(decodeError(() => d.end()).code).toBe('invalid_json');
  });

  it('refuses a line longer than the bound, even before it ends', () => {
    expectFailure('ndjson', enc.encode(`{"a":"${'x'.repeat(100)}"}\n`), 'frame_too_large', 64);
    const d = createFrameDecoder('ndjson', { maxFrameBytes: 64 });
    expect(decodeError(() => d.push(enc.encode('x'.repeat(65)))).code).toBe('frame_too_large');
  });

  it('stays failed after a fault', () => {
    const d = createFrameDecoder('ndjson');
    const first = decodeError(() => d.push(enc.encode('nope\n')));
    expect(decodeError(() => d.push(enc.encode('{}\n')))).toBe(first);
    expect(decodeError(() => d.end())).toBe(first);
  });

  it('rejects bytes that are not UTF-8', () => {
    expectFailure('ndjson', Uint8Array.of(0x22, 0xc3, 0x28, 0x22, 0x0a), 'invalid_json');
  });
});

describe('createFrameDecoder: json (streamed array)', () => {
  const body = fx('gemini-stream.json');
  type Gemini = { candidates: Array<{ content: { parts: Array<{ text: string }> }; finishReason?: string }> };

  it('yields each element of a Gemini stream, strings with brackets, escapes and UTF-8 intact, in any split', () => {
    const events = expectSameForAnySplit('json', body) as Gemini[];
    expect(events).toEqual(JSON.parse(body.toString('utf8')));
    expect(events.map((e) => e.candidates[0]!.content.parts[0]!.text)).toEqual([
      'Hé [brackets] {braces} \\"quoted\\" \\\\',
      ' 日本語 🌍 ]}"',
    ]);
  });

  it('yields an element as soon as it is complete, before the array closes', () => {
    const d = createFrameDecoder('json');
    expect(d.push(enc.encode('[{"a":[1,{"b":"}"}]}'))).toEqual([{ a: [1, { b: '}' }] }]);
    expect(d.push(enc.encode('\n,\r\n{"a"'))).toEqual([]);
    expect(d.push(enc.encode(':2}'))).toEqual([{ a: 2 }]);
    expect(d.push(enc.encode(']\n'))).toEqual([]);
    expect(d.end()).toEqual([]);
  });

  it('accepts scalar elements, an empty array and a single top-level object', () => {
    expectSameForAnySplit('json', enc.encode(' [1, "a]\\"b", true ,null,-2.5e3 ,[[]] ]'), 50);
    expect(decodeAll('json', [enc.encode(' [1, "a]\\"b", true ,null,-2.5e3 ,[[]] ]')])).toEqual([
      1,
      'a]"b',
      true,
      null,
      -2500,
      [[]],
    ]);
    expect(decodeAll('json', [enc.encode('[ ]')])).toEqual([]);
    const single = enc.encode('{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}\n');
    expect(expectSameForAnySplit('json', single, 50)).toEqual([JSON.parse(new TextDecoder().decode(single))]);
    expect(decodeAll('json', [enc.encode('42')])).toEqual([42]);
  });

  it('reports a body cut inside the document as truncated, with the elements before it', () => {
    const cut = body.subarray(0, body.length - 30);
    const err = expectFailure('json', cut, 'truncated');
    expect(err.events).toHaveLength(0); // the first element completed in an earlier call
    const d = createFrameDecoder('json');
    expect(d.push(cut)).toHaveLength(1);
    expect(decodeError(() => d.end()).code).toBe('truncated');
    expectFailure('json', enc.encode('[{"a":1}'), 'truncated');
    expectFailure('json', enc.encode('[{"a":1},'), 'truncated');
    expectFailure('json', new Uint8Array(0), 'truncated');
  });

  it('reports garbage, a bad separator and trailing bytes as typed errors', () => {
    expectFailure('json', enc.encode('<html><body>502 Bad Gateway</body></html>'), 'invalid_json');
    expectFailure('json', enc.encode('[{"a":1} {"a":2}]'), 'invalid_frame');
    expectFailure('json', enc.encode('[,{"a":1}]'), 'invalid_frame');
    expectFailure('json', enc.encode('[{"a":1}] x'), 'invalid_frame');
    expectFailure('json', enc.encode('[{"a":tru}]'), 'invalid_json');
  });

  it('refuses an element larger than the bound', () => {
    expectFailure('json', enc.encode(`[{"a":"${'x'.repeat(100)}"}]`), 'frame_too_large', 64);
  });

  it('stays linear when a large element arrives one byte at a time', () => {
    const big = enc.encode(JSON.stringify([{ text: 'é\\"'.repeat(60_000) }, { n: 1 }]));
    const d = createFrameDecoder('json');
    const t0 = performance.now();
    const out: unknown[] = [];
    for (let i = 0; i < big.length; i++) out.push(...d.push(big.subarray(i, i + 1)));
    out.push(...d.end());
    expect(out).toHaveLength(2);
    // Quadratic rescanning of ~300 KB byte by byte would take minutes; linear takes well under a second.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });
});

describe('createFrameDecoder: aws-eventstream', () => {
  type Vector = {
    hex: string;
    headers: Record<string, { type: 'integer' | 'string'; value: number | string }>;
    payloadHex: string;
  };
  const vectors = JSON.parse(fx('aws-eventstream-vectors.json').toString('utf8')) as {
    valid: Record<string, Vector>;
    invalid: Record<string, { hex: string; code: FrameDecodeErrorCode }>;
  };
  const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h, 'hex'));

  for (const [name, v] of Object.entries(vectors.valid)) {
    it(`decodes the public test vector ${name}`, () => {
      const [message, ...rest] = expectSameForAnySplit('aws-eventstream', hex(v.hex), 40);
      expect(rest).toEqual([]);
      expect({ ...message!.headers }).toEqual(v.headers);
      expect(Buffer.from(message!.payload).toString('hex')).toBe(v.payloadHex);
      // The encoder writes the same bytes back.
      expect(Buffer.from(encodeAwsEventStreamMessage(message!)).toString('hex')).toBe(v.hex);
    });
  }

  for (const [name, v] of Object.entries(vectors.invalid)) {
    it(`rejects the public negative test vector ${name} (${v.code})`, () => {
      expectFailure('aws-eventstream', hex(v.hex), v.code);
    });
  }

  const allHeaders: Record<string, AwsHeaderValue> = {
    'bool-true': { type: 'boolean', value: true },
    'bool-false': { type: 'boolean', value: false },
    byte: { type: 'byte', value: -7 },
    short: { type: 'short', value: -12_345 },
    int: { type: 'integer', value: 2_000_000_000 },
    long: { type: 'long', value: -9_007_199_254_740_993n },
    bytes: { type: 'binary', value: Uint8Array.of(0, 1, 254, 255) },
    string: { type: 'string', value: 'héllo 🌍' },
    time: { type: 'timestamp', value: 1_721_296_800_123n },
    uuid: { type: 'uuid', value: '0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9' },
  };
  const first = encodeAwsEventStreamMessage({ headers: allHeaders, payload: enc.encode('{"ok":true}') });
  const stream = Buffer.concat([
    first,
    encodeAwsJsonEvent('messageStart', { role: 'assistant' }),
    encodeAwsJsonEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Héllo 日本語 🌍' } }),
    encodeAwsEventStreamMessage({ headers: {}, payload: new Uint8Array(0) }),
    encodeAwsJsonEvent('messageStop', { stopReason: 'end_turn' }),
  ]);

  it('decodes every header type and several messages, in any split', () => {
    const messages = expectSameForAnySplit('aws-eventstream', stream);
    expect(messages).toHaveLength(5);
    expect({ ...messages[0]!.headers }).toEqual(allHeaders);
    const delta = JSON.parse(new TextDecoder().decode(messages[2]!.payload)) as { delta: { text: string } };
    expect(delta.delta.text).toBe('Héllo 日本語 🌍');
    expect(messages[3]!.payload).toHaveLength(0);
  });

  it('reports a body cut mid-message as truncated, with the messages before it', () => {
    const d = createFrameDecoder('aws-eventstream');
    expect(d.push(stream.subarray(0, first.length + 5))).toHaveLength(1);
    const err = decodeError(() => d.end());
    expect(err.code).toBe('truncated');
    expectFailure('aws-eventstream', stream.subarray(0, stream.length - 1), 'truncated');
  });

  it('checks both CRCs', () => {
    const one = Uint8Array.from(encodeAwsJsonEvent('messageStop', { stopReason: 'end_turn' }));
    const badPrelude = Uint8Array.from(one);
    badPrelude[9]! ^= 1;
    expectFailure('aws-eventstream', badPrelude, 'bad_prelude_crc');
    const badPayload = Uint8Array.from(one);
    badPayload[one.length - 10]! ^= 0x20;
    const err = expectFailure('aws-eventstream', Buffer.concat([one, badPayload]), 'bad_message_crc');
    expect(err.events).toHaveLength(1);
  });

  it('refuses a message over the 16 MiB bound from its prelude alone', () => {
    const prelude = new Uint8Array(12);
    const view = new DataView(prelude.buffer);
    view.setUint32(0, 16 * 1024 * 1024 + 1);
    view.setUint32(4, 0);
    view.setUint32(8, crc32(prelude.subarray(0, 8)));
    expectFailure('aws-eventstream', prelude, 'frame_too_large');
    expectFailure('aws-eventstream', encodeAwsJsonEvent('x', { a: 'y'.repeat(100) }), 'frame_too_large', 64);
  });

  it('refuses inconsistent lengths, unknown header types and garbage', () => {
    const prelude = new Uint8Array(16);
    const view = new DataView(prelude.buffer);
    view.setUint32(0, 16);
    view.setUint32(4, 4);
    view.setUint32(8, crc32(prelude.subarray(0, 8)));
    expectFailure('aws-eventstream', prelude, 'invalid_frame');

    const msg = Uint8Array.from(
      encodeAwsEventStreamMessage({ headers: { a: { type: 'byte', value: 1 } }, payload: new Uint8Array(0) }),
    );
    msg[14] = 42; // the header's type byte
    new DataView(msg.buffer).setUint32(msg.length - 4, crc32(msg.subarray(0, msg.length - 4)));
    expect(expectFailure('aws-eventstream', msg, 'invalid_frame').message).toContain('unknown value type 42');

    expectFailure('aws-eventstream', enc.encode('<html><body>502 Bad Gateway</body></html>'), 'bad_prelude_crc');
  });

  it('reads the AWS service conventions: event, exception, error', () => {
    const [event, exception, error] = decodeAll('aws-eventstream', [
      Buffer.concat([
        encodeAwsJsonEvent('contentBlockDelta', { delta: { text: 'hi' } }),
        encodeAwsEventStreamMessage({
          headers: awsHeaders.exception('throttlingException'),
          payload: enc.encode('{"message":"slow down"}'),
        }),
        encodeAwsEventStreamMessage({
          headers: {
            ':message-type': { type: 'string', value: 'error' },
            ':error-code': { type: 'string', value: 'InternalFailure' },
            ':error-message': { type: 'string', value: 'oops' },
          },
          payload: new Uint8Array(0),
        }),
      ]),
    ]);
    expect(readAwsServiceMessage(event!)).toMatchObject({
      messageType: 'event',
      eventType: 'contentBlockDelta',
      contentType: 'application/json',
    });
    expect(readAwsServiceMessage(exception!)).toMatchObject({
      messageType: 'exception',
      exceptionType: 'throttlingException',
    });
    expect(readAwsServiceMessage(error!)).toMatchObject({
      messageType: 'error',
      errorCode: 'InternalFailure',
      errorMessage: 'oops',
    });
    const bare: AwsEventStreamMessage = { headers: {}, payload: new Uint8Array(0) };
    expect(decodeError(() => readAwsServiceMessage(bare)).code).toBe('invalid_frame');
  });

  it('computes CRC-32 natively and by table alike', () => {
    const data = enc.encode('The quick brown fox jumps over the lazy dog');
    expect(crc32(data)).toBe(0x414fa339);
    expect(crc32Portable(data)).toBe(0x414fa339);
    expect(crc32Portable(data.subarray(10), crc32Portable(data.subarray(0, 10)))).toBe(0x414fa339);
  });
});

describe('createFrameDecoder typing', () => {
  it('gives each framing its own event type', () => {
    const sse: FrameDecoder<{ data: string }> = createFrameDecoder('sse');
    const aws: FrameDecoder<AwsEventStreamMessage> = createFrameDecoder('aws-eventstream');
    expect(sse.push(enc.encode('data: x\n\n'))[0]!.data).toBe('x');
    expect(aws.end()).toEqual([]);
  });
});
