import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import { chatInput } from '../chat-input';
import type { Credentials, RequestContext } from '../credentials/credentials.types';
import type { ProviderDeployment } from '../provider-deployment';
import { adapterFor } from '../provider.registry';
import { SseParser } from '../sse/sse.parser';
import { azureAdapter } from './azure.adapter';
import { AZURE_DEFAULT_SCOPE, createAzureCredentials } from './azure.credentials';
import { AZURE_DEFAULT_API_VERSION, azureChatUrl } from './azure.request';

const fx = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const enc = new TextEncoder();

const dep = (over: Partial<ProviderDeployment> = {}): ProviderDeployment => ({
  id: 'dep-azure',
  modelName: 'gpt-4o',
  provider: 'azure',
  model: 'gpt-4o-prod',
  apiBase: 'https://my-resource.openai.azure.com',
  apiKey: 'azure-key-0123456789abcdef',
  ...over,
});
const params = (p: Record<string, unknown>) => ({ family: 'azure', model: 'azure/x', ...p }) as never;
const ctx = (credentials: Credentials): RequestContext => ({ now: () => 0, credentials });
const input = (body: Record<string, unknown>) => chatInput(enc.encode(JSON.stringify(body)));

describe('azure request', () => {
  it('is registered for azure/ and passes OpenAI bodies through', () => {
    expect(adapterFor({ provider: 'azure' })).toBe(azureAdapter);
    expect(azureAdapter.api).toBe('openai.chat');
  });

  it('builds the deployments URL with the api-version, or the v1 URL', () => {
    expect(azureChatUrl(dep())).toBe(
      `https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}`,
    );
    expect(AZURE_DEFAULT_API_VERSION).toBe('2024-10-21');
    expect(azureChatUrl(dep({ apiVersion: '2025-04-01-preview', apiBase: 'https://r.example/openai/' }))).toBe(
      'https://r.example/openai/deployments/gpt-4o-prod/chat/completions?api-version=2025-04-01-preview',
    );
    expect(azureChatUrl(dep({ model: 'my deploy', apiVersion: 'v1' }))).toBe(
      'https://my-resource.openai.azure.com/openai/v1/chat/completions',
    );
    expect(azureChatUrl(dep({ apiVersion: 'preview' }))).toBe(
      'https://my-resource.openai.azure.com/openai/v1/chat/completions?api-version=preview',
    );
    expect(azureChatUrl(dep({ apiVersion: 'latest' }))).toBe(
      'https://my-resource.openai.azure.com/openai/v1/chat/completions?api-version=latest',
    );
    expect(azureChatUrl(dep({ apiBase: 'https://r.example/openai/v1/', apiVersion: '2024-10-21' }))).toBe(
      'https://r.example/openai/v1/chat/completions',
    );
    expect(azureChatUrl(dep({ model: 'a/b c' }))).toContain('/deployments/a%2Fb%20c/chat');
    expect(() => azureChatUrl(dep({ apiBase: undefined }))).toThrow(/api_base/);
  });

  it('authenticates with api-key, or a bearer for an Entra ID token; extra_headers win', () => {
    const byKey = azureAdapter.chat.buildRequest(input({ model: 'x', messages: [] }), dep(), ctx({ apiKey: 'k-123' }));
    expect(byKey.headers['api-key']).toBe('k-123');
    expect(byKey.headers).not.toHaveProperty('authorization');
    const byToken = azureAdapter.chat.buildRequest(
      input({ model: 'x', messages: [], stream: true }),
      dep({ params: params({ extra_headers: { 'X-Ms-Client-Request-Id': 'abc' } }) }),
      ctx({ token: { value: 'eyJtoken', expiresAt: 1 } }),
    );
    expect(byToken.headers).toMatchObject({
      authorization: 'Bearer eyJtoken',
      accept: 'text/event-stream',
      'x-ms-client-request-id': 'abc',
    });
    expect(byToken.headers).not.toHaveProperty('api-key');
  });

  it('passes the body through as OpenAI does: only model (the deployment name) and stream_options change', () => {
    const body = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hé' }], stream: true, temperature: 0.2 };
    const req = azureAdapter.chat.buildRequest(input(body), dep(), ctx({ apiKey: 'k' }));
    expect(JSON.parse(new TextDecoder().decode(req.body as Uint8Array))).toEqual({
      ...body,
      model: 'gpt-4o-prod',
      stream_options: { include_usage: true },
    });
    const same = input({ model: 'gpt-4o-prod', messages: [] });
    expect(azureAdapter.chat.buildRequest(same, dep(), ctx({ apiKey: 'k' })).body).toBe(same.raw);
  });
});

