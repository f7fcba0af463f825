import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { zodFunction, zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { repoRoot, type Stack, startStack } from '@switchyard/testing';

/**
 * The quick start's demo config, driven by the OpenAI SDK's helpers: structured outputs (`parse`, streamed
 * and not) and tool loops (`runTools`) work against the built-in fake provider with no provider key.
 */
describe('the demo config with the SDK helpers', () => {
  let stack: Stack;
  let client: OpenAI;

  beforeAll(async () => {
    stack = await startStack({ configYaml: readFileSync(join(repoRoot(), 'infra/config/demo.yaml'), 'utf8') });
    client = new OpenAI({ apiKey: stack.masterKey, baseURL: `${stack.gatewayUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  const Trip = z.object({
    destination: z.string(),
    nights: z.number().int().min(1).max(14),
    travellers: z.array(z.object({ name: z.string(), age: z.number().int().nullable() })),
    season: z.enum(['spring', 'summer', 'autumn', 'winter']),
  });

  it('parse() returns an object valid for the zod schema', async () => {
    const res = await client.chat.completions.parse({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Plan a trip to Lisbon' }],
      response_format: zodResponseFormat(Trip, 'trip'),
    });
    const parsed = res.choices[0]!.message.parsed;
    expect(Trip.safeParse(parsed).success).toBe(true);
    expect(res.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('a streamed structured output assembles into a valid object', async () => {
    const stream = client.chat.completions.stream({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Plan a trip to Oslo' }],
      response_format: zodResponseFormat(Trip, 'trip'),
    });
    const final = await stream.finalChatCompletion();
    expect(Trip.safeParse(final.choices[0]!.message.parsed).success).toBe(true);
  });

  it('runTools() calls the tool with valid arguments and ends with a text answer', async () => {
    const calls: unknown[] = [];
    const Weather = z.object({ city: z.string(), unit: z.enum(['celsius', 'fahrenheit']) });
    const runner = client.chat.completions.runTools({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        zodFunction({
          name: 'get_weather',
          parameters: Weather,
          function: (args: z.infer<typeof Weather>) => {
            calls.push(args);
            return { temperature: 21, unit: args.unit };
          },
        }),
      ],
    });
    const answer = await runner.finalContent();
    expect(calls).toHaveLength(1);
    expect(Weather.safeParse(calls[0]).success).toBe(true);
    expect(answer).toContain('"temperature":21');
  });

  it('streams a tool call the SDK assembles', async () => {
    const stream = client.chat.completions.stream({
      model: 'claude-sonnet-4',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
          },
        },
      ],
      tool_choice: 'required',
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]!.message.tool_calls![0]!;
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toMatchObject({ city: expect.any(String) });
  });
});
