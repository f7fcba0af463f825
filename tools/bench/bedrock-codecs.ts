/**
 * What Bedrock costs the translator per request, measured in process (no network):
 * - the AWS event-stream decoder: the repo's own (framing/aws-eventstream.decoder.ts) against
 *   @smithy/eventstream-codec's EventStreamCodec, fed the same ConverseStream body whole and in pieces,
 *   checked for identical output first (and on the public test vectors);
 * - SigV4 signing of one request (@smithy/signature-v4, as the adapter signs) at several body sizes.
 *
 *   node dist/tools/bench/bedrock-codecs.js [--events 2000] [--rounds 30]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { getChunkedStream } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import {
  awsHeaders,
  chatInput,
  createAwsEventStreamDecoder,
  encodeAwsEventStreamMessage,
  FrameDecodeError,
  signBedrockRequest,
  bedrockAdapter,
  type AwsEventStreamMessage,
  type AwsHeaderValue,
  type FrameDecoder,
} from '@switchyard/providers';
import { repoRoot } from '@switchyard/testing';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

/** A ConverseStream body like Bedrock's: text deltas with `p` padding, a tool use, stop and metadata. */
function converseStream(events: number): Uint8Array {
  const frames: Uint8Array[] = [];
  const ev = (type: string, body: unknown) =>
    frames.push(
      encodeAwsEventStreamMessage({ headers: awsHeaders.event(type), payload: Buffer.from(JSON.stringify(body)) }),
    );
  ev('messageStart', { role: 'assistant', p: 'abcdefghijklmnopq' });
  for (let i = 0; i < events; i++)
    ev('contentBlockDelta', {
      contentBlockIndex: 0,
      delta: { text: ` token${i} héllo` },
      p: 'abcdefghij'.slice(0, i % 10),
    });
  ev('contentBlockStop', { contentBlockIndex: 0, p: 'abc' });
  ev('messageStop', { stopReason: 'end_turn', p: 'abcdef' });
  ev('metadata', {
    usage: { inputTokens: 10, outputTokens: events, totalTokens: events + 10 },
    metrics: { latencyMs: 5 },
  });
  return Buffer.concat(frames);
}

/**
 * @smithy/eventstream-codec behind the repo's FrameDecoder interface. Its codec decodes one whole message,
 * so message boundaries are found here (by the prelude's total length, as the SDK's getChunkedStream does);
 * headers are converted to the repo's tagged values.
 */
function createSmithyDecoder(): FrameDecoder<AwsEventStreamMessage> {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  let buf = Buffer.alloc(0);
  const convert = (headers: Record<string, { type: string; value: unknown }>): Record<string, AwsHeaderValue> => {
    const out: Record<string, AwsHeaderValue> = {};
    for (const [k, h] of Object.entries(headers)) {
      if (h.type === 'long') out[k] = { type: 'long', value: BigInt((h.value as { toString(): string }).toString()) };
      else if (h.type === 'timestamp') out[k] = { type: 'timestamp', value: BigInt((h.value as Date).getTime()) };
      else if (h.type === 'binary') out[k] = { type: 'binary', value: Uint8Array.from(h.value as Uint8Array) };
      else out[k] = h as AwsHeaderValue;
    }
    return out;
  };
  return {
    push(bytes) {
      buf = buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([buf, bytes]);
      const out: AwsEventStreamMessage[] = [];
      let at = 0;
      while (buf.length - at >= 4) {
        const total = buf.readUInt32BE(at);
        if (buf.length - at < total) break;
        const m = codec.decode(buf.subarray(at, at + total));
        out.push({ headers: convert(m.headers as never), payload: Uint8Array.from(m.body) });
        at += total;
      }
      buf = buf.subarray(at);
      return out;
    },
    end() {
      if (buf.length > 0)
        throw new FrameDecodeError('aws-eventstream', 'truncated', 'Truncated event message received.');
      return [];
    },
  };
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function decodeAll(make: () => FrameDecoder<AwsEventStreamMessage>, parts: Uint8Array[]): AwsEventStreamMessage[] {
  const d = make();
  const out: AwsEventStreamMessage[] = [];
  for (const p of parts) out.push(...d.push(p));
  out.push(...d.end());
  return out;
}

function sameMessages(a: AwsEventStreamMessage[], b: AwsEventStreamMessage[]): boolean {
  if (a.length !== b.length) return false;
  const norm = (m: AwsEventStreamMessage) =>
    JSON.stringify({ h: m.headers, p: Buffer.from(m.payload).toString('base64') }, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
    );
  return a.every((m, i) => norm(m) === norm(b[i]!));
}

function time(label: string, rounds: number, bytes: number, run: () => void): number {
  for (let i = 0; i < 3; i++) run();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) run();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
  console.log(
    `  ${label.padEnd(48)} ${ms.toFixed(2).padStart(8)} ms   ${(bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(5)} MB/s`,
  );
  return ms;
}

