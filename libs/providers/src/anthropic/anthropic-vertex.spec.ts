import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitAtRandom } from '../__fixtures__/split-at-random';
import type { StreamTranslator } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { SseParser, type SseEvent } from '../sse/sse.parser';
import { vertexAnthropicAdapter } from './anthropic-vertex.adapter';
import { normaliseVertexAnthropicError, readVertexErrorShape } from './anthropic-vertex.errors';
import { createAnthropicStreamTranslator } from './anthropic.stream';

const fixture = (name: string): string => readFileSync(join(__dirname, '__fixtures__', name), 'utf8');
const NOW = 1_750_000_000_000;
/** A service-account key given inline, as litellm_params.vertex_credentials may be: a configured secret. */
const INLINE_KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'gateway@my-project.iam.gserviceaccount.com',
  private_key:
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n',
});
const TOKEN = 'ya29.c.b0AXv0zTPlFakeAccessToken1234567890abcdefghijklmnop';

const dep: ProviderDeployment = {
  id: 'dep-vertex-claude',
  modelName: 'claude-vertex',
  provider: 'vertex_ai',
  model: 'claude-sonnet-4-5@20250929',
  params: {
    family: 'vertex_ai',
    vertex_project: 'my-project',
    vertex_location: 'us-east5',
    vertex_credentials: INLINE_KEY,
  },
} as ProviderDeployment;

const err = (status: number, body: string, headers: Record<string, string> = {}) =>
  normaliseVertexAnthropicError({ status, body, headers }, dep);
const anthropic = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message } });
const google = (code: number, status: string, message: string) => JSON.stringify({ error: { code, message, status } });

