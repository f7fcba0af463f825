import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse.parser';
import { splitAtRandom } from '../__fixtures__/split-at-random';

const fixture = readFileSync(join(__dirname, '../openai/__fixtures__/chat-stream-with-usage.sse'));

/** Small deterministic PRNG so a failing split can be reproduced from its seed. */
function parseAll(pieces: Array<Uint8Array | string>): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  for (const piece of pieces) out.push(...p.push(piece));
  out.push(...p.end());
  return out;
}

const enc = new TextEncoder();

describe('SseParser', () => {
  it('parses an OpenAI stream in one piece', () => {
    const events = parseAll([fixture]);
    expect(events).toHaveLength(7);
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(JSON.parse(events[1]!.data).choices[0].delta.content).toBe('Héllo');
    expect(JSON.parse(events[3]!.data).choices[0].delta.content).toBe(' 日本語');
  });

  it('gives the same events whatever the byte boundaries (multi-byte UTF-8 split included)', () => {
    const whole = parseAll([fixture]);
    for (let seed = 1; seed <= 300; seed++) {
      expect(parseAll(splitAtRandom(fixture, seed, 1 + (seed % 40)))).toEqual(whole);
    }
  });

  it('handles one byte at a time', () => {
    expect(parseAll(splitAtRandom(fixture, 7, 1))).toEqual(parseAll([fixture]));
  });

  it('accepts \\r\\n and \\r line endings, also when \\r and \\n arrive apart', () => {
    const lf = parseAll([fixture]);
    const crlf = enc.encode(fixture.toString('utf8').replace(/\n/g, '\r\n'));
    const cr = enc.encode(fixture.toString('utf8').replace(/\n/g, '\r'));
    for (let seed = 1; seed <= 100; seed++) {
      expect(parseAll(splitAtRandom(crlf, seed))).toEqual(lf);
      expect(parseAll(splitAtRandom(cr, seed))).toEqual(lf);
    }
    expect(parseAll(['data: a\r', '\ndata: b\r', '\n\r', '\n'])).toEqual([{ event: '', data: 'a\nb', id: undefined }]);
  });

  it('skips comments, joins multi-line data, keeps event names and ids', () => {
    const text =
      ': keep-alive\n\nevent: error\nid: 42\ndata: {"a":\ndata:1}\n\ndata\n\nretry: 10\ndata:  two spaces\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'error', data: '{"a":\n1}', id: '42' },
      { event: '', data: '', id: '42' },
      { event: '', data: ' two spaces', id: '42' },
    ]);
  });

  it('delivers a last event that the server did not end with a blank line', () => {
    expect(parseAll(['data: x\n\ndata: [DONE]'])).toEqual([
      { event: '', data: 'x', id: undefined },
      { event: '', data: '[DONE]', id: undefined },
    ]);
  });

  it('does not dispatch an event without data', () => {
    expect(parseAll(['event: ping\n\n: only a comment\n\n'])).toEqual([]);
  });
});
