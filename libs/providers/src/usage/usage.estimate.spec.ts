import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openAIAdapter } from '../openai/openai.adapter';
import { SseParser } from '../sse/sse.parser';
import { estimateTokens, estimateUsage, generatedCharsOfChunk, promptCharsOf } from './usage.estimate';

describe('usage estimate', () => {
  it('estimates a token per four characters, rounding up', () => {
    expect(estimateTokens(0)).toBe(0);
    expect(estimateTokens(1)).toBe(1);
    expect(estimateTokens(4)).toBe(1);
    expect(estimateTokens(5)).toBe(2);
    expect(estimateTokens(-3)).toBe(0);
    expect(estimateUsage({ promptChars: 35, completionChars: 9 })).toEqual({
      promptTokens: 9,
      completionTokens: 3,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
  });

  it('counts message text: string contents, text parts and tool-call arguments, nothing else', () => {
    expect(
      promptCharsOf([
        { role: 'system', content: 'abcd' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'ef' },
            { type: 'image_url', image_url: { url: 'https://example.invalid/x.png' } },
          ],
        },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: '{"q":1}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      ]),
    ).toBe(4 + 2 + 7 + 2);
    expect(promptCharsOf([])).toBe(0);
    expect(promptCharsOf(undefined)).toBe(0);
  });

  it('finds the generated text of a chunk without parsing it, escapes counting as one character', () => {
    const chunk = (delta: unknown) =>
      JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] });
    expect(generatedCharsOfChunk(chunk({ role: 'assistant', content: '' }))).toBe(0);
    expect(generatedCharsOfChunk(chunk({ content: 'Hello' }))).toBe(5);
    expect(generatedCharsOfChunk(chunk({ content: 'a"b\nc\\d' }))).toBe(7);
    expect(generatedCharsOfChunk('{"choices":[{"delta":{"content":"caf\\u00e9"}}]}')).toBe(4);
    expect(generatedCharsOfChunk(chunk({ content: 'x "content":"not a key" y' }))).toBe(25);
    expect(generatedCharsOfChunk(chunk({ reasoning_content: 'think' }))).toBe(5);
    expect(generatedCharsOfChunk(chunk({ refusal: 'no' }))).toBe(2);
    expect(
      generatedCharsOfChunk(chunk({ tool_calls: [{ index: 0, function: { name: 'f', arguments: '{"a":' } }] })),
    ).toBe(5);
    expect(generatedCharsOfChunk(chunk({ content: null }))).toBe(0);
    expect(generatedCharsOfChunk('{"choices":[],"usage":{"prompt_tokens":3}}')).toBe(0);
  });

  it('the OpenAI stream translator counts the generated characters it forwarded', () => {
    const sse = readFileSync(join(__dirname, '../openai/__fixtures__/chat-stream-with-usage.sse'), 'utf8');
    const tr = openAIAdapter.chat.createStreamTranslator({ includeUsage: false });
    let expected = 0;
    for (const e of new SseParser().push(new TextEncoder().encode(sse))) {
      tr.push(e);
      if (e.data === '[DONE]') continue;
      for (const c of (JSON.parse(e.data) as { choices: { delta?: { content?: string } }[] }).choices)
        expected += c.delta?.content?.length ?? 0;
    }
    expect(expected).toBeGreaterThan(10);
    expect(tr.state.generatedChars).toBe(expected);
  });
});