describe("Claude on Vertex AI: errors in the platform's envelope (Google's)", () => {
  it('tells the envelopes apart, unwrapping a streamed reply’s array', () => {
    expect(readVertexErrorShape(fixture('vertex-error-429-quota.json')).shape).toBe('google');
    const wrapped = readVertexErrorShape(fixture('vertex-error-429-quota-stream.json'));
    expect(wrapped.shape).toBe('google');
    expect(JSON.parse(wrapped.body)).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED' } });
    expect(readVertexErrorShape(anthropic('overloaded_error', 'Overloaded')).shape).toBe('anthropic');
    expect(readVertexErrorShape('<html>502</html>').shape).toBe('other');
    expect(readVertexErrorShape('').shape).toBe('other');
  });

  it('a token refused (401 UNAUTHENTICATED) is the operator’s: 502 upstream_auth_failed, kind auth', () => {
    const e = err(401, fixture('vertex-error-401.json'));
    expect(e).toMatchObject({
      kind: 'auth',
      status: 502,
      type: 'api_error',
      code: 'upstream_auth_failed',
      retryable: true,
    });
    expect(e.message).toContain('HTTP 401 UNAUTHENTICATED: Request had invalid authentication credentials');
    expect(e.message).toContain("model 'claude-vertex'");
    expect(e.message).toContain('vertex_credentials');
  });

  it('a service account without access (403 PERMISSION_DENIED) is kind permission, 502', () => {
    const e = err(403, fixture('vertex-error-403.json'));
    expect(e).toMatchObject({
      kind: 'permission',
      status: 502,
      type: 'api_error',
      code: 'upstream_permission_denied',
      retryable: true,
    });
    expect(e.message).toContain("Permission 'aiplatform.endpoints.predict' denied on resource");
    expect(e.message).toContain('Vertex AI User role');
  });

  it('a model or region Vertex does not serve (404 NOT_FOUND) is kind not_found, with its message', () => {
    expect(err(404, fixture('vertex-error-404.json'))).toMatchObject({
      kind: 'not_found',
      status: 404,
      type: 'invalid_request_error',
      code: 'model_not_found',
      message: expect.stringContaining(
        'Publisher Model `projects/my-project/locations/us-central1/publishers/anthropic/models/claude-sonnet-4-5@20250929` was not found',
      ) as unknown as string,
    });
    // A 404 in neither envelope is a wrong api_base, not a missing model.
    expect(err(404, '<html>Not Found</html>')).toMatchObject({ kind: 'unavailable', status: 502 });
  });

  it('the project’s quota (429 RESOURCE_EXHAUSTED) is kind rate_limited, plain or array-wrapped', () => {
    const plain = err(429, fixture('vertex-error-429-quota.json'));
    expect(plain).toMatchObject({ kind: 'rate_limited', status: 429, type: 'rate_limit_error', retryable: true });
    expect(plain.message).toContain('Quota exceeded for aiplatform.googleapis.com/online_prediction_requests');
    expect(plain.retryAfter).toBeUndefined();
    const streamed = err(429, fixture('vertex-error-429-quota-stream.json'), { 'retry-after': '30' });
    expect(streamed).toMatchObject({ kind: 'rate_limited', status: 429, retryAfter: 30 });
    expect(streamed.message).toContain('anthropic-claude-opus-4');
  });

  it('maps the other platform refusals as Vertex AI’s', () => {
    expect(err(400, fixture('vertex-error-400-failed-precondition.json'))).toMatchObject({
      kind: 'unavailable',
      status: 502,
      message: expect.stringContaining('is not allowed to use Publisher Model') as unknown as string,
    });
    expect(err(503, google(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'))).toMatchObject({
      kind: 'overloaded',
      status: 503,
    });
    expect(err(500, google(500, 'INTERNAL', 'Internal error encountered.'))).toMatchObject({
      kind: 'upstream_5xx',
      status: 502,
    });
    expect(err(504, google(504, 'DEADLINE_EXCEEDED', 'Deadline expired'))).toMatchObject({ kind: 'timeout' });
    expect(err(502, '')).toMatchObject({ kind: 'upstream_5xx', status: 502 });
  });
});

describe("Claude on Vertex AI: errors in the model's envelope (Anthropic's)", () => {
  it('maps them as the Anthropic API’s: overloaded, context window, rate limit, bad request', () => {
    expect(err(529, anthropic('overloaded_error', 'Overloaded'), { 'retry-after': '3' })).toMatchObject({
      kind: 'overloaded',
      status: 503,
      code: 'overloaded',
      retryAfter: 3,
    });
    expect(
      err(400, anthropic('invalid_request_error', 'prompt is too long: 208432 tokens > 200000 maximum')),
    ).toMatchObject({
      kind: 'context_window',
      status: 400,
      code: 'context_length_exceeded',
      message: 'prompt is too long: 208432 tokens > 200000 maximum',
    });
    expect(err(429, anthropic('rate_limit_error', 'Too many requests'), { 'retry-after': '7' })).toMatchObject({
      kind: 'rate_limited',
      status: 429,
      retryAfter: 7,
      message: 'Too many requests',
    });
    expect(err(400, anthropic('invalid_request_error', 'model: Extra inputs are not permitted'))).toMatchObject({
      kind: 'bad_request',
      status: 400,
      message: 'model: Extra inputs are not permitted',
    });
  });

  it('credentials refused by the model’s side are the operator’s too: auth, permission', () => {
    expect(err(401, anthropic('authentication_error', 'invalid credentials'))).toMatchObject({
      kind: 'auth',
      status: 502,
      code: 'upstream_auth_failed',
    });
    expect(err(403, anthropic('permission_error', 'not allowed'))).toMatchObject({
      kind: 'permission',
      status: 502,
      code: 'upstream_permission_denied',
    });
  });
});

describe('Claude on Vertex AI: no secret in an error message', () => {
  it('masks the bearer token and the configured service-account key, whichever envelope echoes them', () => {
    const echoes = [
      err(400, anthropic('invalid_request_error', `Invalid request (authorization: Bearer ${TOKEN})`)),
      err(401, google(401, 'UNAUTHENTICATED', `Token ${TOKEN} is not valid`)),
      err(403, google(403, 'PERMISSION_DENIED', `access_token=${TOKEN} denied`)),
      err(429, google(429, 'RESOURCE_EXHAUSTED', `quota for ${TOKEN}; key ${INLINE_KEY}`)),
      err(404, google(404, 'NOT_FOUND', `not found with credentials ${INLINE_KEY}`)),
      err(400, google(400, 'INVALID_ARGUMENT', `bad request from ${TOKEN}`)),
    ];
    for (const e of echoes) {
      expect(e.message).not.toContain(TOKEN);
      expect(e.message).not.toContain('ya29.c.b0');
      expect(e.message).not.toContain('PRIVATE KEY');
      expect(e.message).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7');
    }
    expect(echoes[0]!.message).toContain('Invalid request (authorization: Bearer ***)');
  });
});

describe('Claude on Vertex AI: the adapter', () => {
  it('normalises errors with both envelopes', () => {
    const reply = (status: number, body: string) => ({ status, body, headers: {} });
    expect(vertexAnthropicAdapter.normaliseError(reply(403, fixture('vertex-error-403.json')), dep).kind).toBe(
      'permission',
    );
    expect(
      vertexAnthropicAdapter.normaliseError(reply(429, fixture('vertex-error-429-quota-stream.json')), dep),
    ).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(
      vertexAnthropicAdapter.normaliseError(reply(529, anthropic('overloaded_error', 'Overloaded')), dep),
    ).toMatchObject({ kind: 'overloaded' });
  });

  function sseEvents(input: string | Uint8Array[]): SseEvent[] {
    const p = new SseParser();
    const out: SseEvent[] = [];
    if (typeof input === 'string') out.push(...p.push(input));
    else for (const piece of input) out.push(...p.push(piece));
    return [...out, ...p.end()];
  }
  function run(events: SseEvent[]): { text: string; t: StreamTranslator<SseEvent> } {
    const t = createAnthropicStreamTranslator(
      { includeUsage: true, request: { id: 'chatcmpl-x', model: 'claude-vertex', n: 1 } },
      { now: () => NOW },
    );
    let text = '';
    for (const e of events) text += t.push(e);
    return { text: text + t.end(), t };
  }

  it('streams Vertex’s SSE, skipping its vertex_event, the same at any byte boundary', () => {
    const sse = fixture('vertex-stream-text.sse');
    const whole = run(sseEvents(sse));
    expect(whole.t.state).toMatchObject({ done: true, finished: true, error: undefined });
    expect(whole.t.state.usage).toEqual({
      promptTokens: 9,
      completionTokens: 15,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    });
    expect(whole.text).toContain('"content":"Hello"');
    expect(whole.text).not.toContain('vertex_event');
    // The same answer as Anthropic's own stream of it, without the Vertex event.
    const withoutEvent = sse.replace(/event: vertex_event\ndata: [^\n]*\n\n/, '');
    expect(run(sseEvents(withoutEvent)).text).toBe(whole.text);
    const bytes = Buffer.from(sse, 'utf8');
    for (let seed = 1; seed <= 25; seed++) {
      const split = run(sseEvents(splitAtRandom(bytes, seed)));
      expect(split.text).toBe(whole.text);
      expect(split.t.state).toEqual(whole.t.state);
    }
  });

  it('takes a vertex_event before message_start too, and still refuses content before it', () => {
    const sse = fixture('vertex-stream-text.sse');
    const [start, vertexEvent, ...rest] = sse.split('\n\n');
    const early = run(sseEvents([vertexEvent, start, ...rest].join('\n\n')));
    expect(early.t.state).toMatchObject({ done: true, error: undefined });
    const [, , block] = sse.split('\n\n');
    const bad = run(sseEvents(`${block}\n\n${sse}`));
    expect(bad.t.state.error).toMatchObject({ code: 'upstream_bad_stream' });
  });
});
