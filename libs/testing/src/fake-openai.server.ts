import { randomBytes } from 'node:crypto';
import { exampleForSchema } from '@switchyard/providers';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  closeServer,
  createFakeTimers,
  listen,
  readBody,
  sendJson as sendJsonBody,
  writePaced,
  type FakeReportedUsage,
} from './fakes/fake-http';

import { FakeRefusal, openAIEmbeddingsAnswer } from './fakes/fake-embeddings';
import { openAICompletionsAnswer } from './fakes/fake-openai-completions';
import { openAIResponsesAnswer } from './fakes/fake-openai-responses';

export { closeServer, listen, readBody, type FakeReportedUsage } from './fakes/fake-http';

/**
 * A fake OpenAI upstream speaking the real Chat Completions wire format over HTTP (keep-alive), for
 * integration tests, end-to-end tests and the benchmark.
 *
 * Endpoints: POST /v1/chat/completions (JSON, or SSE when `stream: true`), POST /v1/embeddings and
 * POST /v1/completions (fakes/fake-embeddings.ts, fakes/fake-openai-completions.ts), POST /v1/responses
 * (fakes/fake-openai-responses.ts), GET /v1/models.
 * Auth: requires `Authorization: Bearer <token>` (any non-empty token, or exactly `apiKey` when given).
 *
 * Deterministic output, so tests can assert exact numbers:
 * - the answer is `chunks` pieces ("Hello", " from", " the", " fake", " OpenAI", " server", "." cycled);
 * - usage.prompt_tokens = ceil(total characters of the messages' text / 4);
 * - usage.completion_tokens = chunks (one token per content piece), total = prompt + completion;
 * - a stream sends a role chunk, one chunk per piece, a finish_reason chunk, then (only with
 *   stream_options.include_usage) a usage chunk with `choices: []`, then `data: [DONE]`.
 *
 * Behaviour triggered by the request's `model`:
 * - fake-400   → 400 invalid_request_error (param "messages", code "invalid_value")
 * - fake-401   → 401 invalid_api_key
 * - fake-404   → 404 model_not_found
 * - fake-429   → 429 rate limit error (type "requests", code "rate_limit_exceeded"), header `retry-after: 7`
 * - fake-500   → 500 server_error;  fake-503 → 503 overloaded
 * - fake-slow  → waits 30 s before answering (for deadline/timeout tests)
 * - fake-drop  → stream: role chunk + one content chunk, then the connection is destroyed;
 *                non-stream: the connection is destroyed before any response
 * - fake-stream-error → stream: one content chunk, then `data: {"error": {...}}`
 * - fake-drop-early → stream: the role chunk only (no content), then the connection is destroyed
 * - fake-stall → stream: the role chunk and one content chunk ("Hello"), then nothing until the client leaves
 *                (a client that cancels mid-stream, deterministically); non-stream: no answer at all
 * - fake-large → non-stream answer of about 2.6 MB (bigger than one NATS message), completion_tokens = length / 4
 * - fake-echo  → 400 invalid_request_error whose message quotes the Authorization header, every `x-*` header
 *                and the last message's text, as a provider that echoes credentials would (redaction tests)
 * - fake-absurd-usage → usage reports prompt_tokens 1e300 and completion_tokens -5 (a broken provider)
 * - fake-cached → usage reports cached_tokens = floor(prompt_tokens / 2) and reasoning_tokens = 1
 * - fake-cost  → usage also reports `cost: 0.000421` (USD), as OpenRouter does
 * - fake-context-window → 400 context_length_exceeded, in OpenAI's words
 *
 * Tools and reasoning, as OpenAI-compatible servers answer them:
 * - with `tools` (and tool_choice not "none") and a user message last: a call of the first tool (or the one
 *   tool_choice names) with arguments made from its parameters schema, finish_reason "tool_calls"; after
 *   tool results: "The tool returned: <first result's text>." A `tool` message must answer a tool call of
 *   the assistant message before it (400 in OpenAI's words otherwise).
 * - `reasoning_effort` on a model whose name contains "reason": `reasoning_content` "Thinking it over."
 *   (streamed before the answer, 4 reasoning tokens counted in completion_tokens); on other models a 400
 *   "Unsupported parameter", as OpenAI answers for models without reasoning.
 *
 * Failures on command, whatever the model (routing tests): `failNext(n, { status, retryAfter })` makes the next `n`
 * chat requests fail with that status (OpenAI's error body for it, `retry-after` when given; with `every: 2`, one
 * request in two fails); `failNext(Infinity)` fails requests until `failNext(0)`. `requestTimes` holds when each chat request arrived (Date.now()).
 */

