import { describe, expect, it } from 'vitest';
import { chatRequestFromCompletion, checkCompletionRequest } from './completions.request';
import { textCompletionFromChat, textCompletionSse } from './completions.response';

describe('legacy completions → chat', () => {
  it('checks prompt as OpenAI does and counts its characters', () => {
    expect(checkCompletionRequest({ model: 'm', prompt: 'abcd' })).toMatchObject({ ok: true, promptChars: 4 });
    expect(checkCompletionRequest({ model: 'm', prompt: ['ab', 'c'] })).toMatchObject({ ok: true, promptChars: 3 });
    expect(checkCompletionRequest({ model: 'm', prompt: [1, 2] })).toMatchObject({ ok: true, promptChars: 8 });
    const missing = checkCompletionRequest({ model: 'm' });
    expect(missing.ok === false && missing.error.param).toBe('prompt');
    const wrong = checkCompletionRequest({ model: 'm', prompt: [{}] });
    expect(wrong.ok === false && wrong.error.code).toBe('invalid_type');
  });

  it('makes the prompt one user message and keeps the settings chat shares', () => {
    const r = chatRequestFromCompletion(
      {
        model: 'm',
        prompt: ['Say hi'],
        max_tokens: 9,
        temperature: 0.2,
        stop: ['\n'],
        stream: true,
        stream_options: { include_usage: true },
        user: 'u',
        fallbacks: ['other'],
      },
      'cohere',
    );
    expect(r).toEqual({
      chat: {
        messages: [{ role: 'user', content: 'Say hi' }],
        model: 'm',
        max_tokens: 9,
        temperature: 0.2,
        stop: ['\n'],
        stream: true,
        stream_options: { include_usage: true },
        user: 'u',
        fallbacks: ['other'],
      },
    });
  });

  it.each([
    [{ prompt: ['a', 'b'] }, 'prompt'],
    [{ prompt: [1, 2] }, 'prompt'],
    [{ prompt: 'a', suffix: 'z' }, 'suffix'],
    [{ prompt: 'a', echo: true }, 'echo'],
    [{ prompt: 'a', best_of: 2 }, 'best_of'],
    [{ prompt: 'a', logprobs: 3 }, 'logprobs'],
  ])('refuses what chat cannot express: %j', (body, param) => {
    const r = chatRequestFromCompletion({ model: 'm', ...body } as never, 'gemini');
    expect('error' in r && r.error.param).toBe(param);
    expect('error' in r && r.error.message).toMatch(/gemini/);
  });
});

describe('chat answers → text_completion', () => {
  it('rewrites a chat.completion', () => {
    const chat = {
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      created: 7,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi!' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    };
    expect(JSON.parse(textCompletionFromChat(JSON.stringify(chat)))).toEqual({
      id: 'cmpl-abc',
      object: 'text_completion',
      created: 7,
      model: 'm',
      choices: [{ text: 'Hi!', index: 0, logprobs: null, finish_reason: 'length' }],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });

  it('rewrites chunks: drops the role chunk, keeps text, the finish and the usage chunk', () => {
    const head = { id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 1, model: 'm' };
    const sse = [
      { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: { content: 'Hel' }, finish_reason: null }] },
      { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
      { ...head, choices: [], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } },
    ]
      .map((c) => `data: ${JSON.stringify(c)}\n\n`)
      .join('');
    const out = textCompletionSse(sse)
      .split('\n\n')
      .filter((e) => e.length > 0)
      .map((e) => JSON.parse(e.slice('data: '.length)) as Record<string, unknown>);
    expect(out).toEqual([
      {
        id: 'cmpl-x',
        object: 'text_completion',
        created: 1,
        model: 'm',
        choices: [{ text: 'Hel', index: 0, logprobs: null, finish_reason: null }],
      },
      {
        id: 'cmpl-x',
        object: 'text_completion',
        created: 1,
        model: 'm',
        choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'stop' }],
      },
      {
        id: 'cmpl-x',
        object: 'text_completion',
        created: 1,
        model: 'm',
        choices: [],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    ]);
    expect(textCompletionSse('')).toBe('');
  });
});
