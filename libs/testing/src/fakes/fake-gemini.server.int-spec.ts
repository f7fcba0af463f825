import { ApiError, FunctionCallingConfigMode, GoogleGenAI, type Content } from '@google/genai';
import { JWT } from 'google-auth-library';
import {
  loadServiceAccountKey,
  serviceAccountToken,
  vertexCredentials,
  type ProviderDeployment,
} from '@switchyard/providers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGemini, type FakeGemini, type FakeServiceAccount } from './fake-gemini.server';

/**
 * The fake's fidelity, proven with Google's own SDK (@google/genai) in both of its modes: the Gemini API
 * (API key) and Vertex AI (a service account's OAuth token), pointed at the fake with httpOptions.baseUrl.
 */
describe('startFakeGemini (checked with the official @google/genai SDK)', () => {
  let fake: FakeGemini;
  let gemini: GoogleGenAI;
  let account: FakeServiceAccount;
  const weatherTool = {
    functionDeclarations: [
      {
        name: 'get_weather',
        description: 'Current weather of a city',
        parametersJsonSchema: {
          type: 'object',
          properties: { city: { type: 'string', enum: ['Paris', 'Oslo'] }, unit: { type: 'string' } },
          required: ['city'],
          additionalProperties: false,
        },
      },
    ],
  };

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'AIzaSyFakeKeyForTests0123456789abcd' });
    gemini = new GoogleGenAI({ apiKey: 'AIzaSyFakeKeyForTests0123456789abcd', httpOptions: { baseUrl: fake.url } });
    account = fake.createServiceAccount({ projectId: 'sy-project' });
  });
  afterAll(() => fake.close());

  describe('Gemini API mode', () => {
    it('answers generateContent with deterministic text and usage', async () => {
      const r = await gemini.models.generateContent({
        model: 'gemini-2.0-flash',
        contents: 'Say hello to the fake server please',
        config: { systemInstruction: 'Be brief.', temperature: 0.2, maxOutputTokens: 100 },
      });
      expect(r.text).toBe('Hello from the fake Gemini');
      expect(r.candidates?.[0]?.finishReason).toBe('STOP');
      expect(r.usageMetadata).toMatchObject({ promptTokenCount: 11, candidatesTokenCount: 5, totalTokenCount: 16 });
      expect(r.responseId).toBeTruthy();
      expect(fake.lastRequest).toMatchObject({ api: 'gemini', method: 'generateContent', model: 'gemini-2.0-flash' });
      expect(fake.lastRequest?.headers['x-goog-api-key']).toBe('AIzaSyFakeKeyForTests0123456789abcd');
      expect(fake.lastRequest?.body).toMatchObject({
        contents: [{ role: 'user', parts: [{ text: 'Say hello to the fake server please' }] }],
        systemInstruction: { parts: [{ text: 'Be brief.' }] },
        generationConfig: { temperature: 0.2, maxOutputTokens: 100 },
      });
    });

    it('streams with generateContentStream, one piece per chunk, usage complete on the last', async () => {
      const stream = await gemini.models.generateContentStream({
        model: 'gemini-2.0-flash',
        contents: 'stream please',
      });
      const texts: string[] = [];
      let last: Awaited<ReturnType<typeof stream.next>>['value'];
      for await (const chunk of stream) {
        texts.push(chunk.text ?? '');
        last = chunk;
      }
      expect(texts).toEqual(['Hello', ' from', ' the', ' fake', ' Gemini']);
      expect(last?.candidates?.[0]?.finishReason).toBe('STOP');
      expect(last?.usageMetadata).toMatchObject({ promptTokenCount: 4, candidatesTokenCount: 5 });
      expect(fake.lastRequest?.url).toContain(':streamGenerateContent?alt=sse');
    });

    it('calls a function, then answers its response in a second turn', async () => {
      const first = await gemini.models.generateContent({
        model: 'gemini-2.0-flash',
        contents: 'Weather in Paris?',
        config: {
          tools: [weatherTool],
          toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } },
        },
      });
      const call = first.functionCalls?.[0];
      expect(call).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } });
      const history: Content[] = [
        { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
        first.candidates![0]!.content!,
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { output: 'sunny, 21C' } } }] },
      ];
      const second = await gemini.models.generateContent({
        model: 'gemini-2.0-flash',
        contents: history,
        config: { tools: [weatherTool] },
      });
      expect(second.text).toBe('The function get_weather returned {"output":"sunny, 21C"}.');

      // A response that answers no call of the turn before it is refused, as by the real API.
      await expect(
        gemini.models.generateContent({
          model: 'gemini-2.0-flash',
          contents: [
            history[0]!,
            { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: {} } }] },
          ],
        }),
      ).rejects.toMatchObject({
        status: 400,
        message: expect.stringContaining('function response turn comes immediately after a function call turn'),
      });
    });

    it('returns thoughts and a signature when thinking, and requires the signature back on Gemini 3', async () => {
      const r = await gemini.models.generateContent({
        model: 'gemini-3-pro-preview',
        contents: 'Weather in Oslo?',
        config: { tools: [weatherTool], thinkingConfig: { includeThoughts: true } },
      });
      const parts = r.candidates![0]!.content!.parts!;
      expect(parts[0]).toMatchObject({ thought: true });
      const callPart = parts.find((p) => p.functionCall)!;
      expect(callPart.thoughtSignature).toBeTruthy();
      expect(callPart.functionCall?.id).toBeTruthy();
      expect(r.usageMetadata?.thoughtsTokenCount).toBe(12);

      const answer = {
        role: 'user',
        parts: [{ functionResponse: { id: callPart.functionCall!.id, name: 'get_weather', response: { t: 3 } } }],
      };
      const ok = await gemini.models.generateContent({
        model: 'gemini-3-pro-preview',
        contents: [
          { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
          { role: 'model', parts: [callPart] },
          answer,
        ],
        config: { tools: [weatherTool] },
      });
      expect(ok.text).toContain('get_weather returned');
      const { thoughtSignature: _dropped, ...unsigned } = callPart;
      await expect(
        gemini.models.generateContent({
          model: 'gemini-3-pro-preview',
          contents: [
            { role: 'user', parts: [{ text: 'Weather in Oslo?' }] },
            { role: 'model', parts: [unsigned] },
            answer,
          ],
          config: { tools: [weatherTool] },
        }),
      ).rejects.toMatchObject({ status: 400, message: expect.stringContaining('missing a thought_signature') });
    });

    it('reports errors in Google’s envelope: quota, server, bad key, unknown field, context length', async () => {
      const err = async (p: Promise<unknown>): Promise<ApiError> => {
        try {
          await p;
        } catch (e) {
          if (e instanceof ApiError) return e;
          throw e;
        }
        throw new Error('expected an ApiError');
      };
      const quota = await err(gemini.models.generateContent({ model: 'gemini-2.0-flash-429', contents: 'x' }));
      expect(quota.status).toBe(429);
      expect(quota.message).toContain('RESOURCE_EXHAUSTED');
      expect(quota.message).toContain('"retryDelay":"7s"');
      expect((await err(gemini.models.generateContent({ model: 'gemini-2.0-flash-500', contents: 'x' }))).status).toBe(
        500,
      );
      expect((await err(gemini.models.generateContent({ model: 'gemini-2.0-flash-503', contents: 'x' }))).status).toBe(
        503,
      );
      const context = await err(gemini.models.generateContent({ model: 'gemini-2.0-flash-context', contents: 'x' }));
      expect(context.message).toContain('exceeds the maximum number of tokens allowed');

      const wrongKey = new GoogleGenAI({
        apiKey: 'AIzaSyWrongKey000000000000000000000000',
        httpOptions: { baseUrl: fake.url },
      });
      const bad = await err(wrongKey.models.generateContent({ model: 'gemini-2.0-flash', contents: 'x' }));
      expect(bad.status).toBe(400);
      expect(bad.message).toContain('API_KEY_INVALID');

      // Fields the API does not know are refused where they are, as the real parser does.
      const res = await fetch(`${fake.url}/v1beta/models/gemini-2.0-flash:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'AIzaSyFakeKeyForTests0123456789abcd' },
        body: JSON.stringify({
          contents: [{ role: 'assistant', parts: [{ text: 'hi' }] }],
          generationConfig: { max_tokens: 5 },
          tools: [
            { functionDeclarations: [{ name: 'f', parameters: { type: 'object', additionalProperties: false } }] },
          ],
        }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { status: string; message: string } };
      expect(body.error.status).toBe('INVALID_ARGUMENT');
      expect(body.error.message).toBe(
        [
          `Invalid JSON payload received. Unknown name "max_tokens" at 'generation_config': Cannot find field.`,
          `Invalid JSON payload received. Unknown name "additionalProperties" at 'tools[0].function_declarations[0].parameters': Cannot find field.`,
        ].join('\n'),
      );
      const roles = await err(
        gemini.models.generateContent({
          model: 'gemini-2.0-flash',
          contents: [{ role: 'assistant', parts: [{ text: 'x' }] }],
        }),
      );
      expect(roles.message).toContain('Please use a valid role: user, model.');
    });

    it('refuses a prompt (blockReason) and stops an answer for safety', async () => {
      const blocked = await gemini.models.generateContent({ model: 'gemini-2.0-flash-blocked', contents: 'x' });
      expect(blocked.promptFeedback?.blockReason).toBe('SAFETY');
      expect(blocked.candidates).toBeUndefined();
      const stopped = await gemini.models.generateContent({ model: 'gemini-2.0-flash-safety', contents: 'x' });
      expect(stopped.candidates?.[0]?.finishReason).toBe('SAFETY');
      expect(stopped.text).toBe('Hello');
    });
  });

  describe('Vertex AI mode', () => {
    /** The SDK's own auth (google-auth-library) with the key's token_uri honoured, as the adapter does it. */
    function vertexClient(sa: FakeServiceAccount, project = sa.key.project_id): GoogleGenAI {
      const jwt = new JWT({
        email: sa.key.client_email,
        key: sa.key.private_key,
        keyId: sa.key.private_key_id,
        scopes: ['https://www.googleapis.com/auth/cloud-platform'],
      });
      jwt.transporter.interceptors.request.add({
        resolved: async (config) => {
          if (config.url.href === 'https://oauth2.googleapis.com/token') config.url = new URL(sa.key.token_uri);
          return config;
        },
      });
      return new GoogleGenAI({
        vertexai: true,
        project,
        location: 'europe-west4',
        httpOptions: { baseUrl: fake.url },
        googleAuthOptions: { authClient: jwt },
      });
    }

    it('answers generateContent and streams with a token from the fake token endpoint', async () => {
      const before = fake.tokenRequests;
      const vertex = vertexClient(account);
      const r = await vertex.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello vertex' });
      expect(r.text).toBe('Hello from the fake Gemini');
      expect(r.usageMetadata?.thoughtsTokenCount).toBe(12); // 2.5 models think by default
      expect(fake.lastRequest).toMatchObject({
        api: 'vertex',
        project: 'sy-project',
        location: 'europe-west4',
        model: 'gemini-2.5-flash',
      });
      expect(fake.lastRequest?.headers.authorization).toMatch(/^Bearer ya29\./);

      let text = '';
      for await (const c of await vertex.models.generateContentStream({
        model: 'gemini-2.5-flash',
        contents: 'stream',
      }))
        text += c.text ?? '';
      expect(text).toBe('Hello from the fake Gemini');
      // The SDK's client caches its token: one exchange for both calls.
      expect(fake.tokenRequests - before).toBe(1);
    });

    it('refuses an unknown token (401), another project (403) and a forged assertion', async () => {
      const res = await fetch(
        `${fake.url}/v1/projects/sy-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer ya29.not-issued-by-the-fake' },
          body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
        },
      );
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');

      await expect(
        vertexClient(account, 'someone-elses-project').models.generateContent({
          model: 'gemini-2.5-flash',
          contents: 'x',
        }),
      ).rejects.toMatchObject({ status: 403 });

      // A key the fake never registered, claiming an account it knows: the signature check fails.
      const forged = fake.createServiceAccount({ projectId: 'sy-project' });
      const impostor = {
        ...forged,
        key: { ...forged.key, client_email: account.key.client_email, private_key_id: account.key.private_key_id },
      };
      await expect(
        vertexClient(impostor as FakeServiceAccount).models.generateContent({
          model: 'gemini-2.5-flash',
          contents: 'x',
        }),
      ).rejects.toThrow(/Invalid JWT Signature/);
    });
  });

  describe("the Vertex adapter's credential source against the token endpoint", () => {
    const deployment = (vertex_credentials: unknown): ProviderDeployment =>
      ({
        id: 'vertex-dep',
        modelName: 'gemini',
        provider: 'vertex_ai',
        model: 'gemini-2.5-flash',
        params: { family: 'vertex_ai', vertex_credentials },
      }) as ProviderDeployment;

    it('exchanges the key (JSON string or object) at its token_uri for a token with its expiry and project', async () => {
      const before = fake.tokenRequests;
      const now = Date.now();
      const creds = await vertexCredentials.resolve(deployment(account.json), now);
      expect(creds.token?.value).toMatch(/^ya29\.c\./);
      expect(creds.token!.expiresAt).toBeGreaterThan(now + 3_500_000);
      expect(creds.token!.expiresAt).toBeLessThanOrEqual(Date.now() + 3_600_000);
      expect(creds.projectId).toBe('sy-project');
      expect((await vertexCredentials.resolve(deployment(account.key), now)).token?.value).toMatch(/^ya29\./);
      expect(fake.tokenRequests - before).toBe(2);
    });

    it('says what is wrong without quoting the key', async () => {
      const forged = fake.createServiceAccount();
      const wrongKey = { ...account.key, private_key: forged.key.private_key };
      const error = await serviceAccountToken(loadServiceAccountKey(wrongKey), Date.now()).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error?.message).toContain('Invalid JWT Signature');
      expect(error?.message).not.toContain('PRIVATE KEY');
      expect(() => loadServiceAccountKey('/nonexistent/key.json')).toThrow(
        /cannot read the file \/nonexistent\/key.json \(ENOENT\)/,
      );
      expect(() => loadServiceAccountKey({ type: 'authorized_user' })).toThrow(/only "service_account"/);
      expect(() => loadServiceAccountKey(undefined, {})).toThrow(/GOOGLE_APPLICATION_CREDENTIALS/);
    });
  });
});