/** The `fake-large` answer: 2,640,000 characters, so 660,000 tokens at four characters a token. */
const LARGE_ANSWER = 'All work and no play. '.repeat(120_000);
export interface FakeOpenAIOptions {
  port?: number;
  /** Delay before the response headers (time to first byte), ms. Default 0. */
  latencyMs?: number;
  /** Content pieces per answer (= completion_tokens). Default 5. */
  chunks?: number;
  /** Delay between stream chunks, ms. Default 0 (all written at once). */
  chunkIntervalMs?: number;
  /** When set, only this bearer token is accepted. */
  apiKey?: string;
}

export interface FakeUpstreamRequest {
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The path (embeddings and completions requests). */
  url?: string;
}

export interface FakeUpstream {
  /** Base URL including /v1, e.g. http://127.0.0.1:40123/v1 — use as api_base. */
  readonly url: string;
  readonly port: number;
  /** Number of chat completion requests received (all outcomes). */
  readonly requests: number;
  /** Embeddings, legacy completions and Responses requests received. */
  readonly embeddingRequests: number;
  readonly completionRequests: number;
  readonly responsesRequests: number;
  /** Chat completion requests whose client closed the connection before the answer was complete. */
  readonly aborted: number;
  readonly lastRequest?: FakeUpstreamRequest;
  /** When each chat request arrived (Date.now()), oldest first. */
  readonly requestTimes: readonly number[];
  /** The usage this fake put on the wire, per chat answer that carried one (ledger reconciliation tests). */
  readonly reported: readonly FakeReportedUsage[];
  /** The next `count` chat requests fail with `failure` (Infinity: every request until `failNext(0)`). */
  failNext(count: number, failure?: FakeFailure): void;
  /** Changes the delay before response headers (a provider that turns slow), ms. */
  setLatency(ms: number): void;
  /** Chat requests received whose response has not finished (or been closed) yet. */
  readonly inFlight: number;
  /** The most chat requests ever in flight at once. */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

/** A failure `failNext` injects. */
export interface FakeFailure {
  /** HTTP status: 429, 500, 503, 401... Default 500. */
  status?: number;
  /** Seconds for the `retry-after` header. */
  retryAfter?: number;
  /** Fail one request in this many (the others answer normally), counting from the next one. Default 1: every one. */
  every?: number;
  /**
   * How the request fails (default `status`: an error answer with `status`). Streams only, else like `hang`:
   * `hang`: stream headers and the role chunk, then nothing, ever (a provider that stalls before its first token);
   * `cut-early`: the role chunk, then the connection is cut (before any content);
   * `cut-mid`: the role chunk and one content chunk, then the connection is cut (mid-answer).
   * A non-streamed request with any of these gets no answer at all (it hangs).
   */
  mode?: 'status' | 'hang' | 'cut-early' | 'cut-mid';
}

const PIECES = ['Hello', ' from', ' the', ' fake', ' OpenAI', ' server', '.'];
export const FAKE_SLOW_MS = 30_000;

export interface ChatBody {
  model?: unknown;
  messages?: unknown;
  stream?: unknown;
  stream_options?: { include_usage?: unknown } | null;
  tools?: unknown;
  tool_choice?: unknown;
  reasoning_effort?: unknown;
}

/** The reasoning a `*reason*` model streams before its answer when asked for reasoning_effort. */
export const FAKE_OPENAI_REASONING = 'Thinking it over.';
const REASONING_TOKENS = 4;

type FakeToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };

/** What the fake answers beside its canned text: tool calls, a tool result's echo, reasoning; or a 400. */
function planOf(
  body: ChatBody,
  model: string,
): { error: string; param: string } | { calls?: FakeToolCall[]; text?: string; reasoning?: string } {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  for (const [i, m] of messages.entries()) {
    if (m?.['role'] !== 'tool') continue;
    let j = i - 1;
    while (j >= 0 && messages[j]?.['role'] === 'tool') j--;
    const calls = messages[j]?.['tool_calls'];
    const ids = Array.isArray(calls) ? calls.map((c) => (c as { id?: unknown }).id) : [];
    if (!ids.includes(m['tool_call_id'])) {
      return {
        error:
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
        param: `messages.[${i}].role`,
      };
    }
  }
  const plan: { calls?: FakeToolCall[]; text?: string; reasoning?: string } = {};
  if (body.reasoning_effort !== undefined) {
    if (!model.includes('reason')) {
      return {
        error: "Unsupported parameter: 'reasoning_effort' is not supported with this model.",
        param: 'reasoning_effort',
      };
    }
    plan.reasoning = FAKE_OPENAI_REASONING;
  }
  const last = messages.at(-1);
  if (last?.['role'] === 'tool') {
    const c = last['content'];
    const text = typeof c === 'string' ? c : Array.isArray(c) ? String((c[0] as { text?: unknown })?.text ?? '') : '';
    plan.text = `The tool returned: ${text}.`;
    return plan;
  }
  const tools = Array.isArray(body.tools)
    ? (body.tools as Array<{ function?: { name?: string; parameters?: unknown } }>)
    : [];
  if (tools.length > 0 && body.tool_choice !== 'none' && last?.['role'] === 'user') {
    const choice = body.tool_choice as { function?: { name?: string } } | undefined;
    const named = typeof choice === 'object' && choice !== null ? choice.function?.name : undefined;
    const tool = tools.find((t) => named === undefined || t.function?.name === named) ?? tools[0]!;
    const args = exampleForSchema((tool.function?.parameters ?? { type: 'object' }) as Record<string, unknown>) ?? {};
    plan.calls = [
      {
        id: `call_${randomBytes(8).toString('hex')}`,
        type: 'function',
        function: { name: tool.function?.name ?? '', arguments: JSON.stringify(args) },
      },
    ];
  }
  return plan;
}

/** Deterministic prompt size: ceil(total characters of the messages' text / 4). */
export function fakePromptTokensOf(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let chars = 0;
  for (const m of messages) {
    const c = (m as { content?: unknown } | null)?.content;
    if (typeof c === 'string') chars += c.length;
    else if (Array.isArray(c))
      for (const p of c)
        if (p && typeof (p as { text?: unknown }).text === 'string') chars += (p as { text: string }).text.length;
  }
  return Math.ceil(chars / 4);
}

export function fakeAnswerPieces(chunks: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < chunks; i++) out.push(PIECES[i % PIECES.length]!);
  return out;
}

/**
 * What a fake speaking OpenAI's API adds to OpenAI's own answers (Azure OpenAI: its content-filter
 * annotations). The default adds nothing, so the fake OpenAI server's bytes are OpenAI's.
 */
export interface FakeChatFlavour {
  /** Top-level members of a non-streamed completion (Azure: `prompt_filter_results`). */
  completionExtra?: () => Record<string, unknown>;
  /** Members of every choice, streamed or not (Azure: `content_filter_results`). */
  choiceExtra?: Record<string, unknown>;
  /** SSE events written before the role chunk (Azure: its prompt-filter chunk). */
  streamPreamble?: () => string[];
}

/** Counts one chat request and tells whether its client left before the answer was complete. */
export interface FakeChatExchange {
  /** The fake cuts the connection itself (fake-drop): not a client abort. */
  dropping: boolean;
}

export type FakeErrorSender = (
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  code: string | null,
  param?: string | null,
  extra?: Record<string, string>,
) => void;

/**
 * The fake's OpenAI answer logic, shared by every fake that speaks OpenAI's API (the OpenAI fake, the
 * Azure OpenAI fake): the model triggers and the deterministic answers, streamed or not. The server
 * around it routes, parses and authenticates.
 */