describe('azure credentials', () => {
  const tokenFetch = (status: number, body: string, seen: Array<{ url: string; init: RequestInit }>) =>
    (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push({ url: String(url), init: init ?? {} });
      return new Response(body, { status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;

  it('uses api_key first, then azure_ad_token as a bearer that never expires', async () => {
    const source = createAzureCredentials();
    expect(await source.resolve(dep({ params: params({ azure_ad_token: 'eyJstatic' }) }), 0)).toEqual({
      apiKey: 'azure-key-0123456789abcdef',
    });
    expect(
      await source.resolve(dep({ apiKey: undefined, params: params({ azure_ad_token: 'eyJstatic' }) }), 0),
    ).toEqual({ token: { value: 'eyJstatic', expiresAt: Number.POSITIVE_INFINITY } });
  });

  it('runs the client-credentials flow against the authority, with the default or configured scope', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const source = createAzureCredentials({ fetch: tokenFetch(200, fx('token-response.json'), seen), env: {} });
    const d = dep({
      apiKey: undefined,
      params: params({ tenant_id: 'contoso.onmicrosoft.com', client_id: 'app-1', client_secret: 'S3cr3t~value' }),
    });
    const creds = await source.resolve(d, 1_000_000);
    expect(creds.token?.value).toMatch(/^eyJ0eXAi/);
    expect(creds.token?.expiresAt).toBe(1_000_000 + 3_599_000);
    expect(seen[0]!.url).toBe('https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token');
    expect(seen[0]!.init.method).toBe('POST');
    expect(Object.fromEntries(new URLSearchParams(String(seen[0]!.init.body)))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'app-1',
      client_secret: 'S3cr3t~value',
      scope: AZURE_DEFAULT_SCOPE,
    });

    const other = createAzureCredentials({
      fetch: tokenFetch(200, fx('token-response.json'), seen),
      env: { AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us/' },
    });
    await other.resolve(
      dep({
        apiKey: undefined,
        params: params({ tenant_id: 't', client_id: 'c', client_secret: 's', azure_scope: 'api://x/.default' }),
      }),
      0,
    );
    expect(seen[1]!.url).toBe('https://login.microsoftonline.us/t/oauth2/v2.0/token');
    const bare = createAzureCredentials({
      fetch: tokenFetch(200, fx('token-response.json'), seen),
      env: { AZURE_AUTHORITY_HOST: 'login.chinacloudapi.cn' },
    });
    await bare.resolve(
      dep({ apiKey: undefined, params: params({ tenant_id: 't', client_id: 'c', client_secret: 's' }) }),
      0,
    );
    expect(seen[2]!.url).toBe('https://login.chinacloudapi.cn/t/oauth2/v2.0/token');
    expect(new URLSearchParams(String(seen[1]!.init.body)).get('scope')).toBe('api://x/.default');
  });

  it('names what Entra ID said when it refuses, never the secret', async () => {
    const source = createAzureCredentials({ fetch: tokenFetch(401, fx('token-error.json'), []), env: {} });
    const d = dep({
      apiKey: undefined,
      params: params({ tenant_id: 't', client_id: 'c', client_secret: 'S3cr3t~value-long' }),
    });
    const e = (await Promise.resolve(source.resolve(d, 0)).catch((x: Error) => x)) as Error;
    expect(e.message).toContain('invalid_client: AADSTS7000215: Invalid client secret provided');
    expect(e.message).not.toContain('Trace ID');
    expect(e.message).not.toContain('S3cr3t~value-long');
    const down = createAzureCredentials({
      fetch: (async () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      }) as typeof fetch,
      env: {},
    });
    await expect(Promise.resolve(down.resolve(d, 0))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses the username/password flow, half a service principal, and no credentials at all', () => {
    const source = createAzureCredentials();
    const resolve = (p: Record<string, unknown>) => () =>
      source.resolve(dep({ apiKey: undefined, params: params(p) }), 0);
    expect(resolve({ azure_username: 'u', azure_password: 'p' })).toThrow(/username\/password flow .* not supported/);
    expect(resolve({ tenant_id: 't', client_id: 'c' })).toThrow(/client_secret missing/);
    expect(resolve({})).toThrow(/no credentials configured/);
  });
});

describe('azure stream', () => {
  function run(pieces: Uint8Array[], includeUsage: boolean) {
    const parser = new SseParser();
    const tr = azureAdapter.chat.createStreamTranslator({ includeUsage });
    let out = '';
    let committedAt: number | undefined;
    let i = 0;
    for (const piece of pieces)
      for (const ev of parser.push(piece)) {
        out += tr.push(ev);
        i++;
        if (committedAt === undefined && tr.state.contentSeen) committedAt = i;
      }
    for (const ev of parser.end()) out += tr.push(ev);
    out += tr.end();
    return { out, state: tr.state, committedAt };
  }

  it('drops the prompt-filter chunk, passes the rest byte for byte, and records usage', () => {
    const { out, state, committedAt } = run([enc.encode(fx('chat-stream.sse'))], true);
    const sent = fx('chat-stream.sse')
      .split('\n\n')
      .filter((e) => e.startsWith('data: {"choices":[{') || e.includes('"usage":{'));
    expect(out).toBe(sent.map((e) => `${e}\n\n`).join(''));
    expect(out).not.toContain('prompt_filter_results');
    expect(state).toMatchObject({ done: true, finished: true, error: undefined });
    expect(state.usage).toEqual({
      promptTokens: 21,
      completionTokens: 4,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    // The commit point is the first content ("Bonjour"), the third event: not the filter chunk, not the role.
    expect(committedAt).toBe(3);
  });

  it('gives the same output split at any byte boundary', () => {
    const bytes = enc.encode(fx('chat-stream.sse'));
    const whole = run([bytes], false).out;
    expect(whole).not.toContain('"usage":null');
    for (let seed = 1; seed <= 30; seed++) expect(run(splitAtRandom(bytes, seed), false).out).toBe(whole);
  });

  it('drops the asynchronous filter annotations that carry no delta', () => {
    const annotation =
      'data: {"choices":[{"content_filter_offsets":{"check_offset":0,"start_offset":0,"end_offset":7},"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"finish_reason":null,"index":0}],"created":0,"id":"","model":"","object":""}\n\n';
    const events = fx('chat-stream.sse').split('\n\n');
    const withAnnotation = [...events.slice(0, 4), annotation.trimEnd(), ...events.slice(4)].join('\n\n');
    expect(run([enc.encode(withAnnotation)], true).out).toBe(run([enc.encode(fx('chat-stream.sse'))], true).out);
  });

  it('keeps a content_filter finish, and a stream cut short is truncated', () => {
    const filtered = fx('chat-stream.sse').replace('"finish_reason":"stop"', '"finish_reason":"content_filter"');
    expect(run([enc.encode(filtered)], true).out).toContain('"finish_reason":"content_filter"');
    const cut = fx('chat-stream.sse').split('\n\n').slice(0, 3).join('\n\n') + '\n\n';
    expect(run([enc.encode(cut)], true).state.error).toMatchObject({ code: 'upstream_stream_truncated' });
  });

  it('reads usage (with cached tokens) from a whole answer and forwards its bytes unchanged', () => {
    const r = azureAdapter.chat.parseResponse(fx('chat-completion.json'), input({ model: 'x', messages: [] }));
    expect(r.body).toBeNull();
    expect(r.usage).toMatchObject({ promptTokens: 21, completionTokens: 4, cachedTokens: 16 });
  });
});

describe('azure errors', () => {
  const err = (status: number, body: string, headers: Record<string, string> = {}) =>
    azureAdapter.normaliseError({ status, body, headers }, dep());

  it('maps the content filter refusal to content_policy_violation', () => {
    expect(err(400, fx('error-content-filter.json'))).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      kind: 'content_policy',
      code: 'content_policy_violation',
      param: 'prompt',
      retryable: false,
      message: expect.stringContaining("Azure OpenAI's content management policy") as unknown as string,
    });
  });

  it('keeps context_length_exceeded', () => {
    expect(err(400, fx('error-context.json'))).toMatchObject({
      status: 400,
      kind: 'context_window',
      code: 'context_length_exceeded',
    });
    expect(
      err(400, '{"error":{"code":"BadRequest","message":"This model\'s maximum context length is 8192 tokens."}}'),
    ).toMatchObject({ kind: 'context_window', code: 'context_length_exceeded' });
  });

  it('keeps 429 with retry-after-ms (preferred) or retry-after, with a readable code', () => {
    expect(err(429, fx('error-429.json'), { 'retry-after-ms': '1500', 'retry-after': '2' })).toMatchObject({
      status: 429,
      kind: 'rate_limited',
      code: 'rate_limit_exceeded',
      retryAfter: 1.5,
    });
    expect(err(429, fx('error-429.json'), { 'retry-after': '2' }).retryAfter).toBe(2);
  });

  it('maps a refused key or token to a retryable 502 naming both kinds of credentials', () => {
    const e = err(401, fx('error-401.json'));
    expect(e).toMatchObject({ status: 502, kind: 'auth', code: 'upstream_auth_failed', retryable: true });
    expect(e.message).toContain('api_key or Entra ID');
  });

  it("maps a 404 (wrong deployment, api_base or api-version) to the operator's 502", () => {
    const e = err(404, fx('error-404.json'));
    expect(e).toMatchObject({ status: 502, kind: 'unavailable', retryable: true });
    expect(e.message).toContain('The API deployment for this resource does not exist');
    expect(err(404, '{"error":{"code":"404","message":"Resource not found"}}').message).toContain('Resource not found');
  });

  it('maps 5xx to a retryable 502', () => {
    expect(
      err(500, '{"error":{"code":"InternalServerError","message":"Backend returned unexpected response."}}'),
    ).toMatchObject({ status: 502, kind: 'upstream_5xx', retryable: true });
  });
});
