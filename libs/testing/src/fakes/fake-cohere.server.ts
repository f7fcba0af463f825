import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { exampleForSchema } from '@switchyard/providers';
import { closeServer, createFakeTimers, listen, readBody, sendJson as sendJsonBody, writePaced } from './fake-http';
import { cohereEmbedAnswer, FakeRefusal } from './fake-embeddings';

/**
 * A fake Cohere API speaking Chat v2 (POST /v2/chat) over HTTP, JSON or SSE, as the official SDK reads it.
 *
 * It validates like the real API: `Authorization: Bearer <key>` (else 401 `invalid api token`), known
 * top-level fields only (else 400 `unknown field`), roles system/user/assistant/tool with the fields each
 * takes, tool results answering an earlier tool call, images only for vision models, Cohere's ranges
 * (`p` in [0.01, 0.99], penalties in [0, 1], at most 5 stop sequences), `tool_choice` REQUIRED / NONE,
 * `thinking`, `response_format`.
 *
 * Deterministic answers:
 * - text: "Hello from the fake Cohere server." in pieces ("Hello", " from", ...), one output token each;
 *   with images, "I see N image(s)." first; with response_format json_object, a JSON text (an example of
 *   `json_schema` when given);
 * - with tools (tool_choice not NONE) and a user message last: a tool plan and a call of the first tool,
 *   arguments made from its schema, finish TOOL_CALL; after tool results, the text answer;
 * - reasoning models (a name containing "reasoning") think first, unless thinking is disabled;
 * - `max_tokens` below the answer's pieces cuts it (MAX_TOKENS); a stop sequence in it cuts before it
 *   (STOP_SEQUENCE);
 * - usage: input tokens = ceil(characters of the messages' text / 4), output tokens = pieces written
 *   (+ 5 when thinking); `billed_units` and `tokens` both; `logprobs: true` adds one per piece.
 * A stream is message-start, [content-start/-delta/-end of thinking], [tool-plan-delta, tool-call-start/
 * -delta/-end], [content-start/-delta/-end of text], message-end, `data: [DONE]`; each event is
 * `event: <type>` + `data: <json>`.
 *
 * Trigger models: cohere-429 (429, `retry-after: 7`), cohere-500, cohere-503, cohere-too-many-tokens
 * (400 "too many tokens: ..."), cohere-drop (stream: cut after the first text delta; JSON: the connection
 * is destroyed), cohere-cached (usage reports half the prompt as cached_tokens).
 */
export interface FakeCohereOptions {
  port?: number;
  /** When set, only this key is accepted. */
  apiKey?: string;
  /** Delay between stream events, ms. Default 0. */
  chunkIntervalMs?: number;
}

export interface FakeCohereRequest {
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeCohere {
  /** Base URL (no path), e.g. http://127.0.0.1:40123: use as api_base, or the SDK's baseUrl/environment. */
  readonly url: string;
  readonly port: number;
  /** Chat requests received (all outcomes). */
  readonly requests: number;
  readonly aborted: number;
  readonly lastRequest?: FakeCohereRequest;
  close(): Promise<void>;
}

export const FAKE_COHERE_PIECES = ['Hello', ' from', ' the', ' fake', ' Cohere', ' server', '.'];
export const FAKE_COHERE_THINKING = 'The user wants an answer; I will give the usual one.';

const TOP_LEVEL = new Set([
  'model',
  'messages',
  'stream',
  'tools',
  'strict_tools',
  'documents',
  'citation_options',
  'response_format',
  'safety_mode',
  'max_tokens',
  'stop_sequences',
  'temperature',
  'seed',
  'frequency_penalty',
  'presence_penalty',
  'k',
  'p',
  'logprobs',
  'tool_choice',
  'thinking',
  'priority',
]);
const MESSAGE_FIELDS: Record<string, Set<string>> = {
  system: new Set(['role', 'content']),
  user: new Set(['role', 'content']),
  assistant: new Set(['role', 'content', 'tool_calls', 'tool_plan', 'citations']),
  tool: new Set(['role', 'content', 'tool_call_id']),
};

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v);

