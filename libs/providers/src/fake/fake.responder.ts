import { randomUUID } from 'node:crypto';
import type {
  ChatCompletionRequest,
  ChatCompletion,
  ChatCompletionChunk,
  ChatMessage,
  CompletionUsage,
  FinishReason,
  OpenAIErrorEnvelope,
} from '../openai-types';
import type { LocalReply, UpstreamRequest } from '../provider-adapter';
import { parseChatRequest } from '../openai/openai.request';
import { estimateTokens, messageText, promptCharsOf } from '../usage/usage.estimate';
import { exampleForSchema } from './fake.schema-example';

/**
 * The built-in `fake` provider's "server": answers an OpenAI chat request in process, with OpenAI's
 * exact wire format, so the demo config works with no provider key and no network.
 *
 * - Answer: deterministic, derived from the last user message (echoes its first words).
 * - Tokens: the gateway's own estimate (usage.estimate: ceil(characters / 4)) of the messages' text for
 *   the prompt, and of the answer for the completion.
 * - Streams: one role chunk, one content chunk per word, a finish chunk, and (with
 *   stream_options.include_usage) a usage chunk with `choices: []`; then `[DONE]`.
 * - max_tokens / max_completion_tokens cut a text answer at a word boundary (finish_reason "length").
 * - With `tools` (and `tool_choice` not "none"), unless the last message is a tool result: one call of the
 *   chosen tool (tool_choice's function, else the first) with arguments valid for its JSON Schema,
 *   finish_reason "tool_calls"; streamed as OpenAI streams tool calls. After a tool result: a text answer
 *   that quotes it, so tool loops (the SDK's runTools) end.
 * - `response_format` json_schema: content is JSON valid for the schema; json_object: a JSON object.
 * - Error triggers by upstream model name (litellm_params.model "fake/<name>"):
 *   fake-400 → 400 invalid_request_error, fake-429 → 429 rate limit (retry-after: 7), fake-500 → 500.
 */

const encoder = new TextEncoder();
const ECHO_WORDS = 12;

/** The fake's answer to a conversation, before any max_tokens cut. */
export function fakeAnswer(model: string, messages: ChatMessage[]): string {
  const final = messages[messages.length - 1];
  if (final?.role === 'tool') {
    const result = messageText(final).slice(0, 200);
    return `This is ${model}, a fake model. The tool returned: ${result}`;
  }
  let last = '';
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i]!.role === 'user') {
      last = messageText(messages[i]!);
      break;
    }
  }
  const words = last.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return `This is ${model}, a fake model. Send a user message and I will echo it.`;
  const echo = words.slice(0, ECHO_WORDS).join(' ') + (words.length > ECHO_WORDS ? ' ...' : '');
  return `This is ${model}, a fake model. You said: ${echo}`;
}

function cutToTokens(answer: string, maxTokens: number | undefined): { text: string; finish: FinishReason } {
  if (maxTokens === undefined || estimateTokens(answer.length) <= maxTokens) return { text: answer, finish: 'stop' };
  const words = answer.split(' ');
  let text = '';
  for (const w of words) {
    const next = text ? `${text} ${w}` : w;
    if (estimateTokens(next.length) > maxTokens) break;
    text = next;
  }
  return { text, finish: 'length' };
}

function usageOf(prompt: number, completion: number): CompletionUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

function jsonReply(status: number, body: unknown, headers: Record<string, string> = {}): LocalReply {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    chunks: [encoder.encode(JSON.stringify(body))],
  };
}

function errorReply(
  status: number,
  message: string,
  type: string,
  code: string | null,
  param: string | null = null,
  headers: Record<string, string> = {},
): LocalReply {
  const body: OpenAIErrorEnvelope = { error: { message, type, param, code } };
  return jsonReply(status, body, headers);
}

function positiveInt(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;
}

