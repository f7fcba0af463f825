import OpenAI, { AzureOpenAI } from 'openai';
import { createAzureCredentials, type ProviderDeployment } from '@switchyard/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeAnswerPieces } from '../fake-openai.server';
import { startFakeAzureOpenAI, type FakeAzureOpenAI } from './fake-azure-openai.server';

const KEY = 'azure-fake-key-0123456789';
const TEXT = fakeAnswerPieces(5).join('');

/** The fake checked against openai's AzureOpenAI client (both URL forms, api-key and Entra ID tokens). */
describe('startFakeAzureOpenAI (checked with the official openai SDK)', () => {
  let fake: FakeAzureOpenAI;
  const messages = [{ role: 'user' as const, content: 'Say hello to the fake Azure please' }];

  beforeAll(async () => {
    fake = await startFakeAzureOpenAI({ apiKey: KEY, clientId: 'app-1', clientSecret: 'entra-secret-value-1' });
  });
  afterAll(() => fake.close());

  const azure = (over: ConstructorParameters<typeof AzureOpenAI>[0] = {}) =>
    new AzureOpenAI({ endpoint: fake.url, apiVersion: '2024-10-21', apiKey: KEY, maxRetries: 0, ...over });

  /** Entra ID tokens for the fake's tenant, fetched by Switchyard's own credential source. */
  const entraTokens = () => {
    const source = createAzureCredentials({ env: { AZURE_AUTHORITY_HOST: fake.url } });
    const d: ProviderDeployment = {
      id: 'd',
      modelName: 'm',
      provider: 'azure',
      model: 'gpt-4o-prod',
      params: {
        family: 'azure',
        tenant_id: 'contoso',
        client_id: 'app-1',
        client_secret: 'entra-secret-value-1',
      } as ProviderDeployment['params'],
    };
    return async () => (await source.resolve(d, Date.now())).token!.value;
  };

  it('answers the deployments form with an api-key, with Azure content-filter annotations', async () => {
    const r = await azure({ deployment: 'gpt-4o-prod' }).chat.completions.create({ model: 'ignored', messages });
    expect(r.choices[0]!.message.content).toBe(TEXT);
    expect(r.model).toBe('gpt-4o-prod');
    expect(r).toHaveProperty('prompt_filter_results');
    expect(r.choices[0]).toHaveProperty('content_filter_results');
    expect(fake.lastRequest?.url).toBe('/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21');
    expect(fake.lastRequest?.headers['api-key']).toBe(KEY);
  });

  it('streams with the prompt-filter chunk first, which the SDK passes on', async () => {
    const stream = await azure().chat.completions.create({
      model: 'gpt-4o-prod',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0]!.choices).toEqual([]);
    expect(chunks[0]).toHaveProperty('prompt_filter_results');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(TEXT);
    expect(chunks.at(-1)!.usage?.completion_tokens).toBe(5);
  });

  it('takes Entra ID tokens from its token endpoint (azureADTokenProvider) and refuses unknown ones', async () => {
    const before = fake.tokenRequests;
    const r = await azure({ apiKey: undefined, azureADTokenProvider: entraTokens() }).chat.completions.create({
      model: 'gpt-4o-prod',
      messages,
    });
    expect(r.choices[0]!.message.content).toBe(TEXT);
    expect(fake.tokenRequests).toBe(before + 1);
    expect(fake.lastRequest?.headers.authorization).toMatch(/^Bearer eyJ/);
    expect(fake.lastTokenRequest?.url).toBe('/contoso/oauth2/v2.0/token');
    expect(fake.lastTokenRequest?.body).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'https://cognitiveservices.azure.com/.default',
    });
    await expect(
      azure({ apiKey: undefined, azureADTokenProvider: async () => 'eyJ.forged.token' }).chat.completions.create({
        model: 'gpt-4o-prod',
        messages,
      }),
    ).rejects.toMatchObject({ status: 401 });
    const wrongSecret = createAzureCredentials({ env: { AZURE_AUTHORITY_HOST: fake.url } });
    await expect(
      Promise.resolve(
        wrongSecret.resolve(
          {
            id: 'd',
            modelName: 'm',
            provider: 'azure',
            model: 'x',
            params: { family: 'azure', tenant_id: 't', client_id: 'app-1', client_secret: 'nope-nope' } as never,
          },
          0,
        ),
      ),
    ).rejects.toThrow(/invalid_client: AADSTS7000215/);
  });

  it('answers the v1 form with an api-key, a key as bearer, or an Entra token', async () => {
    const v1 = (apiKey: string, headers: Record<string, string> = {}) =>
      new OpenAI({ baseURL: `${fake.url}/openai/v1`, apiKey, maxRetries: 0, defaultHeaders: headers });
    const byHeader = await v1('unused', { 'api-key': KEY }).chat.completions.create({ model: 'gpt-4o-prod', messages });
    expect(byHeader.choices[0]!.message.content).toBe(TEXT);
    expect(fake.lastRequest?.url).toBe('/openai/v1/chat/completions');
    expect((await v1(KEY).chat.completions.create({ model: 'gpt-4o-prod', messages })).model).toBe('gpt-4o-prod');
    const token = await entraTokens()();
    expect((await v1(token).chat.completions.create({ model: 'gpt-4o-prod', messages })).object).toBe(
      'chat.completion',
    );
    const preview = new OpenAI({
      baseURL: `${fake.url}/openai/v1`,
      apiKey: KEY,
      maxRetries: 0,
      defaultQuery: { 'api-version': 'preview' },
    });
    expect((await preview.chat.completions.create({ model: 'gpt-4o-prod', messages })).object).toBe('chat.completion');
  });

  it('answers errors as Azure does', async () => {
    const client = azure();
    const err = async (model: string) => {
      try {
        await client.chat.completions.create({ model, messages });
      } catch (e) {
        return e as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error('expected an error');
    };
    const filtered = await err('azure-content-filter');
    expect(filtered).toMatchObject({ status: 400, code: 'content_filter', param: 'prompt' });
    expect((filtered.error as { innererror: { code: string } }).innererror.code).toBe('ResponsibleAIPolicyViolation');
    const limited = await err('azure-429');
    expect(limited.status).toBe(429);
    expect(limited.headers?.get('retry-after-ms')).toBe('1500');
    expect(await err('azure-context')).toMatchObject({ status: 400, code: 'context_length_exceeded' });
    expect(await err('fake-500')).toMatchObject({ status: 500 });
    await expect(
      azure({ apiKey: 'wrong-key' }).chat.completions.create({ model: 'gpt-4o-prod', messages }),
    ).rejects.toMatchObject({ status: 401 });
    const noVersion = await fetch(`${fake.url}/openai/deployments/gpt-4o-prod/chat/completions`, {
      method: 'POST',
      headers: { 'api-key': KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    expect(noVersion.status).toBe(404);
    expect(await noVersion.json()).toEqual({ error: { code: '404', message: 'Resource not found' } });
  });

  it('cuts the answer with the output filter, and a stream mid-way for fake-drop', async () => {
    const r = await azure().chat.completions.create({ model: 'azure-filtered-output', messages });
    expect(r.choices[0]!.finish_reason).toBe('content_filter');
    let finish: string | null | undefined;
    for await (const c of await azure().chat.completions.create({
      model: 'azure-filtered-output',
      messages,
      stream: true,
    }))
      finish = c.choices[0]?.finish_reason ?? finish;
    expect(finish).toBe('content_filter');
    const dropped = await azure().chat.completions.create({ model: 'fake-drop', messages, stream: true });
    await expect(
      (async () => {
        for await (const _c of dropped) void _c;
      })(),
    ).rejects.toThrow();
  });
});