/** What the real API would refuse in `body` (its 400 message), or undefined. */
export function cohereRequestProblem(body: unknown): string | undefined {
  if (!isObj(body)) return 'invalid request: the request body must be a JSON object.';
  for (const k of Object.keys(body))
    if (!TOP_LEVEL.has(k)) return `invalid request: unknown field: parameter ${k} is not a valid field`;
  if (typeof body['model'] !== 'string' || body['model'].length === 0) return 'invalid request: model is required';
  const model = body['model'];
  const messages = body['messages'];
  if (!Array.isArray(messages) || messages.length === 0) return 'invalid request: messages must not be empty';
  const callIds = new Set<string>();
  for (const [i, m] of messages.entries()) {
    if (!isObj(m)) return `invalid request: messages[${i}] must be an object`;
    const role = m['role'];
    if (typeof role !== 'string' || !Object.hasOwn(MESSAGE_FIELDS, role))
      return `invalid request: messages[${i}].role must be one of system, user, assistant, tool`;
    for (const k of Object.keys(m))
      if (!MESSAGE_FIELDS[role]!.has(k))
        return `invalid request: unknown field: parameter messages[${i}].${k} is not a valid field`;
    const problem = contentProblem(role, m, i, model, callIds);
    if (problem !== undefined) return problem;
  }
  const range = (k: string, min: number, max: number) =>
    body[k] !== undefined && (!isNum(body[k]) || (body[k] as number) < min || (body[k] as number) > max)
      ? `invalid request: ${k} must be between ${min} and ${max}`
      : undefined;
  const problem =
    range('temperature', 0, 5) ??
    range('p', 0.01, 0.99) ??
    range('frequency_penalty', 0, 1) ??
    range('presence_penalty', 0, 1) ??
    (body['k'] !== undefined && (!isInt(body['k']) || body['k'] < 0 || body['k'] > 500)
      ? 'invalid request: k must be an integer between 0 and 500'
      : undefined) ??
    (body['max_tokens'] !== undefined && (!isInt(body['max_tokens']) || body['max_tokens'] < 1)
      ? 'invalid request: max_tokens must be a positive integer'
      : undefined) ??
    (body['seed'] !== undefined && !isInt(body['seed']) ? 'invalid request: seed must be an integer' : undefined) ??
    (body['stop_sequences'] !== undefined &&
    (!Array.isArray(body['stop_sequences']) ||
      body['stop_sequences'].length > 5 ||
      body['stop_sequences'].some((s) => typeof s !== 'string'))
      ? 'invalid request: stop_sequences must be a list of at most 5 strings'
      : undefined);
  if (problem !== undefined) return problem;
  for (const k of ['stream', 'logprobs', 'strict_tools'])
    if (body[k] !== undefined && typeof body[k] !== 'boolean') return `invalid request: ${k} must be a boolean`;
  const tools = body['tools'];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return 'invalid request: tools must be a list';
    for (const [i, t] of tools.entries()) {
      const f = isObj(t) ? t['function'] : undefined;
      if (
        !isObj(t) ||
        t['type'] !== 'function' ||
        !isObj(f) ||
        typeof f['name'] !== 'string' ||
        !isObj(f['parameters'])
      )
        return `invalid request: tools[${i}] must be {"type":"function","function":{"name","parameters"}}`;
    }
  }
  const choice = body['tool_choice'];
  if (choice !== undefined && choice !== 'REQUIRED' && choice !== 'NONE')
    return 'invalid request: tool_choice must be one of REQUIRED, NONE';
  if (choice === 'REQUIRED' && (!Array.isArray(tools) || tools.length === 0))
    return 'invalid request: tool_choice REQUIRED needs tools';
  const thinking = body['thinking'];
  if (thinking !== undefined) {
    if (!isObj(thinking) || (thinking['type'] !== 'enabled' && thinking['type'] !== 'disabled'))
      return 'invalid request: thinking.type must be one of enabled, disabled';
    if (thinking['token_budget'] !== undefined && (!isInt(thinking['token_budget']) || thinking['token_budget'] < 1))
      return 'invalid request: thinking.token_budget must be a positive integer';
  }
  const format = body['response_format'];
  if (format !== undefined) {
    if (!isObj(format) || (format['type'] !== 'text' && format['type'] !== 'json_object'))
      return 'invalid request: response_format.type must be one of text, json_object';
    if (format['json_schema'] !== undefined && (format['type'] !== 'json_object' || !isObj(format['json_schema'])))
      return 'invalid request: response_format.json_schema must be an object, with type json_object';
  }
  return undefined;
}

