import type { GatewayError } from '@switchyard/contracts';
import type { StreamContext } from '../codecs/client-codec';
import { responsesStreamError } from '../codecs/openai-responses.codec';
import type { AnswerTap, ChunkHold } from '../pipeline/answer-tap';

const SEQUENCE = /"sequence_number":(\d+)/g;
const TERMINAL = ['response.completed', 'response.incomplete'];

/** What the tap does with a finished response: keep it (a promise settled once it is stored). */
export type KeepResponse = (response: Record<string, unknown>) => Promise<void>;

/**
 * The Responses API's look at an answer: it follows the stream's numbering (so a broken stream's `error`
 * and `response.failed` continue it), and, when the request is stored, keeps the finished response (a
 * stream's `response.completed` / `response.incomplete`, or the whole JSON answer) before the client gets
 * its last event. A response that failed is not kept.
 */
export class ResponsesTap implements AnswerTap {
  private lastSequence = -1;
  private responseId: string | undefined;
  private parts: Buffer[] = [];
  private kept = false;

  constructor(private readonly keep: KeepResponse | undefined) {}

  chunk(data: Uint8Array): ChunkHold | undefined {
    const text = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
    let last: RegExpExecArray | null = null;
    for (let m = SEQUENCE.exec(text); m !== null; m = SEQUENCE.exec(text)) last = m;
    if (last !== null) this.lastSequence = Number(last[1]);
    if (this.responseId === undefined) {
      const id = /"response":\{"id":"([^"]+)"/.exec(text);
      if (id !== null) this.responseId = id[1];
    }
    if (this.keep === undefined || this.kept || !TERMINAL.some((t) => text.includes(t))) return undefined;
    for (let start = 0; start < text.length;) {
      const end = text.indexOf('\n\n', start);
      const stop = end === -1 ? text.length : end + 2;
      const event = text.slice(start, stop);
      const data = event
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trimStart())
        .join('\n');
      if (TERMINAL.some((t) => data.includes(`"type":"${t}"`))) {
        let parsed: { type?: unknown; response?: unknown } | undefined;
        try {
          parsed = JSON.parse(data) as { type?: unknown; response?: unknown };
        } catch {
          parsed = undefined;
        }
        if (typeof parsed?.type === 'string' && TERMINAL.includes(parsed.type) && isObject(parsed.response)) {
          // What came before the last event goes out now; only the last event waits for the store.
          return { at: Buffer.byteLength(text.slice(0, start), 'utf8'), done: this.store(parsed.response) };
        }
      }
      start = stop;
    }
    return undefined;
  }

  part(data: Uint8Array): void {
    if (this.keep !== undefined) this.parts.push(Buffer.from(data));
  }

  response(data: Uint8Array): Promise<void> | undefined {
    if (this.keep === undefined) return undefined;
    const whole = Buffer.concat([...this.parts, Buffer.from(data)]);
    this.parts = [];
    let doc: unknown;
    try {
      doc = JSON.parse(whole.toString('utf8'));
    } catch {
      return undefined;
    }
    if (!isObject(doc) || doc['object'] !== 'response') return undefined;
    if (doc['status'] !== 'completed' && doc['status'] !== 'incomplete') return undefined;
    return this.store(doc);
  }

  streamError(e: GatewayError, ctx: StreamContext): string {
    return responsesStreamError(e, { ...ctx, responseId: this.responseId }, this.lastSequence);
  }

  private store(response: Record<string, unknown>): Promise<void> {
    this.kept = true;
    return this.keep!(response);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
