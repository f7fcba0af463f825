import 'reflect-metadata';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import type { INestMicroservice } from '@nestjs/common';
import { createNatsMicroservice } from '@switchyard/nats';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { FrameMetaSchema, H, subjects, type FrameKind, type FrameMeta, type Subjects } from '@switchyard/contracts';
import { startFakeOpenAI, fakeAnswerPieces, fakePromptTokensOf, waitFor, type FakeUpstream } from '@switchyard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TranslatorModule } from './translator.module';

interface Frame {
  kind: FrameKind;
  meta: FrameMeta | undefined;
  text: string;
  /** H.attempt of the frame. */
  attempt: string;
}

const API_KEY = 'sk-int-test-0123456789';
const messages = [{ role: 'user', content: 'Tell me something about switchyards' }];

/** A port nothing listens on: bind, read the port, close. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Sockets per deployment in these tests (SWITCHYARD_UPSTREAM_CONNECTIONS). */
const HANG_SOCKETS = 4;
/** SWITCHYARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS in these tests. */
const FIRST_BYTE_TIMEOUT_MS = 800;
/** A secret header value of the echo deployments (extra_headers), of no known key shape. */
const PROXY_SECRET = 'proxy-pass-7Qm2Vx9Lw4';
/** One deployment per key shape, each with its key as api_key: the echoing upstream quotes it back. */
const ECHO_KEYS: [string, string][] = [
  ['openai', 'sk-proj-Ab12Cd34Ef56Gh78Ij90'],
  ['anthropic', 'sk-ant-api03-Ab12Cd34Ef56Gh78Ij90-Kl'],
  ['groq', 'gsk_Ab12Cd34Ef56Gh78Ij90Kl12Mn34'],
  ['xai', 'xai-Ab12Cd34Ef56Gh78Ij90Kl12Mn34'],
  ['google', 'AIzaSyAb12Cd34Ef56Gh78Ij90Kl12Mn34Op'],
  ['aws', 'AKIAIOSFODNN7EXAMPLE'],
  ['plain', 'an0ther-plain-s3cret-value'],
];

/** Bytes of a non-streamed answer the translator buffers in these tests (SWITCHYARD_MAX_RESPONSE_BYTES). */
const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * A bare OpenAI-compatible upstream of the kind the shared fake does not imitate, by requested model:
 * `no-usage` answers (streamed or not) without any usage and ignores stream_options; `huge` answers
 * with a body past MAX_RESPONSE_BYTES; `html-404` is a web server's 404 page at a wrong api_base.
 */