function contentProblem(role: string, m: Json, i: number, model: string, callIds: Set<string>): string | undefined {
  const content = m['content'];
  const where = `messages[${i}]`;
  const parts = (allowed: string[]): string | undefined => {
    if (typeof content === 'string') return undefined;
    if (!Array.isArray(content)) return `invalid request: ${where}.content must be a string or a list of content`;
    for (const [j, p] of content.entries()) {
      if (!isObj(p) || typeof p['type'] !== 'string' || !allowed.includes(p['type']))
        return `invalid request: ${where}.content[${j}].type must be one of ${allowed.join(', ')}`;
      if (p['type'] === 'text' && typeof p['text'] !== 'string')
        return `invalid request: ${where}.content[${j}].text is required`;
      if (p['type'] === 'thinking' && typeof p['thinking'] !== 'string')
        return `invalid request: ${where}.content[${j}].thinking is required`;
      if (p['type'] === 'image_url') {
        const img = p['image_url'];
        if (!isObj(img) || typeof img['url'] !== 'string')
          return `invalid request: ${where}.content[${j}].image_url.url is required`;
        if (!model.includes('vision')) return `invalid request: model '${model}' does not support image inputs`;
      }
    }
    return undefined;
  };
  switch (role) {
    case 'system':
      return parts(['text']);
    case 'user':
      return parts(['text', 'image_url']);
    case 'tool': {
      const id = m['tool_call_id'];
      if (typeof id !== 'string' || !callIds.has(id))
        return `invalid request: ${where}.tool_call_id must match a tool call of an earlier assistant message`;
      return parts(['text', 'document']);
    }
    default: {
      const calls = m['tool_calls'];
      if (calls !== undefined) {
        if (!Array.isArray(calls)) return `invalid request: ${where}.tool_calls must be a list`;
        for (const c of calls) {
          const f = isObj(c) ? c['function'] : undefined;
          if (
            !isObj(c) ||
            typeof c['id'] !== 'string' ||
            c['type'] !== 'function' ||
            !isObj(f) ||
            typeof f['name'] !== 'string'
          )
            return `invalid request: ${where}.tool_calls must be {"id","type":"function","function":{"name","arguments"}}`;
          callIds.add(c['id']);
        }
      }
      if (content === undefined) {
        return Array.isArray(calls) && calls.length > 0
          ? undefined
          : `invalid request: ${where} must have content or tool_calls`;
      }
      return parts(['text', 'thinking']);
    }
  }
}

function promptTokensOf(messages: unknown[]): number {
  let chars = 0;
  for (const m of messages) {
    const c = (m as Json)['content'];
    if (typeof c === 'string') chars += c.length;
    else if (Array.isArray(c))
      for (const p of c) if (isObj(p) && typeof p['text'] === 'string') chars += p['text'].length;
  }
  return Math.ceil(chars / 4);
}

/** The answer a request gets, before it is written as JSON or as events. */
interface Answer {
  thinking?: string;
  toolPlan?: string;
  toolCalls?: Array<{ id: string; name: string; arguments: string }>;
  /** Text pieces, one output token each. */
  pieces: string[];
  finish: 'COMPLETE' | 'STOP_SEQUENCE' | 'MAX_TOKENS' | 'TOOL_CALL';
  usage: Json;
}