export interface FakeChatAnswerer {
  /** Starts one exchange: counts it and watches for a client that leaves early. */
  begin(res: ServerResponse): FakeChatExchange;
  /** Answers a parsed, authenticated chat request for `model`. */
  answer(req: IncomingMessage, res: ServerResponse, body: ChatBody, model: string, exchange: FakeChatExchange): void;
  sendJson(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void;
  /** OpenAI's error envelope. */
  sendError: FakeErrorSender;
  readonly requests: number;
  readonly aborted: number;
  readonly requestTimes: readonly number[];
  readonly reported: readonly FakeReportedUsage[];
  failNext(count: number, failure?: FakeFailure): void;
  setLatency(ms: number): void;
  /** The fake is shutting down: connections it closes are not client aborts, and pending answers are dropped. */
  close(): void;
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeUpstream> {
  const answerer = createFakeChatAnswerer(opts);
  let lastRequest: FakeUpstreamRequest | undefined;
  let inFlight = 0;
  let maxInFlight = 0;

  const chat = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const exchange = answerer.begin(res);
    let body: ChatBody;
    try {
      body = JSON.parse(raw) as ChatBody;
    } catch {
      lastRequest = { headers: req.headers, body: raw };
      return answerer.sendError(
        res,
        400,
        'We could not parse the JSON body of your request.',
        'invalid_request_error',
        null,
      );
    }
    lastRequest = { headers: req.headers, body };
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    if (token === '' || (opts.apiKey !== undefined && token !== opts.apiKey)) {
      return answerer.sendError(
        res,
        401,
        `Incorrect API key provided: ${token ? `${token.slice(0, 3)}***` : '(none)'}.`,
        'invalid_request_error',
        'invalid_api_key',
      );
    }
    if (typeof body.model !== 'string' || !Array.isArray(body.messages)) {
      return answerer.sendError(
        res,
        400,
        "You must provide a model parameter and a 'messages' array.",
        'invalid_request_error',
        null,
        'messages',
      );
    }
    answerer.answer(req, res, body, body.model, exchange);
  };

  /** The embeddings and legacy completions endpoints: authenticated like chat, validated as OpenAI does. */
  const other = (
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    api: 'embeddings' | 'completions' | 'responses',
  ): void => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = raw;
    }
    lastRequest = { headers: req.headers, body, url: req.url ?? '' };
    if (api === 'embeddings') embeddingRequests++;
    else if (api === 'responses') responsesRequests++;
    else completionRequests++;
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : '';
    if (token === '' || (opts.apiKey !== undefined && token !== opts.apiKey)) {
      return answerer.sendError(res, 401, 'Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key');
    }
    try {
      if (api === 'embeddings') return answerer.sendJson(res, 200, openAIEmbeddingsAnswer(body));
      const answer =
        api === 'responses'
          ? openAIResponsesAnswer(body, opts.chunks ?? 5)
          : openAICompletionsAnswer(body, opts.chunks ?? 5);
      if ('json' in answer) return answerer.sendJson(res, 200, answer.json);
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      if ('cut' in answer && answer.cut === true)
        return void res.write(answer.events.join(''), () => res.socket?.destroy());
      res.end(answer.events.join(''));
    } catch (e) {
      if (!(e instanceof FakeRefusal)) throw e;
      answerer.sendJson(res, e.status, e.body);
    }
  };
  let embeddingRequests = 0;
  let completionRequests = 0;
  let responsesRequests = 0;

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'POST' && url.startsWith('/v1/chat/completions')) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.once('close', () => inFlight--);
      readBody(req, (raw) => chat(req, res, raw));
      return;
    }
    if (req.method === 'POST' && (url.startsWith('/v1/embeddings') || url.startsWith('/v1/completions'))) {
      readBody(req, (raw) => other(req, res, raw, url.startsWith('/v1/embeddings') ? 'embeddings' : 'completions'));
      return;
    }
    if (req.method === 'POST' && url.startsWith('/v1/responses')) {
      readBody(req, (raw) => other(req, res, raw, 'responses'));
      return;
    }
    if (req.method === 'GET' && url.startsWith('/v1/models')) {
      return answerer.sendJson(res, 200, {
        object: 'list',
        data: ['fake-gpt', 'fake-slow', 'fake-429', 'fake-500', 'fake-400'].map((id) => ({
          id,
          object: 'model',
          created: 1700000000,
          owned_by: 'switchyard-fake',
        })),
      });
    }
    req.resume();
    answerer.sendError(
      res,
      404,
      `Unknown request URL: ${req.method} ${url}. This fake serves POST /v1/chat/completions and GET /v1/models.`,
      'invalid_request_error',
      'unknown_url',
    );
  });
  const port = await listen(server, opts.port);

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    get requests() {
      return answerer.requests;
    },
    get aborted() {
      return answerer.aborted;
    },
    get lastRequest() {
      return lastRequest;
    },
    get embeddingRequests() {
      return embeddingRequests;
    },
    get completionRequests() {
      return completionRequests;
    },
    get responsesRequests() {
      return responsesRequests;
    },
    requestTimes: answerer.requestTimes,
    reported: answerer.reported,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    failNext: (count: number, failure?: FakeFailure) => answerer.failNext(count, failure),
    setLatency: (ms: number) => answerer.setLatency(ms),
    close: () => closeServer(server, () => answerer.close()),
  };
}

