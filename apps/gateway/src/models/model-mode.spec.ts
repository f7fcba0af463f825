import { describe, expect, it } from 'vitest';
import { answersChat, groupMode } from './model-mode';

describe('groupMode', () => {
  it("is the first deployment's model_info.mode, chat when none says", () => {
    expect(groupMode([{}, { mode: 'embedding' }])).toBe('embedding');
    expect(groupMode([{}])).toBe('chat');
    expect(groupMode([])).toBe('chat');
  });

  it('answers chat only for chat-capable modes', () => {
    expect(answersChat('chat')).toBe(true);
    expect(answersChat('embedding')).toBe(false);
    expect(answersChat('image_generation')).toBe(false);
  });
});
