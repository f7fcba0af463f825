import { describe, expect, it } from 'vitest';
import { editTopLevel, jsonValueEnd, topLevelMembers, topLevelObjectFromEnd } from './json.scan';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const edit = (s: string, edits: Record<string, string | null>): string | undefined =>
  editTopLevel(b(s), edits)?.toString('utf8');

describe('json scan', () => {
  it('finds the ends of strings, containers and literals, escapes included', () => {
    const s = '"a\\"b\\\\" {"x":["}",{"y":"\\\\\\""}]} 12.5e3 true null';
    const buf = b(s);
    expect(jsonValueEnd(buf, 0)).toBe(s.indexOf(' '));
    const obj = s.indexOf('{');
    expect(s.slice(obj, jsonValueEnd(buf, obj))).toBe('{"x":["}",{"y":"\\\\\\""}]}');
    const num = s.indexOf('12');
    expect(s.slice(num, jsonValueEnd(buf, num))).toBe('12.5e3');
    expect(jsonValueEnd(b('"never ends\\"'), 0)).toBe(-1);
    expect(jsonValueEnd(b('[1,[2]'), 0)).toBe(-1);
  });

  it('lists top-level members only, and refuses escaped keys and non-objects', () => {
    const layout = topLevelMembers(b(' { "model" : "m", "messages":[{"model":"inner"}] ,"n":1}\n'));
    expect(layout?.members.map((m) => m.key)).toEqual(['model', 'messages', 'n']);
    expect(topLevelMembers(b('{}'))?.members).toEqual([]);
    expect(topLevelMembers(b('{"\\u006dodel":"x"}'))).toBeUndefined();
    expect(topLevelMembers(b('[1]'))).toBeUndefined();
    expect(topLevelMembers(b('{"a":1,}'))).toBeUndefined();
  });

  it('edits top-level members in place and leaves every other byte alone', () => {
    const src = '{"model":"alias","messages":[{"role":"user","content":"say \\"model\\": 1","model":"keep"}],"n":1}';
    expect(edit(src, { model: '"gpt-x"' })).toBe(src.replace('"alias"', '"gpt-x"'));
    // A missing member is added at the front.
    expect(edit(src, { stream_options: '{"include_usage":true}' })).toBe(
      '{"stream_options":{"include_usage":true},' + src.slice(1),
    );
    // Removal takes one comma with it, wherever the member is.
    expect(edit(src, { model: null })).toBe('{' + src.slice('{"model":"alias",'.length));
    expect(edit(src, { n: null })).toBe(src.replace(',"n":1', ''));
    expect(edit('{"metadata":{"tags":[]}}', { metadata: null })).toBe('{}');
    expect(edit('{"metadata":{"tags":[]}}', { metadata: null, model: '"m"' })).toBe('{"model":"m"}');
    expect(edit('{"metadata":{},"messages":[]}', { metadata: null, model: '"m"' })).toBe('{"model":"m","messages":[]}');
    // Pretty-printed input keeps its layout.
    const pretty = JSON.stringify({ model: 'a', messages: [{ role: 'user', content: 'hi' }] }, null, 2);
    expect(JSON.parse(edit(pretty, { model: '"b"' })!)).toEqual({
      model: 'b',
      messages: [{ role: 'user', content: 'hi' }],
    });
  });

  it('refuses edits it cannot make safely: duplicate keys, escaped keys, neighbours both removed', () => {
    // JSON.parse keeps the last "model"; editing the first would let the client's model through.
    expect(edit('{"model":"a","messages":[],"model":"b"}', { model: '"x"' })).toBeUndefined();
    expect(edit('{"model":"a","\\u006dodel":"b"}', { model: '"x"' })).toBeUndefined();
    expect(edit('{"m":1,"a":1,"b":2}', { a: null, b: null })).toBeUndefined();
  });

  it('stays equivalent to a parse-edit-stringify on varied bodies', () => {
    const bodies = [
      { model: 'a', messages: [{ role: 'user', content: 'héllo "there" \\ \n ☕' }], stream: true },
      { messages: [{ role: 'user', content: [{ type: 'text', text: '{"model":"evil"}' }] }], model: 'a', n: 1 },
      { temperature: 0, messages: [], metadata: { user: 'u', tags: ['x'] }, model: 'z', stream_options: null },
    ];
    for (const body of bodies) {
      for (const text of [JSON.stringify(body), JSON.stringify(body, null, 1)]) {
        const out = edit(text, { model: '"deployed"', stream_options: '{"include_usage":true}', metadata: null });
        const expected: Record<string, unknown> = {
          ...body,
          model: 'deployed',
          stream_options: { include_usage: true },
        };
        delete expected['metadata'];
        expect(JSON.parse(out!)).toEqual(expected);
      }
    }
  });

  it('reads a top-level object member from the end, never one inside content or nested', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2 };
    const real = JSON.stringify(usage);
    // "usage" inside content text (escaped quotes), as a string value, and as a nested key after the real one.
    const tricky = {
      id: 'x',
      usage,
      choices: [{ message: { content: 'a "usage": {"prompt_tokens": 999} b' } }, { message: { content: 'usage' } }],
    };
    expect(topLevelObjectFromEnd(b(JSON.stringify(tricky)), 'usage')).toBeUndefined(); // not last: caller parses
    const normal = { id: 'x', choices: [{ message: { content: 'the "usage":{"prompt_tokens":999} is' } }], usage };
    expect(topLevelObjectFromEnd(b(JSON.stringify(normal)), 'usage')).toBe(real);
    expect(topLevelObjectFromEnd(b(JSON.stringify(normal, null, 2)), 'usage')).toBe(
      JSON.stringify(usage, null, 2).replace(/\n/g, '\n  '),
    );
    const trailing = { ...normal, service_tier: 'default', system_fingerprint: null, extra: [{ a: '}' }] };
    expect(topLevelObjectFromEnd(b(JSON.stringify(trailing)), 'usage')).toBe(real);
    const nestedAfter = { ...normal, extra: { usage: { prompt_tokens: 999 } } };
    expect(topLevelObjectFromEnd(b(JSON.stringify(nestedAfter)), 'usage')).toBeUndefined();
    expect(topLevelObjectFromEnd(b('{"choices":[],"usage":null}'), 'usage')).toBeUndefined();
    expect(topLevelObjectFromEnd(b('{"choices":[{"x":"a \\"usage\\":{}"}]}'), 'usage')).toBeUndefined();
    expect(topLevelObjectFromEnd(b('{"choices":[],"usage":{"p":1}'), 'usage')).toBeUndefined(); // cut short
  });
});