export function createFakeChatAnswerer(opts: FakeOpenAIOptions = {}, flavour: FakeChatFlavour = {}): FakeChatAnswerer {
  let latencyMs = opts.latencyMs ?? 0;
  const pieces = fakeAnswerPieces(opts.chunks ?? 5);
  const answerText = pieces.join('');
  const timers = createFakeTimers();
  const later = timers.later;
  let requests = 0;
  let aborted = 0;
  let closing = false;
  const requestTimes: number[] = [];
  const reported: FakeReportedUsage[] = [];
  let injected: { count: number; failure: FakeFailure; seen: number } = { count: 0, failure: {}, seen: 0 };
  let seq = 0;
  const choiceExtra = flavour.choiceExtra === undefined ? '' : JSON.stringify(flavour.choiceExtra).slice(1, -1) + ',';

  const requestId = (): string => `req_${randomBytes(12).toString('hex')}`;

  const sendJson = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    sendJsonBody(res, status, body, {
      'x-request-id': requestId(),
      'openai-processing-ms': String(latencyMs),
      ...extra,
    });
  };

  const sendError = (
    res: ServerResponse,
    status: number,
    message: string,
    type: string,
    code: string | null,
    param: string | null = null,
    extra: Record<string, string> = {},
  ): void => sendJson(res, status, { error: { message, type, param, code } }, extra);

  const usageOf = (model: string, promptTokens: number, reasoned = false) => {
    const cached = model === 'fake-cached';
    if (model === 'fake-absurd-usage') return { prompt_tokens: 1e300, completion_tokens: -5, total_tokens: 1e300 };
    const reasoning = reasoned ? REASONING_TOKENS : cached ? 1 : 0;
    const completion = pieces.length + (reasoned ? REASONING_TOKENS : 0);
    return {
      prompt_tokens: promptTokens,
      completion_tokens: completion,
      total_tokens: promptTokens + completion,
      prompt_tokens_details: { cached_tokens: cached ? Math.floor(promptTokens / 2) : 0, audio_tokens: 0 },
      completion_tokens_details: {
        reasoning_tokens: reasoning,
        audio_tokens: 0,
        accepted_prediction_tokens: 0,
        rejected_prediction_tokens: 0,
      },
      ...(model === 'fake-cost' && { cost: 0.000421 }),
    };
  };

  const begin = (res: ServerResponse): FakeChatExchange => {
    requests++;
    requestTimes.push(Date.now());
    const exchange: FakeChatExchange = { dropping: false };
    res.on('close', () => {
      if (!res.writableFinished && !exchange.dropping && !closing) aborted++;
    });
    return exchange;
  };

  const answer = (
    req: IncomingMessage,
    res: ServerResponse,
    body: ChatBody,
    model: string,
    exchange: FakeChatExchange,
  ): void => {
    const stream = body.stream === true;
    if (injected.count > 0 && injected.seen++ % (injected.failure.every ?? 1) === 0) {
      injected.count--;
      const { status = 500, retryAfter, mode = 'status' } = injected.failure;
      if (mode !== 'status') return failStream(res, mode, stream, model);
      const extra: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
      const [type, code] =
        status === 429
          ? ['requests', 'rate_limit_exceeded']
          : status === 401
            ? ['invalid_request_error', 'invalid_api_key']
            : status < 500
              ? ['invalid_request_error', null]
              : ['server_error', null];
      return sendError(res, status, `Injected failure ${status} (failNext).`, type, code, null, extra);
    }
    switch (model) {
      case 'fake-context-window':
        return sendError(
          res,
          400,
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens. Please reduce the length of the messages.",
          'invalid_request_error',
          'context_length_exceeded',
          'messages',
        );
      case 'fake-echo': {
        const echoed = Object.entries(req.headers)
          .filter(([k]) => k === 'authorization' || k.startsWith('x-'))
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join('; ');
        const last = Array.isArray(body.messages)
          ? (body.messages.at(-1) as { content?: unknown } | undefined)
          : undefined;
        return sendError(
          res,
          400,
          `Invalid credentials (${echoed}); request said: ${typeof last?.content === 'string' ? last.content : ''}`,
          'invalid_request_error',
          'invalid_api_key',
        );
      }
      case 'fake-400':
        return sendError(
          res,
          400,
          "Invalid value for 'messages' (fake-400).",
          'invalid_request_error',
          'invalid_value',
          'messages',
        );
      case 'fake-401':
        return sendError(
          res,
          401,
          'Incorrect API key provided: sk-fak***.',
          'invalid_request_error',
          'invalid_api_key',
        );
      case 'fake-404':
        return sendError(
          res,
          404,
          'The model `fake-404` does not exist or you do not have access to it.',
          'invalid_request_error',
          'model_not_found',
        );
      case 'fake-429':
        return sendError(
          res,
          429,
          'Rate limit reached for fake-429 on requests per min (RPM): Limit 1, Used 1, Requested 1. Please try again in 7s.',
          'requests',
          'rate_limit_exceeded',
          null,
          { 'retry-after': '7' },
        );
      case 'fake-500':
        return sendError(
          res,
          500,
          'The server had an error while processing your request. Sorry about that!',
          'server_error',
          null,
        );
      case 'fake-503':
        return sendError(res, 503, 'The engine is currently overloaded, please try again later.', 'server_error', null);
      case 'fake-drop':
      case 'fake-drop-early':
        exchange.dropping = true;
        if (!stream) {
          req.socket.destroy();
          return;
        }
    }
    const plan = planOf(body, model);
    if ('error' in plan) return sendError(res, 400, plan.error, 'invalid_request_error', null, plan.param);
    const delay = model === 'fake-slow' ? FAKE_SLOW_MS : latencyMs;
    const promptTokens = fakePromptTokensOf(body.messages);
    const id = `chatcmpl-fake${(++seq).toString(36)}${randomBytes(4).toString('hex')}`;
    const created = Math.floor(Date.now() / 1000);
    const report = <U extends Record<string, unknown>>(usage: U): U => {
      reported.push({ body, usage });
      return usage;
    };
    later(delay, () => {
      if (res.destroyed) return;
      if (!stream && model === 'fake-stall') return; // no answer, ever
      if (!stream) {
        return sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              ...flavour.choiceExtra,
              message: {
                role: 'assistant',
                content:
                  plan.calls !== undefined ? null : model === 'fake-large' ? LARGE_ANSWER : (plan.text ?? answerText),
                refusal: null,
                ...(plan.reasoning !== undefined && { reasoning_content: plan.reasoning }),
                ...(plan.calls !== undefined && { tool_calls: plan.calls }),
                annotations: [],
              },
              logprobs: null,
              finish_reason: plan.calls !== undefined ? 'tool_calls' : 'stop',
            },
          ],
          usage: report(
            model === 'fake-large'
              ? {
                  ...usageOf(model, promptTokens),
                  completion_tokens: LARGE_ANSWER.length / 4,
                  total_tokens: promptTokens + LARGE_ANSWER.length / 4,
                }
              : usageOf(model, promptTokens, plan.reasoning !== undefined),
          ),
          service_tier: 'default',
          system_fingerprint: 'fp_fake',
          ...flavour.completionExtra?.(),
        });
      }
      const includeUsage = body.stream_options?.include_usage === true;
      if (includeUsage && !/^fake-(drop|stall|stream-error)/.test(model))
        report(usageOf(model, promptTokens, plan.reasoning !== undefined));
      streamAnswer(res, { id, created, model, promptTokens, includeUsage, plan });
    });
  };

  /** failNext's stalls and cuts (see FakeFailure.mode). */
  const failStream = (
    res: ServerResponse,
    mode: 'hang' | 'cut-early' | 'cut-mid',
    stream: boolean,
    model: string,
  ): void => {
    if (!stream) return; // nothing is ever sent: the request hangs until the client gives up
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    const chunk = (delta: string) =>
      `data: {"id":"chatcmpl-failnext","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":null}]}\n\n`;
    const role = chunk('{"role":"assistant","content":"","refusal":null}');
    if (mode === 'hang') return void res.write(role);
    const text = mode === 'cut-mid' ? role + chunk('{"content":"Hello"}') : role;
    res.write(text, () => res.socket?.destroy());
  };

  const streamAnswer = (
    res: ServerResponse,
    s: {
      id: string;
      created: number;
      model: string;
      promptTokens: number;
      includeUsage: boolean;
      plan: { calls?: FakeToolCall[]; text?: string; reasoning?: string };
    },
  ): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': requestId(),
    });
    const head = `{"id":"${s.id}","object":"chat.completion.chunk","created":${s.created},"model":${JSON.stringify(s.model)},"service_tier":"default","system_fingerprint":"fp_fake","choices":`;
    const tail = s.includeUsage ? ',"usage":null}' : '}';
    const event = (choices: string): string => `data: ${head}${choices}${tail}\n\n`;
    const preamble = flavour.streamPreamble?.().join('') ?? '';
    const events: string[] = [
      preamble +
        event(
          `[{"index":0,${choiceExtra}"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]`,
        ),
    ];
    const delta = (d: unknown): string =>
      event(`[{"index":0,${choiceExtra}"delta":${JSON.stringify(d)},"logprobs":null,"finish_reason":null}]`);
    if (s.plan.reasoning !== undefined) {
      for (const r of s.plan.reasoning.split(/(?<= )/)) events.push(delta({ reasoning_content: r }));
    }
    if (s.plan.calls !== undefined) {
      for (const [index, c] of s.plan.calls.entries()) {
        events.push(
          delta({
            tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.function.name, arguments: '' } }],
          }),
        );
        // Arguments arrive in pieces, as OpenAI streams them.
        const a = c.function.arguments;
        const half = Math.ceil(a.length / 2);
        for (const piece of [a.slice(0, half), a.slice(half)])
          if (piece.length > 0) events.push(delta({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    } else {
      for (const p of s.plan.text === undefined ? pieces : s.plan.text.split(/(?<= )/))
        events.push(delta({ content: p }));
    }
    if (s.model === 'fake-drop') {
      res.write(events[0]! + events[1]!, () => res.socket?.destroy());
      return;
    }
    if (s.model === 'fake-stall') {
      res.write(events[0]! + events[1]!);
      return;
    }
    if (s.model === 'fake-drop-early') {
      res.write(events[0]!, () => res.socket?.destroy());
      return;
    }
    if (s.model === 'fake-stream-error') {
      res.end(
        `${events[0]!}${events[1]!}data: {"error":{"message":"The server had an error while processing your request (fake-stream-error).","type":"server_error","param":null,"code":null}}\n\n`,
      );
      return;
    }
    const finish = s.plan.calls !== undefined ? 'tool_calls' : 'stop';
    events.push(event(`[{"index":0,${choiceExtra}"delta":{},"logprobs":null,"finish_reason":"${finish}"}]`));
    if (s.includeUsage)
      events.push(
        `data: ${head}[],"usage":${JSON.stringify(usageOf(s.model, s.promptTokens, s.plan.reasoning !== undefined))}}\n\n`,
      );
    events.push('data: [DONE]\n\n');
    writePaced(res, events, opts.chunkIntervalMs ?? 0, timers);
  };

  return {
    begin,
    answer,
    sendJson,
    sendError,
    get requests() {
      return requests;
    },
    get aborted() {
      return aborted;
    },
    requestTimes,
    reported,
    failNext(count: number, failure: FakeFailure = {}) {
      injected = { count, failure, seen: 0 };
    },
    setLatency(ms: number) {
      latencyMs = ms;
    },
    close() {
      closing = true;
      timers.clear();
    },
  };
}