export function serveFake(request: UpstreamRequest): LocalReply {
  const body = parseChatRequest(request.body);
  if (typeof body === 'string') {
    return errorReply(
      400,
      "We could not parse the JSON body of your request, or it has no 'messages' array.",
      'invalid_request_error',
      null,
      'messages',
    );
  }
  const model = body.model;
  switch (model) {
    case 'fake-400':
      return errorReply(
        400,
        'Invalid request (fake-400 trigger).',
        'invalid_request_error',
        'invalid_value',
        'messages',
      );
    case 'fake-429':
      return errorReply(
        429,
        'Rate limit reached for requests (fake-429 trigger). Please try again in 7s.',
        'requests',
        'rate_limit_exceeded',
        null,
        { 'retry-after': '7' },
      );
    case 'fake-500':
      return errorReply(
        500,
        'The server had an error while processing your request (fake-500 trigger).',
        'server_error',
        null,
      );
  }
  if (body.n !== undefined && body.n !== null && body.n !== 1) {
    return errorReply(
      400,
      `The fake provider answers with one choice only; set n to 1 or leave it out (got ${String(body.n)}).`,
      'invalid_request_error',
      'unsupported_value',
      'n',
    );
  }
  const maxTokens = positiveInt(body.max_completion_tokens) ?? positiveInt(body.max_tokens);
  const call = toolCallFor(body);
  const structured = call === undefined ? structuredAnswer(body) : undefined;
  const { text, finish } =
    call !== undefined
      ? { text: '', finish: 'tool_calls' as const }
      : structured !== undefined
        ? { text: structured, finish: 'stop' as const }
        : cutToTokens(fakeAnswer(model, body.messages), maxTokens);
  const promptTokens = estimateTokens(promptCharsOf(body.messages));
  const usage = usageOf(
    promptTokens,
    estimateTokens(text.length + (call ? call.name.length + call.arguments.length : 0)),
  );
  const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
  const created = Math.floor(Date.now() / 1000);

  if (body.stream !== true) {
    const completion: ChatCompletion = {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: call
            ? {
                role: 'assistant',
                content: null,
                refusal: null,
                annotations: [],
                tool_calls: [
                  { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } },
                ],
              }
            : { role: 'assistant', content: text, refusal: null, annotations: [] },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage,
      service_tier: 'default',
      system_fingerprint: null,
    };
    return jsonReply(200, completion);
  }

  const withUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: ChatCompletionChunk['choices'], u?: CompletionUsage): Uint8Array => {
    const c: ChatCompletionChunk = {
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      service_tier: 'default',
      system_fingerprint: null,
      choices,
    };
    if (withUsage) c.usage = u ?? null;
    return encoder.encode(`data: ${JSON.stringify(c)}\n\n`);
  };
  const chunks: Uint8Array[] = [
    chunk([
      { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
    ]),
  ];
  if (call !== undefined) {
    // As OpenAI streams a tool call: its id and name first, then the arguments in pieces.
    chunks.push(
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
          },
          logprobs: null,
          finish_reason: null,
        },
      ]),
    );
    for (let at = 0; at < call.arguments.length; at += 8) {
      chunks.push(
        chunk([
          {
            index: 0,
            delta: { tool_calls: [{ index: 0, function: { arguments: call.arguments.slice(at, at + 8) } }] },
            logprobs: null,
            finish_reason: null,
          },
        ]),
      );
    }
  }
  const words = text.length > 0 ? (structured !== undefined ? chunkText(text, 12) : text.split(' ')) : [];
  const joiner = structured !== undefined ? '' : ' ';
  words.forEach((w, i) => {
    chunks.push(
      chunk([
        {
          index: 0,
          delta: { content: i < words.length - 1 ? `${w}${joiner}` : w },
          logprobs: null,
          finish_reason: null,
        },
      ]),
    );
  });
  chunks.push(chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]));
  if (withUsage) chunks.push(chunk([], usage));
  chunks.push(encoder.encode('data: [DONE]\n\n'));
  return { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, chunks };
}

interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** The tool call the fake makes for this request, if any (see the header comment). */
function toolCallFor(body: ChatCompletionRequest): FakeToolCall | undefined {
  const tools = Array.isArray(body.tools) ? (body.tools as FunctionTool[]) : [];
  if (tools.length === 0 || body.tool_choice === 'none') return undefined;
  const last = body.messages[body.messages.length - 1];
  if (last?.role === 'tool' || last?.role === 'function') return undefined;
  const choice = body.tool_choice as { type?: string; function?: { name?: string } } | undefined;
  const wanted = typeof choice === 'object' && choice !== null ? choice.function?.name : undefined;
  const tool = (wanted !== undefined ? tools.find((t) => t?.function?.name === wanted) : undefined) ?? tools[0];
  const fn = tool?.function;
  if (fn === undefined || typeof fn.name !== 'string') return undefined;
  const args = exampleForSchema(fn.parameters ?? { type: 'object', properties: {} });
  return {
    id: `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    name: fn.name,
    arguments: JSON.stringify(args ?? {}),
  };
}

interface FunctionTool {
  type?: string;
  function?: { name?: string; parameters?: unknown };
}

/** JSON content for `response_format` json_schema / json_object; undefined for text. */
function structuredAnswer(body: ChatCompletionRequest): string | undefined {
  const rf = body.response_format as { type?: string; json_schema?: { schema?: unknown } } | undefined;
  if (typeof rf !== 'object' || rf === null) return undefined;
  if (rf.type === 'json_schema') return JSON.stringify(exampleForSchema(rf.json_schema?.schema ?? {}));
  if (rf.type === 'json_object') return JSON.stringify({ answer: fakeAnswer(body.model, body.messages) });
  return undefined;
}

function chunkText(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}
