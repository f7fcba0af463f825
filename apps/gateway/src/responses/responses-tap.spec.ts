import { describe, expect, it } from 'vitest';
import { Errors } from '@switchyard/contracts';
import { ResponsesTap } from './responses-tap';

const ev = (type: string, body: Record<string, unknown>) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...body })}\n\n`;

describe('ResponsesTap', () => {
  it('holds only the last event of a stream until the response is kept, and keeps it once', async () => {
    const kept: unknown[] = [];
    let release!: () => void;
    const tap = new ResponsesTap((r) => {
      kept.push(r);
      return new Promise<void>((ok) => (release = ok));
    });
    const head = ev('response.created', { response: { id: 'resp_1', status: 'in_progress' }, sequence_number: 0 });
    const delta = ev('response.output_text.delta', { delta: 'héllo', sequence_number: 1 });
    const last = ev('response.completed', { response: { id: 'resp_1', status: 'completed' }, sequence_number: 2 });
    expect(tap.chunk(Buffer.from(head))).toBeUndefined();
    const hold = tap.chunk(Buffer.from(delta + last))!;
    expect(hold.at).toBe(Buffer.byteLength(delta));
    expect(kept).toEqual([{ id: 'resp_1', status: 'completed' }]);
    let settled = false;
    void hold.done.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await hold.done;
    expect(tap.chunk(Buffer.from(last))).toBeUndefined();
  });

  it('keeps whole answers that completed, not failed ones; a store: false request keeps nothing', () => {
    const kept: unknown[] = [];
    const tap = new ResponsesTap(async (r) => void kept.push(r));
    expect(tap.response(Buffer.from(JSON.stringify({ object: 'response', status: 'failed' })))).toBeUndefined();
    tap.part(Buffer.from('{"object":"response",'));
    expect(tap.response(Buffer.from('"id":"resp_2","status":"incomplete"}'))).toBeInstanceOf(Promise);
    expect(kept).toEqual([{ object: 'response', id: 'resp_2', status: 'incomplete' }]);
    const none = new ResponsesTap(undefined);
    expect(none.chunk(Buffer.from(ev('response.completed', { response: {}, sequence_number: 0 })))).toBeUndefined();
  });

  it("ends a broken stream with error and response.failed numbered after the client's last event", () => {
    const tap = new ResponsesTap(undefined);
    tap.chunk(Buffer.from(ev('response.created', { response: { id: 'resp_9' }, sequence_number: 0 })));
    tap.chunk(Buffer.from(ev('response.output_text.delta', { delta: 'x', sequence_number: 7 })));
    const text = tap.streamError(Errors.upstreamFailed('broke'), { requestId: 'req_1', model: 'm', n: 1, created: 1 });
    const events = text
      .trim()
      .split('\n\n')
      .map((e) => JSON.parse(e.split('\ndata: ')[1]!) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ type: 'error', message: 'broke', sequence_number: 8 });
    expect(events[1]).toMatchObject({
      type: 'response.failed',
      sequence_number: 9,
      response: { id: 'resp_9', status: 'failed', error: { message: 'broke' } },
    });
  });
});