function answerFor(body: Json): Answer {
  const model = body['model'] as string;
  const messages = body['messages'] as Json[];
  const last = messages.at(-1)!;
  const thinkingOff = isObj(body['thinking']) && body['thinking']['type'] === 'disabled';
  const thinking = model.includes('reasoning') && !thinkingOff ? FAKE_COHERE_THINKING : undefined;
  const tools = Array.isArray(body['tools']) ? (body['tools'] as Json[]) : [];
  const promptTokens = promptTokensOf(messages);
  const usage = (output: number): Json => ({
    billed_units: { input_tokens: promptTokens, output_tokens: output },
    tokens: { input_tokens: promptTokens, output_tokens: output },
    ...(model === 'cohere-cached' && { cached_tokens: Math.floor(promptTokens / 2) }),
  });
  const thinkingTokens = thinking === undefined ? 0 : 5;

  if (tools.length > 0 && body['tool_choice'] !== 'NONE' && last['role'] === 'user') {
    const f = tools[0]!['function'] as Json;
    const name = f['name'] as string;
    const args = JSON.stringify(exampleForSchema(f['parameters']) ?? {});
    return {
      thinking,
      toolPlan: `I will call ${name} to answer.`,
      toolCalls: [{ id: `${name}_${randomUUID().replace(/-/g, '').slice(0, 12)}`, name, arguments: args }],
      pieces: [],
      finish: 'TOOL_CALL',
      usage: usage(8 + thinkingTokens),
    };
  }

  let pieces = [...FAKE_COHERE_PIECES];
  const images =
    isObj(last) && Array.isArray(last['content'])
      ? (last['content'] as Json[]).filter((p) => p['type'] === 'image_url').length
      : 0;
  if (images > 0) pieces = [`I see ${images} image${images === 1 ? '' : 's'}.`, ' ', ...pieces];
  if (last['role'] === 'tool')
    pieces = [
      'The tool answered: ',
      String(typeof last['content'] === 'string' ? last['content'] : 'ok'),
      '. ',
      ...pieces,
    ];
  const format = body['response_format'];
  if (isObj(format) && format['type'] === 'json_object') {
    const value = isObj(format['json_schema'])
      ? exampleForSchema(format['json_schema'])
      : { answer: FAKE_COHERE_PIECES.join('') };
    const text = JSON.stringify(value);
    pieces = text.match(/.{1,8}/gs) ?? [text];
  }
  let finish: Answer['finish'] = 'COMPLETE';
  const stops = Array.isArray(body['stop_sequences']) ? (body['stop_sequences'] as string[]) : [];
  const full = pieces.join('');
  const at = Math.min(...stops.map((s) => full.indexOf(s)).filter((i) => i >= 0));
  if (Number.isFinite(at)) {
    finish = 'STOP_SEQUENCE';
    const kept: string[] = [];
    let used = 0;
    for (const p of pieces) {
      if (used >= at) break;
      kept.push(p.slice(0, at - used));
      used += p.length;
    }
    pieces = kept.filter((p) => p.length > 0);
  }
  const max = body['max_tokens'];
  if (isInt(max) && max < pieces.length) {
    pieces = pieces.slice(0, max);
    finish = 'MAX_TOKENS';
  }
  return { thinking, pieces, finish, usage: usage(pieces.length + thinkingTokens) };
}

