import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  ConverseStreamCommand,
  ModelStreamErrorException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
  type ContentBlock,
  type ConverseStreamOutput,
  type Message,
  type Tool,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { signBedrockRequest } from '@switchyard/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_AWS_KEYS, fakeReasoningSignature, startFakeBedrock, type FakeBedrock } from './fake-bedrock.server';

/**
 * Fidelity of the fake Bedrock runtime: AWS's own SDK (@aws-sdk/client-bedrock-runtime), pointed at it with
 * static keys, signs its requests, sends Converse and ConverseStream, and reads the answers, event streams
 * and errors (as its typed exceptions). What the SDK accepts here is the wire format the adapter is tested on.
 */
describe('fake Bedrock runtime, driven by @aws-sdk/client-bedrock-runtime', () => {
  let fake: FakeBedrock;
  const [permanentId, temporaryId] = Object.keys(FAKE_AWS_KEYS) as [string, string];

  const client = (credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) =>
    new BedrockRuntimeClient({
      region: fake.region,
      endpoint: fake.url,
      maxAttempts: 1,
      // The SDK speaks HTTP/2 to Bedrock by default (for its bidirectional streams); Converse works over
      // HTTP/1.1 as well, which is what the fake serves and what the gateway's pools use.
      requestHandler: new NodeHttpHandler(),
      credentials: credentials ?? {
        accessKeyId: permanentId,
        secretAccessKey: FAKE_AWS_KEYS[permanentId]!.secretAccessKey,
      },
    });

  const user = (text: string): Message => ({ role: 'user', content: [{ text }] });

  async function failure(run: () => Promise<unknown>): Promise<BedrockRuntimeServiceException> {
    try {
      await run();
    } catch (e) {
      if (e instanceof BedrockRuntimeServiceException) return e;
      throw e;
    }
    throw new Error('expected the SDK to throw');
  }

  async function events(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
    const out: ConverseStreamOutput[] = [];
    for await (const e of stream!) out.push(e);
    return out;
  }

  beforeAll(async () => {
    fake = await startFakeBedrock();
  });
  afterAll(async () => {
    await fake?.close();
  });

  it('answers Converse with text, a stop reason and usage', async () => {
    const res = await client().send(
      new ConverseCommand({
        modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        system: [{ text: 'Be brief.' }],
        messages: [user('Say hello')],
        inferenceConfig: { maxTokens: 100, temperature: 0.5, topP: 0.9 },
      }),
    );
    expect(res.$metadata.httpStatusCode).toBe(200);
    expect(res.output?.message).toEqual({ role: 'assistant', content: [{ text: 'Hello from the fake Bedrock' }] });
    expect(res.stopReason).toBe('end_turn');
    // ceil(("Be brief." + "Say hello").length / 4) = 5
    expect(res.usage).toEqual({ inputTokens: 5, outputTokens: 5, totalTokens: 10 });
    expect(fake.lastRequest).toMatchObject({
      operation: 'converse',
      modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
    });
    expect(String(fake.lastRequest!.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAFAKEBEDROCK00001\//,
    );
  });

  it('streams ConverseStream events the SDK decodes: start, deltas, stop, metadata', async () => {
    const res = await client().send(
      new ConverseStreamCommand({ modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0', messages: [user('hi')] }),
    );
    const all = await events(res.stream);
    expect(all[0]).toEqual({ messageStart: { role: 'assistant' } });
    const text = all.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
    expect(text).toBe('Hello from the fake Bedrock');
    expect(all.at(-2)).toEqual({ messageStop: { stopReason: 'end_turn' } });
    expect(all.at(-1)?.metadata?.usage).toEqual({ inputTokens: 1, outputTokens: 5, totalTokens: 6 });
  });

  it('calls a tool when tools are given, and answers its result on the next turn', async () => {
    const tools: Tool[] = [
      {
        toolSpec: {
          name: 'get_weather',
          description: 'Weather for a city',
          inputSchema: {
            json: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } },
          },
        },
      },
    ];
    const first = await client().send(
      new ConverseCommand({
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        messages: [user('Weather in Paris?')],
        toolConfig: { tools, toolChoice: { auto: {} } },
      }),
    );
    expect(first.stopReason).toBe('tool_use');
    const use = first.output?.message?.content?.[0]?.toolUse;
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'fake', days: 42 } });
    expect(use?.toolUseId).toMatch(/^tooluse_/);

    const second = await client().send(
      new ConverseCommand({
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        messages: [
          user('Weather in Paris?'),
          first.output!.message!,
          {
            role: 'user',
            content: [{ toolResult: { toolUseId: use!.toolUseId!, content: [{ text: 'Sunny, 24C' }] } }],
          },
        ],
        toolConfig: { tools },
      }),
    );
    expect(second.output?.message?.content).toEqual([{ text: 'The tool answered: Sunny, 24C' }]);

    // A tool result that answers no tool use of the turn before is refused, as Bedrock refuses it.
    const orphan = await failure(() =>
      client().send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
          messages: [
            user('Weather?'),
            { role: 'assistant', content: [{ text: 'Let me check.' }] },
            { role: 'user', content: [{ toolResult: { toolUseId: 'tooluse_nope', content: [{ text: 'x' }] } }] },
          ],
          toolConfig: { tools },
        }),
      ),
    );
    expect(orphan).toBeInstanceOf(ValidationException);
    expect(orphan.message).toContain('tooluse_nope');
  });

  it('streams a tool use as a contentBlockStart and input fragments', async () => {
    const res = await client().send(
      new ConverseStreamCommand({
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        messages: [user('Weather?')],
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: 'lookup',
                inputSchema: { json: { type: 'object', properties: { q: { type: 'string' } } } },
              },
            },
          ],
        },
      }),
    );
    const all = await events(res.stream);
    const start = all.find((e) => e.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse).toMatchObject({ name: 'lookup' });
    const input = all.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '').join('');
    expect(JSON.parse(input)).toEqual({ q: 'fake' });
    expect(all.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('thinks when thinking is requested, signs the reasoning, and refuses it back with another signature', async () => {
    const modelId = 'anthropic.claude-3-7-sonnet-20250219-v1:0';
    const res = await client().send(
      new ConverseCommand({
        modelId,
        messages: [user('Think first')],
        inferenceConfig: { maxTokens: 4000 },
        additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
      }),
    );
    const blocks = res.output!.message!.content!;
    const reasoning = blocks[0]!.reasoningContent!.reasoningText!;
    expect(reasoning.text).toBe('Thinking about it step by step.');
    expect(reasoning.signature).toBe(fakeReasoningSignature(reasoning.text!));
    expect(blocks[1]).toEqual({ text: 'Hello from the fake Bedrock' });

    const again = (content: ContentBlock[]) =>
      client().send(
        new ConverseCommand({
          modelId,
          messages: [user('Think first'), { role: 'assistant', content }, user('And then?')],
          inferenceConfig: { maxTokens: 4000 },
          additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
        }),
      );
    await expect(again(blocks)).resolves.toMatchObject({ stopReason: 'end_turn' });
    const forged = await failure(() =>
      again([{ reasoningContent: { reasoningText: { text: reasoning.text!, signature: 'forged' } } }, blocks[1]!]),
    );
    expect(forged).toBeInstanceOf(ValidationException);
    expect(forged.message).toContain('Invalid `signature`');

    const stream = await client().send(
      new ConverseStreamCommand({
        modelId,
        messages: [user('Think first')],
        additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
      }),
    );
    const all = await events(stream.stream);
    const thought = all.map((e) => e.contentBlockDelta?.delta?.reasoningContent?.text ?? '').join('');
    const signature = all.map((e) => e.contentBlockDelta?.delta?.reasoningContent?.signature ?? '').join('');
    expect(thought).toBe('Thinking about it step by step.');
    expect(signature).toBe(fakeReasoningSignature(thought));
  });

  it('sees images sent as bytes, and reports cache writes then reads', async () => {
    const png = Uint8Array.from(
      Buffer.from(
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
        'base64',
      ),
    );
    const res = await client().send(
      new ConverseCommand({
        modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
        messages: [
          { role: 'user', content: [{ image: { format: 'png', source: { bytes: png } } }, { text: 'What is it?' }] },
        ],
      }),
    );
    expect(res.output?.message?.content?.[0]?.text).toMatch(/^I see 1 image\. /);

    const cached = () =>
      client().send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
          system: [{ text: 'A long shared system prompt. '.repeat(20) }, { cachePoint: { type: 'default' } }],
          messages: [user('question')],
        }),
      );
    const first = await cached();
    const second = await cached();
    expect(first.usage).toMatchObject({ cacheWriteInputTokens: 145, cacheReadInputTokens: 0, inputTokens: 2 });
    expect(second.usage).toMatchObject({ cacheWriteInputTokens: 0, cacheReadInputTokens: 145, inputTokens: 2 });
  });

  it('accepts temporary keys with their session token only', async () => {
    const key = FAKE_AWS_KEYS[temporaryId]!;
    const ok = await client({ accessKeyId: temporaryId, ...key }).send(
      new ConverseCommand({ modelId: 'fake-model', messages: [user('hi')] }),
    );
    expect(ok.stopReason).toBe('end_turn');
    const noToken = await failure(() =>
      client({ accessKeyId: temporaryId, secretAccessKey: key.secretAccessKey }).send(
        new ConverseCommand({ modelId: 'fake-model', messages: [user('hi')] }),
      ),
    );
    expect(noToken.name).toBe('UnrecognizedClientException');
    expect(noToken.$metadata.httpStatusCode).toBe(403);
  });

  it('refuses a wrong secret and an unknown key as AWS does', async () => {
    const wrong = await failure(() =>
      client({ accessKeyId: permanentId, secretAccessKey: 'not-the-secret' }).send(
        new ConverseCommand({ modelId: 'fake-model', messages: [user('hi')] }),
      ),
    );
    expect(wrong.name).toBe('InvalidSignatureException');
    expect(wrong.$metadata.httpStatusCode).toBe(403);
    expect(wrong.message).toMatch(/^The request signature we calculated does not match the signature you provided/);
    const unknown = await failure(() =>
      client({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' }).send(
        new ConverseCommand({ modelId: 'fake-model', messages: [user('hi')] }),
      ),
    );
    expect(unknown.name).toBe('UnrecognizedClientException');
    expect(unknown.message).toBe('The security token included in the request is invalid.');
  });

  it('answers trigger models with Bedrock exceptions the SDK types', async () => {
    const send = (modelId: string) =>
      failure(() => client().send(new ConverseCommand({ modelId, messages: [user('hi')] })));
    const throttled = await send('fake-throttle');
    expect(throttled).toBeInstanceOf(ThrottlingException);
    expect(throttled.$metadata.httpStatusCode).toBe(429);
    expect(await send('fake-503')).toBeInstanceOf(ServiceUnavailableException);
    const context = await send('fake-context');
    expect(context).toBeInstanceOf(ValidationException);
    expect(context.message).toBe('Input is too long for requested model.');
    expect((await send('fake-500')).name).toBe('InternalServerException');
    expect((await send('fake-timeout')).name).toBe('ModelTimeoutException');
    expect((await send('fake-denied')).name).toBe('AccessDeniedException');
    expect((await send('fake-quota')).name).toBe('ServiceQuotaExceededException');
  });

  it('ends a stream with the exception message the SDK throws while reading', async () => {
    const read = async (modelId: string) => {
      const res = await client().send(new ConverseStreamCommand({ modelId, messages: [user('hi')] }));
      const seen: ConverseStreamOutput[] = [];
      try {
        for await (const e of res.stream!) seen.push(e);
      } catch (e) {
        return { seen, error: e as BedrockRuntimeServiceException };
      }
      return { seen, error: undefined };
    };
    const modelError = await read('fake-stream-error');
    expect(modelError.seen.map((e) => e.contentBlockDelta?.delta?.text).filter(Boolean)).toEqual(['Hello']);
    expect(modelError.error).toBeInstanceOf(ModelStreamErrorException);
    expect((modelError.error as ModelStreamErrorException).originalStatusCode).toBe(500);
    expect((await read('fake-stream-throttle')).error).toBeInstanceOf(ThrottlingException);
  });

  it('validates strictly: unknown members, alternation, blank text, ranges', async () => {
    const send = (input: ConstructorParameters<typeof ConverseCommand>[0]) =>
      failure(() => client().send(new ConverseCommand(input)));
    const alternating = await send({ modelId: 'fake-model', messages: [user('a'), user('b')] });
    expect(alternating.message).toMatch(/must alternate between user and assistant/);
    expect((await send({ modelId: 'fake-model', messages: [user('  ')] })).message).toMatch(/is blank/);
    expect(
      (await send({ modelId: 'fake-model', messages: [user('a')], inferenceConfig: { temperature: 1.5 } })).message,
    ).toContain("Value at 'inferenceConfig.temperature' failed to satisfy constraint");
    expect(
      (
        await send({
          modelId: 'fake-model',
          messages: [user('a')],
          additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 2048 } },
        })
      ).message,
    ).toContain('extraneous key [thinking]');

    // The SDK sends only modelled members; a hand-signed request shows the refusal of unknown ones.
    const body = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }], top_k: 5 });
    const signed = await signBedrockRequest(
      {
        url: `${fake.url}/model/fake-model/converse`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      },
      { accessKeyId: permanentId, secretAccessKey: FAKE_AWS_KEYS[permanentId]!.secretAccessKey, region: fake.region },
      Date.now(),
    );
    const res = await fetch(signed.url, { method: 'POST', headers: signed.headers, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toMatch(/^ValidationException:/);
    expect(((await res.json()) as { message: string }).message).toContain('extraneous key [top_k]');
  });
});