async function startBareUpstream(): Promise<{
  url: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}> {
  const bodies: Record<string, unknown>[] = [];
  const server: Server = createHttpServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown>;
      bodies.push(body);
      const base = { id: 'chatcmpl-bare', created: 1, model: body['model'] };
      /** A chat.completion body with one choice. */
      const completion = (content: string, usage?: Record<string, number>) =>
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          ...(usage !== undefined && { usage }),
        });
      const json = (status: number, text: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      if (body['model'] === 'hang') return; // never answers: holds its socket until the caller gives up
      if (body['model'] === 'echo') {
        // A provider that quotes what it was sent: the credential, a header, and the client's text.
        const said = (body['messages'] as { content: string }[]).at(-1)!.content;
        return json(
          400,
          JSON.stringify({
            error: {
              message: `Invalid credentials '${String(req.headers['authorization'])}' (x-proxy-auth: ${String(req.headers['x-proxy-auth'])}); you said: ${said}`,
              type: 'invalid_request_error',
            },
          }),
        );
      }
      if (body['model'] === 'absurd-usage')
        return json(200, completion('ok', { prompt_tokens: 1e300, completion_tokens: 3, total_tokens: 1e300 }));
      if (body['model'] === 'wrong-shape')
        return json(200, JSON.stringify({ status: 'ok', result: { text: 'not a chat completion' } }));
      // Asked to stream, answers with a whole JSON completion.
      if (body['model'] === 'json-stream')
        return json(200, completion('a whole answer', { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 }));
      if (body['model'] === 'cut-body') {
        // Headers and half a body, then the connection is reset: the provider may have billed a whole answer.
        const text = completion('an answer that never arrives whole', { prompt_tokens: 9, completion_tokens: 8 });
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(text.length) });
        res.write(text.slice(0, text.length >> 1));
        setTimeout(() => res.destroy(), 20);
        return;
      }
      if (body['model'] === 'html-404') {
        res.writeHead(404, { 'content-type': 'text/html' });
        return res.end('<html><body><h1>404 Not Found</h1><hr><center>nginx</center></body></html>');
      }
      if (body['model'] === 'huge') return json(200, completion('x'.repeat(MAX_RESPONSE_BYTES + 1024)));
      const words = ['Twelve ', 'characters ', 'each, ', 'nearly.'];
      if (body['stream'] !== true) return json(200, completion(words.join('')));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (delta: unknown, finish: string | null) =>
        `data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      for (const w of words) res.write(chunk({ content: w }, null));
      res.end(chunk({}, 'stop') + 'data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('translator over NATS (real NATS server, fake OpenAI upstream)', () => {
  let up: FakeUpstream;
  /** Streams slowly (a chunk every 100 ms), so a stream can be cancelled part-way. */
  let paced: FakeUpstream;
  let bare: Awaited<ReturnType<typeof startBareUpstream>>;
  let app: INestMicroservice;
  let nc: NatsConnection;
  let s: Subjects;
  let seq = 0;

  beforeAll(async () => {
    up = await startFakeOpenAI({ chunks: 5, apiKey: API_KEY });
    paced = await startFakeOpenAI({ chunks: 40, chunkIntervalMs: 100, apiKey: API_KEY });
    bare = await startBareUpstream();
    const dead = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'sy-translator-'));
    const dep = (id: string, model: string, extra = '') =>
      `  - model_name: ${id}\n    litellm_params: { model: "${model}", api_base: "${up.url}", api_key: "os.environ/SY_TEST_UPSTREAM_KEY"${extra} }\n    model_info: { id: ${id} }\n`;
    const yaml =
      'model_list:\n' +
      dep('dep-openai', 'openai/gpt-upstream') +
      dep('dep-429', 'openai/fake-429') +
      dep('dep-500', 'openai/fake-500') +
      dep('dep-400', 'openai/fake-400') +
      dep('dep-slow', 'openai/fake-slow') +
      dep('dep-drop', 'openai/fake-drop') +
      dep('dep-stream-error', 'openai/fake-stream-error') +
      dep('dep-drop-early', 'openai/fake-drop-early') +
      dep('dep-cached', 'openai/fake-cached') +
      `  - model_name: dep-paced\n    litellm_params: { model: "openai/gpt-paced", api_base: "${paced.url}", api_key: "os.environ/SY_TEST_UPSTREAM_KEY" }\n    model_info: { id: dep-paced }\n` +
      `  - model_name: dep-badkey\n    litellm_params: { model: "openai/gpt-upstream", api_base: "${up.url}", api_key: "sk-wrong-key-999999" }\n    model_info: { id: dep-badkey }\n` +
      `  - model_name: dep-refused\n    litellm_params: { model: "openai/gpt-x", api_base: "http://127.0.0.1:${dead}/v1", api_key: "k" }\n    model_info: { id: dep-refused }\n` +
      ECHO_KEYS.map(
        ([name, key]) =>
          `  - model_name: dep-echo-${name}\n    litellm_params: { model: "openai/echo", api_base: "${bare.url}", api_key: "${key}", extra_headers: { x-proxy-auth: "${PROXY_SECRET}" } }\n    model_info: { id: dep-echo-${name} }\n`,
      ).join('') +
      ['no-usage', 'huge', 'html-404', 'hang', 'absurd-usage', 'wrong-shape', 'json-stream', 'cut-body']
        .map(
          (m) =>
            `  - model_name: dep-${m}\n    litellm_params: { model: "openai/${m}", api_base: "${bare.url}", api_key: "k" }\n    model_info: { id: dep-${m} }\n`,
        )
        .join('') +
      '  - model_name: demo\n    litellm_params: { model: "fake/echo" }\n    model_info: { id: dep-fake }\n' +
      '  - model_name: unsupported\n    litellm_params: { model: "sagemaker/x", api_key: "k" }\n    model_info: { id: dep-unsupported }\n';
    const configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, yaml);

    const prefix = `tt${randomBytes(4).toString('hex')}`;
    s = subjects(prefix);
    process.env.SWITCHYARD_CONFIG = configPath;
    process.env.SWITCHYARD_NATS_PREFIX = prefix;
    process.env.SY_TEST_UPSTREAM_KEY = API_KEY;
    process.env.SWITCHYARD_SERVICE = 'translator';
    process.env.SWITCHYARD_MAX_RESPONSE_BYTES = String(MAX_RESPONSE_BYTES);
    // Few sockets per deployment, so a hanging deployment fills its pool within one test.
    process.env.SWITCHYARD_UPSTREAM_CONNECTIONS = String(HANG_SOCKETS);
    process.env.SWITCHYARD_UPSTREAM_FIRST_BYTE_TIMEOUT_MS = String(FIRST_BYTE_TIMEOUT_MS);
    app = await createNatsMicroservice(TranslatorModule, { logger: ['error'] });
    await app.listen();
    nc = await connect({ servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' });
  });

  afterAll(async () => {
    await nc?.drain();
    await app?.close();
    await up?.close();
    await paced?.close();
    await bare?.close();
  });

  /** Sends one attempt as the router would; resolves with the client frames and the router outcome. */
  async function execute(
    deployment: string,
    body: Record<string, unknown> | string,
    opts: { deadlineMs?: number; requestId?: string; attempt?: number; clientApi?: string } = {},
  ) {
    const started = await begin(deployment, body, opts);
    const result = await started.outcome;
    await nc.flush();
    started.close();
    return { frames: started.frames, outcome: result };
  }

  /** Sends one attempt; returns at once with the frames as they arrive and the outcome to come. */
  async function begin(
    deployment: string,
    body: Record<string, unknown> | string,
    opts: { deadlineMs?: number; requestId?: string; attempt?: number; clientApi?: string } = {},
  ) {
    const id = ++seq;
    const requestId = opts.requestId ?? `req_test_${id}`;
    const clientSubject = `${s.gatewayReply}.test.${id}`;
    const outcomeSubject = `${s.routerOutcome}.test.${id}`;
    const frames: Frame[] = [];
    const toFrame = (m: { headers?: { get(k: string): string }; data: Uint8Array }): Frame => {
      const raw = m.headers?.get(H.meta);
      return {
        kind: m.headers?.get(H.frame) as FrameKind,
        meta: raw ? FrameMetaSchema.parse(JSON.parse(raw)) : undefined,
        text: new TextDecoder().decode(m.data),
        attempt: m.headers?.get(H.attempt) ?? '',
      };
    };
    const clientSub = nc.subscribe(clientSubject, {
      callback: (_e, m) => {
        frames.push(toFrame(m));
      },
    });
    const outcome = new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no outcome for ${deployment} within 10 s`)), 10_000);
      nc.subscribe(outcomeSubject, {
        max: 1,
        callback: (_e, m) => {
          clearTimeout(timer);
          resolve(toFrame(m));
        },
      });
    });
    await nc.flush();
    const h = headers();
    h.set(H.requestId, requestId);
    const stream = typeof body === 'object' && body.stream === true;
    h.set(H.stream, stream ? '1' : '0');
    h.set(H.timeoutMs, String(opts.deadlineMs ?? 10_000));
    h.set(H.attempt, String(opts.attempt ?? 1));
    if (opts.clientApi) h.set(H.clientApi, opts.clientApi);
    h.set(H.deployment, deployment);
    h.set(H.clientReply, clientSubject);
    nc.publish(s.executeAttempt, typeof body === 'string' ? body : JSON.stringify(body), {
      reply: outcomeSubject,
      headers: h,
    });
    return { requestId, frames, outcome, close: () => clientSub.unsubscribe() };
  }

  /** What the gateway sends when the client of `requestId` goes away. */
  function publishCancel(requestId: string): void {
    const h = headers();
    h.set(H.requestId, requestId);
    nc.publish(s.attemptCancel, undefined, { headers: h });
  }

  const contentOf = (frames: Frame[]): string =>
    frames
      .filter((f) => f.kind === 'chunk')
      .flatMap((f) => f.text.split('\n\n').filter(Boolean))
      .map(
        (e) =>
          (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '',
      )
      .join('');

  it('non-stream: one response frame with the chat.completion and usage, meta to the router', async () => {
    const before = up.requests;
    const { frames, outcome } = await execute('dep-openai', { model: 'gpt-test', messages });
    expect(frames).toHaveLength(1);
    const f = frames[0]!;
    expect(f.kind).toBe('response');
    const completion = JSON.parse(f.text);
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content).toBe('Hello from the fake OpenAI');
    const usage = {
      promptTokens: fakePromptTokensOf(messages),
      completionTokens: 5,
      cachedTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    expect(f.meta).toMatchObject({
      status: 200,
      deploymentId: 'dep-openai',
      provider: 'openai',
      upstreamModel: 'gpt-upstream',
      usage,
    });
    expect(f.meta!.latencyMs).toBeGreaterThan(0);
    expect(outcome.kind).toBe('response');
    expect(outcome.text).toBe('');
    expect(outcome.meta).toMatchObject({ status: 200, usage });
    expect(up.requests).toBe(before + 1);
    expect((up.lastRequest!.body as { model: string }).model).toBe('gpt-upstream');
    expect(up.lastRequest!.headers.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('stream: chunk frames in OpenAI format, done frame with usage and ttft; usage chunk withheld when not asked', async () => {
    const { frames, outcome } = await execute('dep-openai', { model: 'gpt-test', messages, stream: true });
    expect((up.lastRequest!.body as { stream_options: unknown }).stream_options).toEqual({ include_usage: true });
    const chunks = frames.filter((f) => f.kind === 'chunk');
    expect(chunks.length).toBeGreaterThan(0);
    expect(frames.at(-1)!.kind).toBe('done');
    const sse = chunks.map((c) => c.text).join('');
    expect(sse).not.toContain('[DONE]');
    const events = sse
      .split('\n\n')
      .filter(Boolean)
      .map((e) => {
        expect(e.startsWith('data: ')).toBe(true);
        return JSON.parse(e.slice(6));
      });
    expect(events.every((e) => e.object === 'chat.completion.chunk' && !('usage' in e))).toBe(true);
    expect(events.map((e) => e.choices[0]?.delta.content ?? '').join('')).toBe('Hello from the fake OpenAI');
    expect(events.some((e) => e.choices.length === 0)).toBe(false);
    const done = frames.at(-1)!.meta!;
    expect(done.usage).toMatchObject({ completionTokens: 5, promptTokens: fakePromptTokensOf(messages) });
    expect(done.ttftMs).toBeGreaterThan(0);
    expect(done.ttftMs!).toBeLessThanOrEqual(done.latencyMs!);
    expect(outcome.kind).toBe('done');
    expect(outcome.meta!.usage!.completionTokens).toBe(5);
  });

  it('stream with include_usage: forwards the usage chunk with choices: []', async () => {
    const { frames } = await execute('dep-cached', {
      model: 'x',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const events = frames
      .filter((f) => f.kind === 'chunk')
      .map((c) => c.text)
      .join('')
      .split('\n\n')
      .filter(Boolean)
      .map((e) => JSON.parse(e.slice(6)));
    const last = events.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBe(5);
    const prompt = fakePromptTokensOf(messages);
    expect(frames.at(-1)!.meta!.usage).toEqual({
      promptTokens: prompt,
      completionTokens: 5,
      cachedTokens: Math.floor(prompt / 2),
      cacheWriteTokens: 0,
      reasoningTokens: 1,
    });
  });

  it('upstream 429 → error outcome to the router only, with retryAfter', async () => {
    const { frames, outcome } = await execute('dep-429', { model: 'x', messages });
    expect(frames).toHaveLength(0);
    expect(outcome.kind).toBe('error');
    expect(outcome.meta).toMatchObject({
      status: 429,
      errorType: 'rate_limit_error',
      errorCode: 'rate_limit_exceeded',
      retryAfter: 7,
      deploymentId: 'dep-429',
    });
    expect(JSON.parse(outcome.text).type).toBe('rate_limit_error');
  });

  it('upstream 400 passes through; 500 becomes a retryable 502', async () => {
    const bad = await execute('dep-400', { model: 'x', messages });
    expect(bad.outcome.meta).toMatchObject({ status: 400, errorType: 'invalid_request_error' });
    expect(JSON.parse(bad.outcome.text).param).toBe('messages');
    const five = await execute('dep-500', { model: 'x', messages, stream: true });
    expect(five.frames).toHaveLength(0);
    expect(five.outcome.meta).toMatchObject({ status: 502, errorType: 'api_error', errorCode: 'upstream_error' });
  });

  it('rejected provider key → 502 that names the deployment and not the key', async () => {
    const { outcome } = await execute('dep-badkey', { model: 'x', messages });
    expect(outcome.meta).toMatchObject({ status: 502, errorCode: 'upstream_auth_failed' });
    expect(outcome.text).toContain('dep-badkey');
    expect(outcome.text).not.toContain('sk-wrong');
  });

  it('deadline passes while waiting → 504 soon after the deadline', async () => {
    const t = Date.now();
    const { frames, outcome } = await execute('dep-slow', { model: 'x', messages }, { deadlineMs: 300 });
    expect(Date.now() - t).toBeLessThan(3000);
    expect(frames).toHaveLength(0);
    expect(outcome.meta).toMatchObject({ status: 504, errorCode: 'timeout' });
  });

  it('connection refused → retryable 502', async () => {
    const { outcome } = await execute('dep-refused', { model: 'x', messages });
    expect(outcome.meta).toMatchObject({ status: 502, errorCode: 'upstream_unreachable' });
    expect(outcome.text).toContain('ECONNREFUSED');
  });

  it('refuses a client API the deployment cannot answer in, before calling the upstream', async () => {
    const before = up.requests;
    const { frames, outcome } = await execute(
      'dep-fake',
      { model: 'x', input: 'embed me' },
      // Messages, Responses and legacy completions are translated for every adapter; embeddings are not (the
      // fake provider has none).
      { clientApi: 'openai.embeddings' },
    );
    expect(frames).toEqual([]);
    expect(outcome.kind).toBe('error');
    expect(JSON.parse(outcome.text)).toMatchObject({ status: 501, code: 'client_api_not_supported', retryable: true });
    const explicit = await execute('dep-openai', { model: 'x', messages }, { clientApi: 'openai.chat' });
    expect(explicit.frames.map((f) => f.kind)).toEqual(['response']);
    expect(up.requests).toBe(before + 1);
  });

  it('every frame echoes the attempt number it was sent with, meta included', async () => {
    const streamed = await execute('dep-openai', { model: 'x', messages, stream: true }, { attempt: 3 });
    expect(streamed.frames.length).toBeGreaterThan(1);
    expect(new Set(streamed.frames.map((f) => f.attempt))).toEqual(new Set(['3']));
    expect(streamed.outcome.attempt).toBe('3');
    expect(streamed.outcome.meta!.attempt).toBe(3);
    const plain = await execute('dep-openai', { model: 'x', messages }, { attempt: 2 });
    expect(plain.frames.map((f) => f.attempt)).toEqual(['2']);
    const failed = await execute('dep-429', { model: 'x', messages }, { attempt: 4 });
    expect(failed.outcome.attempt).toBe('4');
    expect(failed.outcome.meta!.attempt).toBe(4);
  });

  it('commit point: a stream that fails after its preamble but before any content reaches the client as nothing, and the router gets a retryable error', async () => {
    const { frames, outcome } = await execute('dep-drop-early', { model: 'x', messages, stream: true });
    // The role chunk was held back: the client saw nothing, so another attempt could still answer it.
    expect(frames).toEqual([]);
    expect(outcome.kind).toBe('error');
    const error = JSON.parse(outcome.text) as { kind: string; retryable: boolean; status: number };
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(502);
    expect(['upstream_5xx', 'unavailable']).toContain(error.kind);
    expect(outcome.meta!.errorKind).toBe(error.kind);
  });

  it('stream broken after chunks were sent → error frame to the client, done outcome with the error status', async () => {
    for (const dep of ['dep-drop', 'dep-stream-error']) {
      const { frames, outcome } = await execute(dep, { model: 'x', messages, stream: true });
      expect(frames.filter((f) => f.kind === 'chunk').length).toBeGreaterThan(0);
      const last = frames.at(-1)!;
      expect(last.kind).toBe('error');
      expect(last.meta!.status).toBe(502);
      expect(JSON.parse(last.text).message).toBeTruthy();
      expect(outcome.kind).toBe('done');
      expect(outcome.meta!.status).toBe(502);
      // Billed for what was processed: the upstream's usage never came, so an estimate.
      expect(outcome.meta!.usage!.promptTokens).toBeGreaterThan(0);
      expect(outcome.meta!.usage!.completionTokens).toBeGreaterThan(0);
      expect(last.meta!.usage).toEqual(outcome.meta!.usage);
    }
  });

  it('a deadline reached mid-stream ends the client stream with a timeout error, not a part-way failure', async () => {
    // The paced upstream sends a chunk every 100 ms for 4 s: the attempt commits, then outlives its deadline.
    const { frames, outcome } = await execute('dep-paced', { model: 'x', messages, stream: true }, { deadlineMs: 500 });
    expect(frames.filter((f) => f.kind === 'chunk').length).toBeGreaterThan(0);
    const last = frames.at(-1)!;
    expect(last.kind).toBe('error');
    const error = JSON.parse(last.text) as { code: string; message: string };
    expect(error.code).toBe('timeout');
    expect(error.message).not.toMatch(/part-way/);
    expect(outcome.meta).toMatchObject({ errorCode: 'timeout' });
  });

  describe('upstreams that bend the API', () => {
    const promptTokens = Math.ceil(messages[0]!.content.length / 4);
    const answer = 'Twelve characters each, nearly.';

    it('a stream that ends without a usage chunk is billed an estimate, not zero', async () => {
      const { frames, outcome } = await execute('dep-no-usage', { model: 'x', messages, stream: true });
      expect(bare.bodies.at(-1)!['stream_options']).toEqual({ include_usage: true }); // asked, and ignored
      expect(contentOf(frames)).toBe(answer);
      const done = frames.at(-1)!;
      expect(done.kind).toBe('done');
      const usage = {
        promptTokens,
        completionTokens: Math.ceil(answer.length / 4),
        cachedTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      };
      expect(done.meta!.usage).toEqual(usage);
      expect(outcome.meta!.usage).toEqual(usage);
    });

    it('a non-streamed answer without usage is billed an estimate from the request and the answer', async () => {
      const { frames, outcome } = await execute('dep-no-usage', { model: 'x', messages });
      expect(frames[0]!.kind).toBe('response');
      expect(JSON.parse(frames[0]!.text).choices[0].message.content).toBe(answer);
      const usage = {
        promptTokens,
        completionTokens: Math.ceil(answer.length / 4),
        cachedTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      };
      expect(frames[0]!.meta!.usage).toEqual(usage);
      expect(outcome.meta!.usage).toEqual(usage);
    });

    it('strips non-string metadata (LiteLLM tags) before the upstream sees it', async () => {
      await execute('dep-no-usage', { model: 'x', messages, metadata: { user: 'u-1', tags: ['team-a'], n: 2 } });
      expect(bare.bodies.at(-1)!['metadata']).toEqual({ user: 'u-1' });
      expect(bare.bodies.at(-1)!['model']).toBe('no-usage');
    });

    it('an answer larger than SWITCHYARD_MAX_RESPONSE_BYTES → 502 to the router, nothing to the client', async () => {
      const { frames, outcome } = await execute('dep-huge', { model: 'x', messages });
      expect(frames).toHaveLength(0);
      expect(outcome.kind).toBe('error');
      expect(outcome.meta).toMatchObject({ status: 502, errorCode: 'upstream_response_too_large' });
      // The limit's environment variable is the operator's business, not the client's.
      expect(JSON.parse(outcome.text).message).not.toContain('SWITCHYARD_MAX_RESPONSE_BYTES');
      // The translator is still serving.
      expect((await execute('dep-no-usage', { model: 'x', messages })).outcome.meta!.status).toBe(200);
    });

    it('absurd usage (prompt_tokens 1e300) is clamped to the bound and flagged, and the answer still goes out', async () => {
      const { frames, outcome } = await execute('dep-absurd-usage', { model: 'x', messages });
      expect(frames[0]!.kind).toBe('response');
      expect(outcome.meta).toMatchObject({
        status: 200,
        usageClamped: true,
        usage: { promptTokens: 1_000_000_000, completionTokens: 3 },
      });
      expect(outcome.meta!.trail!.at(-1)!.usage!.promptTokens).toBe(1_000_000_000);
    });

    it('a wrong-shaped 200 is not relayed as a success, and bills the prompt estimate, flagged', async () => {
      const { frames, outcome } = await execute('dep-wrong-shape', { model: 'x', messages });
      expect(frames).toHaveLength(0);
      expect(outcome.kind).toBe('error');
      expect(outcome.meta).toMatchObject({
        status: 502,
        errorCode: 'upstream_bad_response',
        usageEstimated: true,
        usage: { promptTokens, completionTokens: 0 },
      });
    });

    it('a stream answered with JSON fails over (retryable 502) and bills the usage the JSON reports', async () => {
      const { frames, outcome } = await execute('dep-json-stream', { model: 'x', messages, stream: true });
      expect(frames).toHaveLength(0);
      expect(outcome.kind).toBe('error');
      expect(outcome.meta).toMatchObject({
        status: 502,
        errorCode: 'upstream_bad_stream',
        usage: { promptTokens: 11, completionTokens: 4 },
      });
      expect(outcome.meta!.usageEstimated).toBeUndefined();
    });

    it('a body reset part-way fails over (retryable 502) and bills the prompt estimate, flagged', async () => {
      const { frames, outcome } = await execute('dep-cut-body', { model: 'x', messages });
      expect(frames).toHaveLength(0);
      expect(outcome.kind).toBe('error');
      expect(outcome.meta).toMatchObject({
        status: 502,
        errorCode: 'upstream_response_cut',
        usageEstimated: true,
        usage: { promptTokens, completionTokens: 0 },
      });
      expect(outcome.meta!.trail!.at(-1)).toMatchObject({ status: 502, errorKind: 'upstream_5xx' });
    });

    it('a timeout bills the prompt estimate, flagged', async () => {
      const { outcome } = await execute('dep-hang', { model: 'x', messages }, { deadlineMs: 300 });
      expect(outcome.meta).toMatchObject({
        status: 504,
        errorCode: 'timeout',
        usageEstimated: true,
        usage: { promptTokens, completionTokens: 0 },
      });
    });

    it('a hanging deployment fills only its own sockets: a healthy one on the same origin keeps answering fast', async () => {
      const hanging = await Promise.all(
        Array.from({ length: HANG_SOCKETS * 2 }, () =>
          begin('dep-hang', { model: 'x', messages }, { deadlineMs: 8000 }),
        ),
      );
      await new Promise((r) => setTimeout(r, 200)); // let them take every socket of their pool
      for (let i = 0; i < 3; i++) {
        const t = Date.now();
        const { outcome } = await execute('dep-no-usage', { model: 'x', messages });
        expect(outcome.meta!.status).toBe(200);
        expect(Date.now() - t).toBeLessThan(1000);
      }
      await Promise.all(hanging.map((h) => h.outcome.finally(() => h.close())));
    });

    it('a streamed attempt that gets no headers times out at the first-byte timeout and frees its socket', async () => {
      const t = Date.now();
      const { outcome } = await execute('dep-hang', { model: 'x', messages, stream: true }, { deadlineMs: 8000 });
      expect(Date.now() - t).toBeLessThan(FIRST_BYTE_TIMEOUT_MS + 1500);
      expect(outcome.meta).toMatchObject({ status: 504, errorCode: 'timeout', usageEstimated: true });
    });

    it('a provider echoing its credentials never hands a key of any shape to the client', async () => {
      for (const [name, key] of ECHO_KEYS) {
        // The client quotes the same key (as a pasted secret would be): masked too, by its shape.
        const { outcome } = await execute(`dep-echo-${name}`, {
          model: 'x',
          messages: [{ role: 'user', content: `is ${key} valid?` }],
        });
        expect(outcome.meta).toMatchObject({ status: 400 });
        const text = outcome.text;
        expect(text).toContain('Invalid credentials'); // the provider's message is kept, its secrets are not
        expect(text).not.toContain(key);
        expect(text).not.toContain(PROXY_SECRET);
      }
    });

    it("a web server's 404 page at a wrong api_base → retryable 502 for the operator", async () => {
      const { outcome } = await execute('dep-html-404', { model: 'x', messages });
      expect(outcome.meta).toMatchObject({ status: 502, errorCode: 'upstream_error' });
      const message = JSON.parse(outcome.text).message as string;
      expect(message).toContain('api_base');
      expect(message).not.toContain('nginx');
    });
  });

  it('bad input and unknown or unsupported deployments → error outcomes, never a crash', async () => {
    const notJson = await execute('dep-openai', '{not json');
    expect(notJson.outcome.meta).toMatchObject({ status: 400, errorType: 'invalid_request_error' });
    const noMessages = await execute('dep-openai', { model: 'x' });
    expect(noMessages.outcome.meta!.status).toBe(400);
    const unknown = await execute('dep-nope', { model: 'x', messages });
    expect(unknown.outcome.meta).toMatchObject({ status: 503, errorCode: 'unknown_deployment' });
    const unsupported = await execute('dep-unsupported', { model: 'x', messages });
    expect(unsupported.outcome.meta).toMatchObject({ status: 501, errorCode: 'provider_not_supported' });
    expect(JSON.parse(unsupported.outcome.text).message).toContain("provider 'sagemaker' is not supported yet");
    // Still serving afterwards.
    expect((await execute('dep-openai', { model: 'x', messages })).outcome.meta!.status).toBe(200);
  });

  it('fake provider answers in process, streamed and not', async () => {
    const plain = await execute('dep-fake', { model: 'demo', messages });
    expect(plain.frames[0]!.kind).toBe('response');
    expect(JSON.parse(plain.frames[0]!.text).choices[0].message.content).toContain(
      'Tell me something about switchyards',
    );
    expect(plain.outcome.meta).toMatchObject({ status: 200, provider: 'fake', upstreamModel: 'echo' });
    const streamed = await execute('dep-fake', {
      model: 'demo',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = streamed.frames.filter((f) => f.kind === 'chunk');
    expect(chunks.map((c) => c.text).join('')).toContain('"choices":[]');
    expect(streamed.frames.at(-1)!.meta!.usage!.completionTokens).toBeGreaterThan(0);
  });

  it('handles many concurrent attempts over the keep-alive pool', async () => {
    const before = up.requests;
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, i) => execute('dep-openai', { model: 'x', messages, stream: i % 2 === 0 })),
    );
    expect(results.every((r) => r.outcome.meta!.status === 200)).toBe(true);
    expect(up.requests).toBe(before + 64);
  });

  describe('client disconnected (translator.chat.cancel)', () => {
    const finals = (frames: Frame[]) => frames.filter((f) => f.kind !== 'chunk' && f.kind !== 'part');

    it('stream cancelled after the first chunk: upstream socket closed, one 499 error frame with estimated usage, no done', async () => {
      const abortedBefore = paced.aborted;
      const run = await begin('dep-paced', { model: 'x', messages, stream: true });
      await waitFor(() => contentOf(run.frames).length > 0, { what: 'the first content chunk' });
      publishCancel(run.requestId);
      const outcome = await run.outcome;
      await waitFor(() => paced.aborted === abortedBefore + 1, {
        what: 'the fake upstream to see its connection closed',
      });
      // Anything the translator published before this next answer has arrived by the time it does.
      await execute('dep-openai', { model: 'x', messages });
      run.close();

      const last = finals(run.frames);
      expect(last).toHaveLength(1);
      expect(last[0]!.kind).toBe('error');
      const meta = last[0]!.meta!;
      expect(meta).toMatchObject({
        status: 499,
        errorType: 'client_disconnected',
        deploymentId: 'dep-paced',
        provider: 'openai',
        upstreamModel: 'gpt-paced',
      });
      expect(JSON.parse(last[0]!.text).type).toBe('client_disconnected');
      // The usage chunk comes at the end of a stream, so this is the estimate: a token per four characters.
      const streamed = contentOf(run.frames);
      expect(streamed.length).toBeLessThan(fakeAnswerLength(40));
      expect(meta.usage).toEqual({
        promptTokens: Math.ceil(messages[0]!.content.length / 4),
        completionTokens: Math.ceil(streamed.length / 4),
        cachedTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      });
      expect(meta.usage!.completionTokens).toBeGreaterThan(0);
      expect(meta.ttftMs).toBeGreaterThan(0);
      expect(meta.latencyMs).toBeGreaterThanOrEqual(meta.ttftMs!);
      // The router hears the attempt is over, as a `done` (an `error` outcome would be relayed or retried).
      expect(outcome.kind).toBe('done');
      expect(outcome.meta).toMatchObject({ status: 499, errorType: 'client_disconnected', usage: meta.usage });
    });

    it('non-stream call waiting on a slow upstream: cancelled at once with a 499 and the prompt estimate', async () => {
      const [requestsBefore, abortedBefore] = [up.requests, up.aborted];
      const t = Date.now();
      const run = await begin('dep-slow', { model: 'x', messages }, { deadlineMs: 60_000 });
      await waitFor(() => up.requests === requestsBefore + 1, { what: 'the upstream to receive the call' });
      publishCancel(run.requestId);
      const outcome = await run.outcome;
      expect(Date.now() - t).toBeLessThan(5_000);
      await waitFor(() => up.aborted === abortedBefore + 1, { what: 'the fake upstream to see its connection closed' });
      await execute('dep-openai', { model: 'x', messages });
      run.close();
      expect(run.frames).toHaveLength(1);
      expect(run.frames[0]!.kind).toBe('error');
      expect(run.frames[0]!.meta).toMatchObject({
        status: 499,
        errorType: 'client_disconnected',
        deploymentId: 'dep-slow',
        usage: { promptTokens: Math.ceil(messages[0]!.content.length / 4), completionTokens: 0 },
      });
      expect(run.frames[0]!.meta!.ttftMs).toBeUndefined();
      expect(outcome.kind).toBe('done');
      expect(outcome.meta!.status).toBe(499);
    });

    it('a cancel for an unknown or finished request does nothing', async () => {
      const seen: string[] = [];
      const watch = [`${s.gatewayReply}.>`, `${s.routerOutcome}.>`].map((subject) =>
        nc.subscribe(subject, {
          callback: (_e, m) => {
            seen.push(m.subject);
          },
        }),
      );
      await nc.flush();
      const finished = await execute('dep-openai', { model: 'x', messages });
      expect(finished.outcome.meta!.status).toBe(200);
      seen.length = 0;
      publishCancel('req_nobody_has_this');
      publishCancel(`req_test_${seq}`); // the one that just finished
      publishCancel('');
      const after = await execute('dep-openai', { model: 'x', messages });
      for (const w of watch) w.unsubscribe();
      expect(after.frames.map((f) => f.kind)).toEqual(['response']);
      expect(after.outcome.meta!.status).toBe(200);
      // Only the second request's own frame and outcome went by.
      expect(seen).toHaveLength(2);
    });

    it('a cancel that overtakes its request: the upstream is never called, the attempt ends with a 499', async () => {
      const requestsBefore = up.requests;
      publishCancel('req_left_early');
      const { frames, outcome } = await execute(
        'dep-openai',
        { model: 'x', messages },
        { requestId: 'req_left_early' },
      );
      expect(up.requests).toBe(requestsBefore);
      expect(frames).toHaveLength(1);
      expect(frames[0]!.kind).toBe('error');
      expect(frames[0]!.meta).toMatchObject({
        status: 499,
        errorType: 'client_disconnected',
        usage: { promptTokens: 0, completionTokens: 0 },
      });
      expect(outcome.kind).toBe('done');
    });
  });
});

function fakeAnswerLength(chunks: number): number {
  return fakeAnswerPieces(chunks).join('').length;
}
