import { describe, expect, it } from 'vitest';
import { answersChat, groupMode, knownGroupMode, modeRefusal } from './model-mode';

describe('groupMode', () => {
  it("is the first deployment's model_info.mode, else the catalogue's, chat when none says", () => {
    expect(groupMode([{ model: 'x' }, { model: 'y', mode: 'embedding' }])).toBe('embedding');
    expect(groupMode([{ model: 'text-embedding-3-small' }])).toBe('embedding');
    expect(groupMode([{ model: 'gpt-3.5-turbo-instruct' }])).toBe('completion');
    expect(groupMode([{ model: 'my-own-model' }])).toBe('chat');
    expect(knownGroupMode([{ model: 'my-own-model' }])).toBeUndefined();
    expect(groupMode([])).toBe('chat');
  });

  it('answers chat only for chat-capable modes', () => {
    expect(answersChat('chat')).toBe(true);
    expect(answersChat('embedding')).toBe(false);
    expect(answersChat('image_generation')).toBe(false);
  });

  it('refuses each front door the models that cannot serve it, and lets unknown ones through', () => {
    expect(modeRefusal('openai.chat', 'embedding', 'e')).toMatch(/not a chat model/);
    expect(modeRefusal('openai.completions', 'embedding', 'e')).toMatch(/cannot answer completions/);
    expect(modeRefusal('anthropic.messages', 'embedding', 'e')).toMatch(/not a chat model: it cannot answer messages/);
    expect(modeRefusal('anthropic.messages', 'chat', 'c')).toBeUndefined();
    expect(modeRefusal('openai.embeddings', 'chat', 'c')).toMatch(/not an embedding model/);
    expect(modeRefusal('openai.embeddings', 'embedding', 'e')).toBeUndefined();
    expect(modeRefusal('openai.completions', 'completion', 'c')).toBeUndefined();
    expect(modeRefusal('openai.embeddings', undefined, 'x')).toBeUndefined();
  });
});
