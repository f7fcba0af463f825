import { describe, expect, it } from 'vitest';
import { validateResponsesRequest } from './openai-responses.validator';

const refusal = (body: unknown) => {
  const r = validateResponsesRequest(body);
  if (r.ok) throw new Error('accepted');
  return r.error;
};

describe('validateResponsesRequest', () => {
  it('summarises a valid request: prompt size, limits, needs, and previous_response_id as the gateway’s', () => {
    const r = validateResponsesRequest({
      model: 'm',
      instructions: 'Be terse.',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'Hello' },
            { type: 'input_image', image_url: 'data:x' },
          ],
        },
        { type: 'function_call', call_id: 'c', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call_output', call_id: 'c', output: 'done' },
      ],
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' } } },
      reasoning: { effort: 'low', summary: 'auto' },
      max_output_tokens: 64,
      previous_response_id: 'resp_1',
      fallbacks: ['other'],
      user: 'u',
      stream: true,
    });
    expect(r).toEqual({
      ok: true,
      value: {
        model: 'm',
        stream: true,
        includeUsage: false,
        tags: [],
        promptChars: 'Be terse.'.length + 'Hello'.length + '{"a":1}'.length + 'done'.length,
        strip: ['fallbacks', 'previous_response_id'],
        user: 'u',
        maxTokens: 64,
        models: ['other'],
        needs: ['tools', 'vision', 'json_schema', 'reasoning'],
      },
    });
  });

  it('refuses as OpenAI does, naming the parameter', () => {
    expect(refusal({ model: 'm', input: 'x', bogus: 1 })).toMatchObject({ param: 'bogus', code: 'unknown_parameter' });
    expect(refusal({ input: 'x' })).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
    expect(refusal({ model: 'm' })).toMatchObject({ param: 'input', code: 'missing_required_parameter' });
    expect(refusal({ model: 'm', input: 3 })).toMatchObject({ param: 'input', code: 'invalid_type' });
    expect(refusal({ model: 'm', input: [{ role: 'tool', content: 'x' }] })).toMatchObject({ param: 'input[0].role' });
    expect(
      refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'output_text', text: 'x' }] }] }),
    ).toMatchObject({ param: 'input[0].content[0].type' });
    expect(refusal({ model: 'm', input: [{ type: 'function_call', call_id: 'c', name: 'f' }] })).toMatchObject({
      param: 'input[0].arguments',
    });
    expect(refusal({ model: 'm', input: 'x', background: true })).toMatchObject({ param: 'background' });
    expect(refusal({ model: 'm', input: 'x', max_output_tokens: 15 })).toMatchObject({ param: 'max_output_tokens' });
    expect(refusal({ model: 'm', input: 'x', temperature: 3 })).toMatchObject({ param: 'temperature' });
    expect(refusal({ model: 'm', input: 'x', tools: [{ type: 'function' }] })).toMatchObject({
      param: 'tools[0].name',
    });
    expect(refusal({ model: 'm', input: 'x', tool_choice: 'sometimes' })).toMatchObject({ param: 'tool_choice' });
    expect(refusal({ model: 'm', input: 'x', text: { format: { type: 'json_schema', schema: {} } } })).toMatchObject({
      param: 'text.format.name',
    });
    expect(refusal({ model: 'm', input: 'x', reasoning: { effort: 'max' } })).toMatchObject({
      param: 'reasoning.effort',
    });
    expect(refusal({ model: 'm', input: 'x', metadata: { a: 1 } })).toMatchObject({ param: 'metadata.a' });
    expect(refusal({ model: 'm', input: 'x', stream_options: {} })).toMatchObject({ param: 'stream_options' });
  });

  it('leaves built-in tools to the translation (OpenAI deployments take them)', () => {
    expect(validateResponsesRequest({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] }).ok).toBe(true);
  });
});
