import { describe, expect, it } from 'vitest';
import { ProviderError } from '../provider-adapter';
import { effortForBudget, messagesToChatRequest } from './messages-chat.request';

const OPENAI = { native: false };
const NATIVE = { native: true };
const base = { model: 'claude-x', max_tokens: 100 };

function refusal(body: unknown, opts = OPENAI): { param: string | null; message: string } {
  try {
    messagesToChatRequest(body, opts);
  } catch (e) {
    if (e instanceof ProviderError) return { param: e.gatewayError.param, message: e.gatewayError.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('messagesToChatRequest', () => {
  it('translates system blocks, text, parameters, stop_sequences and metadata.user_id', () => {
    const req = messagesToChatRequest(
      {
        ...base,
        system: [
          { type: 'text', text: 'Be terse.' },
          { type: 'text', text: 'Be kind.' },
        ],
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: [{ type: 'text', text: 'Hello.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Again' }] },
        ],
        temperature: 0.5,
        top_p: 0.9,
        stop_sequences: ['END'],
        stream: true,
        metadata: { user_id: 'u-1' },
      },
      OPENAI,
    );
    expect(req).toEqual({
      model: 'claude-x',
      max_tokens: 100,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      stream: true,
      user: 'u-1',
      messages: [
        { role: 'system', content: 'Be terse.\nBe kind.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
        { role: 'user', content: 'Again' },
      ],
    });
  });

  it('translates images (base64 and url) and PDF documents into content parts', () => {
    const req = messagesToChatRequest(
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } },
            ],
          },
        ],
      },
      OPENAI,
    );
    expect(req.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBER' } },
        ],
      },
    ]);
  });

  it('translates a tool-use round trip: tool_use → tool_calls, tool_result → tool messages first', () => {
    const req = messagesToChatRequest(
      {
        ...base,
        tools: [
          { name: 'f', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'number' } } } },
        ],
        tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true },
        messages: [
          { role: 'user', content: 'go' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Calling.' },
              { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
              { type: 'tool_use', id: 'toolu_2', name: 'f', input: { a: 2 } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: 'one' },
              {
                type: 'tool_result',
                tool_use_id: 'toolu_2',
                is_error: true,
                content: [
                  { type: 'text', text: 'bad' },
                  { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'QQ' } },
                ],
              },
              { type: 'text', text: 'and then?' },
            ],
          },
        ],
      },
      OPENAI,
    );
    expect(req.tools).toEqual([
      {
        type: 'function',
        function: {
          name: 'f',
          description: 'd',
          parameters: { type: 'object', properties: { a: { type: 'number' } } },
        },
      },
    ]);
    expect(req.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(req['parallel_tool_calls']).toBe(false);
    expect(req.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: 'Calling.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'f', arguments: '{"a":2}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'one' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error:\nbad' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,QQ' } },
          { type: 'text', text: 'and then?' },
        ],
      },
    ]);
  });

  it.each([
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [{ type: 'none' }, 'none'],
  ])('maps tool_choice %j to %j', (choice, expected) => {
    const req = messagesToChatRequest(
      {
        ...base,
        tools: [{ name: 'f', input_schema: {} }],
        tool_choice: choice,
        messages: [{ role: 'user', content: 'x' }],
      },
      OPENAI,
    );
    expect(req.tool_choice).toEqual(expected);
  });

  it('maps thinking budgets to reasoning_effort, and adaptive thinking to medium', () => {
    const effort = (thinking: unknown) =>
      messagesToChatRequest({ ...base, thinking, messages: [{ role: 'user', content: 'x' }] }, OPENAI)[
        'reasoning_effort'
      ];
    expect(effort({ type: 'enabled', budget_tokens: 1024 })).toBe('low');
    expect(effort({ type: 'enabled', budget_tokens: 4096 })).toBe('medium');
    expect(effort({ type: 'enabled', budget_tokens: 31999 })).toBe('high');
    expect(effort({ type: 'adaptive' })).toBe('medium');
    expect(effort({ type: 'disabled' })).toBeUndefined();
    expect(effortForBudget(2047)).toBe('low');
  });

  it('keeps cache_control and signed thinking for native adapters only', () => {
    const body = {
      ...base,
      system: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral' } }],
      tools: [{ name: 'f', input_schema: {}, cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hm', signature: 'sig' },
            { type: 'redacted_thinking', data: 'opaque' },
            { type: 'text', text: 'ok' },
          ],
        },
        { role: 'user', content: 'y' },
      ],
    };
    const native = messagesToChatRequest(body, NATIVE);
    expect(native.messages[0]).toEqual({
      role: 'system',
      content: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral' } }],
    });
    expect(native.tools![0]).toMatchObject({ cache_control: { type: 'ephemeral' } });
    expect(native.messages[2]).toEqual({
      role: 'assistant',
      content: 'ok',
      thinking_blocks: [
        { type: 'thinking', thinking: 'hm', signature: 'sig' },
        { type: 'redacted_thinking', data: 'opaque' },
      ],
    });
    const openai = messagesToChatRequest(body, OPENAI);
    expect(openai.messages[0]).toEqual({ role: 'system', content: 'S' });
    expect(openai.tools![0]).not.toHaveProperty('cache_control');
    expect(openai.messages[2]).toEqual({ role: 'assistant', content: 'ok' });
  });

  it('refuses what has no counterpart with a 400 naming it, never dropping it', () => {
    const messages = [{ role: 'user', content: 'x' }];
    expect(refusal({ ...base, messages, context_management: {} })).toMatchObject({ param: 'context_management' });
    expect(refusal({ ...base, messages, mcp_servers: [] }).message).toContain('not supported with this model');
    expect(refusal({ ...base, messages, tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toMatchObject({
      param: 'tools[0]',
    });
    expect(
      refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'search_result', content: [] }] }] }),
    ).toMatchObject({ param: 'messages[0].content[0]' });
    expect(refusal({ ...base, messages: [{ role: 'system', content: 'x' }] })).toMatchObject({
      param: 'messages[0].role',
    });
    expect(refusal({ ...base, messages, thinking: { type: 'sometimes' } })).toMatchObject({ param: 'thinking.type' });
  });
});
