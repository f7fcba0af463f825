import { describe, expect, it } from 'vitest';
import { anthropicMessagesCodec } from './anthropic-messages.codec';
import { validateMessagesRequest } from './anthropic-messages.validator';

const ok = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hello' }] };

describe('validateMessagesRequest', () => {
  it('summarises what admission, routing and usage need, with the headers an Anthropic upstream needs', () => {
    const r = validateMessagesRequest(
      {
        ...ok,
        system: [{ type: 'text', text: 'Be brief.' }],
        stream: true,
        metadata: { user_id: 'u-1' },
        tools: [{ name: 'f', input_schema: {} }],
      },
      { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'a-1,b-2', 'x-api-key': 'secret' },
    );
    expect(r).toEqual({
      ok: true,
      value: {
        model: 'claude-sonnet-4-5',
        stream: true,
        includeUsage: false,
        tags: [],
        user: 'u-1',
        maxTokens: 100,
        promptChars: 'Hello'.length + 'Be brief.'.length + JSON.stringify([{ name: 'f', input_schema: {} }]).length,
        strip: [],
        clientHeaders: { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'a-1,b-2' },
      },
    });
  });

  it('takes count_tokens requests without max_tokens, never as a stream', () => {
    const r = validateMessagesRequest({ model: 'm', messages: ok.messages, stream: true }, {}, true);
    expect(r.ok && r.value).toMatchObject({ countTokens: true, stream: false });
  });

  it.each([
    [[], null, 'JSON object'],
    [{ max_tokens: 1, messages: ok.messages }, 'model', 'model: Field required.'],
    [{ model: 'm', messages: ok.messages }, 'max_tokens', 'max_tokens: Field required.'],
    [{ ...ok, max_tokens: 0 }, 'max_tokens', 'between 1'],
    [{ ...ok, temperature: 1.5 }, 'temperature', 'between 0 and 1'],
    [{ ...ok, messages: 'hi' }, 'messages', 'valid list'],
    [{ ...ok, messages: [] }, 'messages', 'At least one message'],
    [{ ...ok, messages: [{ role: 'system', content: 'x' }] }, 'messages.0.role', "'user' or 'assistant'"],
    [{ ...ok, messages: [{ role: 'user', content: 5 }] }, 'messages.0.content', 'string or a list'],
    [{ ...ok, messages: [{ role: 'user', content: [{ text: 'x' }] }] }, 'messages.0.content.0', 'with a `type`'],
    [{ ...ok, stream: 'yes' }, 'stream', 'valid boolean'],
    [{ ...ok, stop_sequences: [1] }, 'stop_sequences', 'list of strings'],
    [{ ...ok, metadata: { user_id: 5 } }, 'metadata.user_id', 'valid string'],
    [{ ...ok, tool_choice: 'auto' }, 'tool_choice', 'with a `type`'],
  ])('refuses %j (param %s) with Anthropic-style wording', (body, param, message) => {
    const r = validateMessagesRequest(body);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.status).toBe(400);
      expect(r.error.param).toBe(param);
      expect(r.error.message).toContain(message);
      expect(JSON.parse(anthropicMessagesCodec.errorBody(r.error))).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: r.error.message },
      });
    }
  });

  it("gives an overloaded provider Anthropic's 529 overloaded_error, and keeps Anthropic's own error types", () => {
    const overloaded = {
      status: 503,
      type: 'overloaded_error',
      kind: 'overloaded' as const,
      code: null,
      param: null,
      message: 'busy',
    };
    expect(anthropicMessagesCodec.statusFor!(overloaded)).toBe(529);
    expect(JSON.parse(anthropicMessagesCodec.errorBody(overloaded)).error.type).toBe('overloaded_error');
    const unavailable = {
      status: 503,
      type: 'server_error',
      kind: 'unavailable' as const,
      code: null,
      param: null,
      message: 'x',
    };
    expect(anthropicMessagesCodec.statusFor!(unavailable)).toBe(503);
    expect(JSON.parse(anthropicMessagesCodec.errorBody(unavailable)).error.type).toBe('api_error');
    const limited = {
      status: 429,
      type: 'requests',
      kind: 'rate_limited' as const,
      code: null,
      param: null,
      message: 'x',
    };
    expect(JSON.parse(anthropicMessagesCodec.errorBody(limited)).error.type).toBe('rate_limit_error');
  });

  it("ends a broken stream with Anthropic's error event", () => {
    const text = anthropicMessagesCodec.streamError(
      { status: 529, type: 'overloaded_error', kind: 'overloaded', code: null, param: null, message: 'Overloaded' },
      { requestId: 'r', model: 'm', n: 1, created: 0 },
    );
    expect(text).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
    );
    expect(anthropicMessagesCodec.terminator.length).toBe(0);
  });
});