export async function startFakeCohere(opts: FakeCohereOptions = {}): Promise<FakeCohere> {
  let requests = 0;
  let aborted = 0;
  let closing = false;
  let lastRequest: FakeCohereRequest | undefined;
  const timers = createFakeTimers();

  const sendJson = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void => {
    sendJsonBody(res, status, body, { 'x-debug-trace-id': randomUUID().replace(/-/g, ''), ...extra });
  };
  const sendError = (res: ServerResponse, status: number, message: string, extra: Record<string, string> = {}) =>
    sendJson(res, status, { id: randomUUID(), message }, extra);

  /** Embed API v2: authenticated like chat, validated by cohereEmbedAnswer (fake-embeddings.ts). */
  const embed = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      lastRequest = { headers: req.headers, body: raw };
      return sendError(res, 400, 'invalid request: could not parse the request body as JSON');
    }
    lastRequest = { headers: req.headers, body };
    const auth = req.headers.authorization ?? '';
    const token = /^bearer /i.test(auth) ? auth.slice(7).trim() : '';
    if (token === '' || (opts.apiKey !== undefined && token !== opts.apiKey))
      return sendError(res, 401, 'invalid api token');
    try {
      sendJson(res, 200, cohereEmbedAnswer(body));
    } catch (e) {
      if (!(e instanceof FakeRefusal)) throw e;
      sendJson(res, e.status, e.body);
    }
  };

  const chat = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    requests++;
    let dropping = false;
    res.on('close', () => {
      if (!res.writableFinished && !dropping && !closing) aborted++;
    });
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      lastRequest = { headers: req.headers, body: raw };
      return sendError(res, 400, 'invalid request: could not parse the request body as JSON');
    }
    lastRequest = { headers: req.headers, body };
    const auth = req.headers.authorization ?? '';
    const token = /^bearer /i.test(auth) ? auth.slice(7).trim() : '';
    if (token === '' || (opts.apiKey !== undefined && token !== opts.apiKey)) {
      return sendError(res, 401, 'invalid api token');
    }
    const problem = cohereRequestProblem(body);
    if (problem !== undefined) return sendError(res, 400, problem);
    const b = body as Json;
    const stream = b['stream'] === true;
    switch (b['model']) {
      case 'cohere-429':
        return sendError(
          res,
          429,
          "You are using a Trial key, which is limited to 10 API calls / minute. You can continue to use the Trial key for free or upgrade to a Production key with higher rate limits at 'https://dashboard.cohere.com/api-keys'.",
          { 'retry-after': '7' },
        );
      case 'cohere-500':
        return sendError(res, 500, 'internal server error, this has been reported to our developers');
      case 'cohere-503':
        return sendError(res, 503, 'service unavailable: the model is overloaded, please try again later');
      case 'cohere-too-many-tokens':
        return sendError(
          res,
          400,
          `too many tokens: total number of tokens in the prompt cannot exceed 4081 - received ${4081 + promptTokensOf(b['messages'] as unknown[])}. Try using a shorter prompt, or enabling prompt truncating.`,
        );
      case 'cohere-drop':
        dropping = true;
        if (!stream) {
          req.socket.destroy();
          return;
        }
    }
    const answer = answerFor(b);
    const id = randomUUID();
    const logprobs = b['logprobs'] === true;
    if (!stream) {
      const content: Json[] = [];
      if (answer.thinking !== undefined) content.push({ type: 'thinking', thinking: answer.thinking });
      if (answer.pieces.length > 0) content.push({ type: 'text', text: answer.pieces.join('') });
      return sendJson(res, 200, {
        id,
        message: {
          role: 'assistant',
          ...(content.length > 0 && { content }),
          ...(answer.toolPlan !== undefined && { tool_plan: answer.toolPlan }),
          ...(answer.toolCalls !== undefined && {
            tool_calls: answer.toolCalls.map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          }),
        },
        finish_reason: answer.finish,
        usage: answer.usage,
        ...(logprobs && {
          logprobs: answer.pieces.map((text, i) => ({ text, token_ids: [100 + i], logprobs: [-0.5] })),
        }),
      });
    }
    const events: string[] = [];
    const event = (data: Json): void => {
      events.push(`event: ${String(data['type'])}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    event({
      id,
      type: 'message-start',
      delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } },
    });
    let index = 0;
    if (answer.thinking !== undefined) {
      event({ type: 'content-start', index, delta: { message: { content: { type: 'thinking', thinking: '' } } } });
      for (const part of answer.thinking.split(/(?<=;)/))
        event({ type: 'content-delta', index, delta: { message: { content: { thinking: part } } } });
      event({ type: 'content-end', index });
      index++;
    }
    if (answer.toolPlan !== undefined) {
      for (const part of answer.toolPlan.split(/(?= to )/))
        event({ type: 'tool-plan-delta', delta: { message: { tool_plan: part } } });
    }
    for (const [i, call] of (answer.toolCalls ?? []).entries()) {
      event({
        type: 'tool-call-start',
        index: i,
        delta: {
          message: { tool_calls: { id: call.id, type: 'function', function: { name: call.name, arguments: '' } } },
        },
      });
      for (const part of call.arguments.match(/.{1,6}/gs) ?? [])
        event({
          type: 'tool-call-delta',
          index: i,
          delta: { message: { tool_calls: { function: { arguments: part } } } },
        });
      event({ type: 'tool-call-end', index: i });
    }
    if (answer.pieces.length > 0) {
      event({ type: 'content-start', index, delta: { message: { content: { type: 'text', text: '' } } } });
      for (const [i, text] of answer.pieces.entries())
        event({
          type: 'content-delta',
          index,
          delta: { message: { content: { text } } },
          ...(logprobs && { logprobs: { text, token_ids: [100 + i], logprobs: [-0.5] } }),
        });
      event({ type: 'content-end', index });
    }
    event({ type: 'message-end', delta: { finish_reason: answer.finish, usage: answer.usage } });
    events.push('data: [DONE]\n\n');

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-debug-trace-id': randomUUID().replace(/-/g, ''),
    });
    if (b['model'] === 'cohere-drop') {
      const firstText = events.findIndex((e) => e.startsWith('event: content-delta'));
      res.write(events.slice(0, firstText + 1).join(''), () => res.socket?.destroy());
      return;
    }
    writePaced(res, events, opts.chunkIntervalMs ?? 0, timers);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/v2/chat') return readBody(req, (raw) => chat(req, res, raw));
    if (req.method === 'POST' && path === '/v2/embed') return readBody(req, (raw) => embed(req, res, raw));
    req.resume();
    sendJson(res, 404, {
      message: `Not Found: ${req.method} ${path}. This fake serves POST /v2/chat and POST /v2/embed.`,
    });
  });
  const port = await listen(server, opts.port);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    get aborted() {
      return aborted;
    },
    get lastRequest() {
      return lastRequest;
    },
    close: () =>
      closeServer(server, () => {
        closing = true;
        timers.clear();
      }),
  };
}