async function main(): Promise<void> {
  const events = arg('events', 2000);
  const rounds = arg('rounds', 30);
  const body = converseStream(events);
  console.log(`==> AWS event stream: ${events + 4} messages, ${(body.length / 1024).toFixed(0)} KiB`);

  // Correctness: same messages, whole and split, and the public test vectors (valid and corrupt).
  const ours = decodeAll(createAwsEventStreamDecoder, [body]);
  for (const size of [body.length, 4096, 1000, 64, 7, 1]) {
    const parts = pieces(body, size);
    if (!sameMessages(decodeAll(createAwsEventStreamDecoder, parts), ours))
      throw new Error(`repo decoder differs at ${size}-byte pieces`);
    if (!sameMessages(decodeAll(createSmithyDecoder, parts), ours))
      throw new Error(`@smithy decoder differs at ${size}-byte pieces`);
  }
  const vectors = JSON.parse(
    readFileSync(join(repoRoot(), 'libs/providers/src/framing/__fixtures__/aws-eventstream-vectors.json'), 'utf8'),
  ) as { valid: Record<string, { hex: string }>; invalid: Record<string, { hex: string; code: string }> };
  for (const [name, v] of Object.entries(vectors.valid)) {
    const bytes = Buffer.from(v.hex, 'hex');
    if (!sameMessages(decodeAll(createSmithyDecoder, [bytes]), decodeAll(createAwsEventStreamDecoder, [bytes])))
      throw new Error(`vector ${name} decodes differently`);
  }
  for (const [name, v] of Object.entries(vectors.invalid)) {
    const bytes = Buffer.from(v.hex, 'hex');
    const outcome = (make: () => FrameDecoder<AwsEventStreamMessage>) => {
      try {
        decodeAll(make, [bytes]);
        return 'accepted';
      } catch (e) {
        return e instanceof FrameDecodeError ? e.code : `threw: ${(e as Error).message.slice(0, 60)}`;
      }
    };
    console.log(
      `  corrupt vector ${name.padEnd(28)} repo: ${outcome(createAwsEventStreamDecoder).padEnd(18)} @smithy: ${outcome(createSmithyDecoder)}`,
    );
  }
  // A garbled length (a 4 GiB message announced): the repo refuses it from the prelude; the SDK's chunker
  // allocates a buffer of the announced size before any check.
  const garbled = Buffer.from(body.subarray(0, 64));
  garbled.writeUInt32BE(0xfffffff0, 0);
  let sdkChunker = 'waits for the announced bytes';
  try {
    const chunks = getChunkedStream(
      (async function* () {
        yield garbled;
      })(),
    );
    for await (const _ of chunks) break;
  } catch (e) {
    sdkChunker = `throws: ${(e as Error).message.slice(0, 70)}`;
  }
  let repo = 'accepted';
  try {
    decodeAll(createAwsEventStreamDecoder, [garbled]);
  } catch (e) {
    repo = (e as FrameDecodeError).code;
  }
  console.log(`  garbled length (0xfffffff0)            repo: ${repo.padEnd(18)} SDK chunker: ${sdkChunker}`);
  console.log('  output identical on the body (6 split sizes) and every valid vector\n');

  console.log('==> decode speed (mean of rounds)');
  for (const size of [body.length, 16_384, 1024, 64]) {
    const parts = pieces(body, size);
    const label = size === body.length ? 'whole body' : `${size}-byte pieces`;
    const a = time(`repo decoder, ${label}`, rounds, body.length, () => decodeAll(createAwsEventStreamDecoder, parts));
    const b = time(`@smithy EventStreamCodec, ${label}`, rounds, body.length, () =>
      decodeAll(createSmithyDecoder, parts),
    );
    console.log(`  ${''.padEnd(48)} @smithy / repo = ${(b / a).toFixed(2)}x`);
  }
  {
    const parts = pieces(body, 16_384);
    const codec = new EventStreamCodec(toUtf8, fromUtf8);
    const sdkWay = async () => {
      const chunks = getChunkedStream(
        (async function* () {
          yield* parts;
        })(),
      );
      for await (const m of chunks) codec.decode(m);
    };
    for (let i = 0; i < 3; i++) await sdkWay();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) await sdkWay();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / rounds;
    console.log(`  ${'SDK path (getChunkedStream + codec), 16 KiB'.padEnd(48)} ${ms.toFixed(2).padStart(8)} ms`);
  }

  console.log('\n==> SigV4 signing per request (@smithy/signature-v4 through the adapter)');
  const aws = {
    accessKeyId: 'AKIABENCHBENCHBENCH0',
    secretAccessKey: 'benchSecret/0123456789+abcdefghijklmnopq',
    region: 'us-east-1',
  };
  const ctx = { now: () => Date.now(), credentials: { aws } };
  const deployment = {
    id: 'bench',
    modelName: 'claude',
    provider: 'bedrock',
    model: 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
    params: { family: 'bedrock' as const, aws_region_name: 'us-east-1' },
  };
  for (const chars of [1_000, 10_000, 100_000]) {
    const input = chatInput(
      Buffer.from(JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'x'.repeat(chars) }] })),
    );
    const built = bedrockAdapter.chat.buildRequest(input, deployment, ctx);
    const n = chars >= 100_000 ? 2_000 : 10_000;
    for (let i = 0; i < 500; i++) await signBedrockRequest(built, aws, Date.now());
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await signBedrockRequest(built, aws, Date.now());
    const signUs = Number(process.hrtime.bigint() - t0) / 1e3 / n;
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) bedrockAdapter.chat.buildRequest(input, deployment, ctx);
    const buildUs = Number(process.hrtime.bigint() - t1) / 1e3 / n;
    console.log(
      `  body ${String(chars).padStart(7)} chars: sign ${signUs.toFixed(1).padStart(6)} µs, build (translate + JSON) ${buildUs.toFixed(1).padStart(6)} µs`,
    );
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
