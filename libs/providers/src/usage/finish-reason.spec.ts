import { describe, expect, it } from 'vitest';
import { finishReasonOfAnswer } from './finish-reason';

describe('finishReasonOfAnswer', () => {
  it('reads the first choice of an OpenAI answer', () => {
    const body = JSON.stringify({
      choices: [
        { index: 0, message: { content: 'say "finish_reason":"length" please' }, finish_reason: 'tool_calls' },
        { index: 1, finish_reason: 'stop' },
      ],
    });
    expect(finishReasonOfAnswer(body)).toBe('tool_calls');
  });

  it('maps an Anthropic stop_reason to OpenAI words', () => {
    expect(finishReasonOfAnswer(JSON.stringify({ content: [], stop_reason: 'max_tokens' }))).toBe('length');
    expect(finishReasonOfAnswer(JSON.stringify({ content: [], stop_reason: 'end_turn' }))).toBe('stop');
    expect(finishReasonOfAnswer(JSON.stringify({ content: [], stop_reason: 'tool_use' }))).toBe('tool_calls');
  });

  it('finds nothing in content that only quotes the key, or in a body without one', () => {
    expect(finishReasonOfAnswer(JSON.stringify({ choices: [{ text: '"finish_reason": "stop"' }] }))).toBeUndefined();
    expect(finishReasonOfAnswer(JSON.stringify({ data: [{ embedding: [0.1] }] }))).toBeUndefined();
  });
});
