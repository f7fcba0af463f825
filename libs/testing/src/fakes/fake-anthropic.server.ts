import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { awsHeaders, encodeAwsEventStreamMessage } from '@switchyard/providers';
import {
  closeServer,
  createFakeTimers,
  listen,
  readBody,
  sendJson,
  writePaced,
  type FakeReportedUsage,
} from './fake-http';

/**
 * A fake Anthropic upstream speaking the real Messages API wire format (`anthropic-version: 2023-06-01`)
 * over HTTP (keep-alive), for integration and end-to-end tests.
 *
 * Endpoints: POST /v1/messages (JSON, or SSE when `stream: true`, with Anthropic's exact event sequence:
 * message_start, per block content_block_start / ping (once, after the first start) / content_block_delta /
 * content_block_stop, message_delta, message_stop), POST /v1/messages/count_tokens.
 * Auth: `x-api-key` (or `Authorization: Bearer`) is required, exactly `apiKey` when given, else any key; `anthropic-version`
 * is required. Every answer carries a `request-id` header; errors are `{"type":"error","error":{type,
 * message},"request_id"}`.
 *
 * Validation, as strict as the real API for what the gateway sends: unknown top-level fields, a missing
 * model / messages / max_tokens, roles other than user and assistant, empty content, content block types
 * a role cannot carry, image sources, temperature / top_p ranges, whitespace stop sequences, metadata other
 * than user_id, tool definitions, tool_choice without tools, tool_use / tool_result blocks without tools,
 * every tool_result paired with a tool_use of the previous assistant turn (and every tool_use answered in
 * the next user turn, tool results first), thinking (budget >= 1024 and < max_tokens, temperature only 1,
 * no top_k, top_p >= 0.95, no forced tool_choice), signatures of thinking blocks sent back (they must be
 * the ones this server issued), and, with thinking on, a tool-use turn being continued must start with
 * its thinking block.
 *
 * Deterministic output:
 * - text answer: "Hello from the fake Anthropic server." in pieces (one output token per piece); with
 *   images in the last user turn it begins "I see N image(s). "; after tool results it is
 *   "The tool returned: <first result's text>.";
 * - input_tokens = ceil(characters of tools JSON, system text and message content / 4);
 * - with thinking enabled: a thinking block first ("Let me think about this. The answer is a greeting."),
 *   with a signature this server checks when it comes back; output tokens include ceil(its length / 4);
 * - tool use: when tools are given and tool_choice forces one (any / tool), or the model is `fake-tool`,
 *   or the last user text says "use the tool" / "use a tool" (first tool), or "use every tool" (one call
 *   per tool unless disable_parallel_tool_use); input built from the tool's input_schema;
 * - max_tokens below the answer's size cuts it (stop_reason max_tokens); a stop sequence in the answer
 *   cuts it there (stop_reason stop_sequence);
 * - prompt caching: with cache_control anywhere, the prefix up to the last breakpoint (tools, system,
 *   messages order) is written to the cache on first sight (cache_creation_input_tokens) and read on later
 *   requests (cache_read_input_tokens); input_tokens counts the rest. No minimum length, unlike the real API.
 *
 * Trigger models:
 * - fake-429 → 429 rate_limit_error, `retry-after: 7`;  fake-500 → 500 api_error;  fake-529 → 529 overloaded_error
 * - fake-404 → 404 not_found_error (model);  fake-long → 400 "prompt is too long: ..."
 * - fake-drop → stream: message_start, a text block start and one delta, then the connection is destroyed;
 *   non-stream: the connection is destroyed before any response
 * - fake-stream-error → stream: one text delta, then an `error` event (overloaded_error)
 * - fake-tool → answers with a tool_use of the first tool
 * - fake-redacted → with thinking, a redacted_thinking block after the thinking block
 * - fake-refusal → stop_reason "refusal" after one text piece
 * - fake-echo → 400 whose message quotes the x-api-key header (redaction tests)
 *
 * The Messages behaviour itself (validation, answers, streams, triggers) is createFakeAnthropicMessages(),
 * which the fake Google origin (startFakeGemini) also serves as Claude on Vertex AI: there the model is in
 * the URL, `model` in the body is refused, `anthropic_version: "vertex-2023-10-16"` is required in it, ids
 * read msg_vrtx_… / toolu_vrtx_…, and a stream has Vertex's own `vertex_event` after message_start.
 * The fake Bedrock runtime (startFakeBedrock) serves it as Claude on Bedrock (InvokeModel): the model in the
 * URL, `model` and `stream` refused in the body, `anthropic_version: "bedrock-2023-05-31"` required and
 * `anthropic_beta` (a list) taken there, max_tokens required for counting too (CountTokens counts a whole
 * InvokeModel body), ids msg_bdrk_… / toolu_bdrk_…, errors in Bedrock's `{"message"}` with
 * x-amzn-errortype, and streams as AWS event-stream `chunk` events whose `bytes` hold each Messages event
 * (message_stop with `amazon-bedrock-invocationMetrics`), an in-stream error as a modelStreamErrorException.
 */

const PIECES = ['Hello', ' from', ' the', ' fake', ' Anthropic', ' server', '.'];
export const FAKE_ANTHROPIC_TEXT = PIECES.join('');
export const FAKE_ANTHROPIC_THINKING = 'Let me think about this. The answer is a greeting.';
const SIGNING_SECRET = randomBytes(16).toString('hex');
/** Claude on Vertex AI takes the API version in the body, as this member, with this one value. */
const VERSION_FIELD = 'anthropic_version';
const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';
const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';

export interface FakeAnthropicOptions {
  port?: number;
  /** When set, only this x-api-key is accepted. */
  apiKey?: string;
  /** Delay before the response headers, ms. Default 0. */
  latencyMs?: number;
  /** Delay between stream events, ms. Default 0 (all written at once). */
  chunkIntervalMs?: number;
}

export interface FakeAnthropicRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export interface FakeAnthropic {
  /** Base URL without /v1, e.g. http://127.0.0.1:40123 (the SDK's baseURL; a deployment's api_base). */
  readonly url: string;
  readonly port: number;
  /** Requests to /v1/messages received (all outcomes). */
  readonly requests: number;
  readonly lastRequest?: FakeAnthropicRequest;
  /** Every /v1/messages request body, oldest first. */
  readonly bodies: readonly unknown[];
  /** The usage this fake put on the wire, per answer that carried one (ledger reconciliation tests). */
  readonly reported: readonly FakeReportedUsage[];
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The signature this server gives a thinking text (and accepts back). */
export function fakeThinkingSignature(thinking: string): string {
  return createHash('sha256').update(`${SIGNING_SECRET}\n${thinking}`).digest('base64');
}

class Invalid extends Error {
  constructor(
    message: string,
    readonly status = 400,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

const MESSAGE_FIELDS = new Set([
  'model',
  'messages',
  'max_tokens',
  'system',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'stream',
  'tools',
  'tool_choice',
  'thinking',
  'metadata',
  'service_tier',
  'container',
  'mcp_servers',
  'context_management',
  'output_config',
]);
const COUNT_FIELDS = new Set([
  'model',
  'messages',
  'system',
  'tools',
  'tool_choice',
  'thinking',
  'mcp_servers',
  'context_management',
]);
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function checkCacheControl(v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  if (!isObject(v) || v['type'] !== 'ephemeral')
    throw new Invalid(`${where}.cache_control.type: Input should be 'ephemeral'`);
  if (v['ttl'] !== undefined && v['ttl'] !== '5m' && v['ttl'] !== '1h')
    throw new Invalid(`${where}.cache_control.ttl: Input should be '5m' or '1h'`);
}

function checkTextBlock(b: Json, where: string): void {
  if (typeof b['text'] !== 'string') throw new Invalid(`${where}.text: Field required`);
  if (b['text'].length === 0) throw new Invalid('messages: text content blocks must be non-empty');
}

function checkImage(b: Json, where: string): void {
  const s = b['source'];
  if (!isObject(s)) throw new Invalid(`${where}.source: Field required`);
  if (s['type'] === 'base64') {
    if (!IMAGE_TYPES.has(String(s['media_type']))) {
      throw new Invalid(
        `${where}.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'`,
      );
    }
    if (typeof s['data'] !== 'string' || !BASE64.test(s['data']))
      throw new Invalid(`${where}.source.base64.data: The image data is not valid base64`);
  } else if (s['type'] === 'url') {
    if (typeof s['url'] !== 'string' || !/^https?:\/\//.test(s['url']))
      throw new Invalid(`${where}.source.url.url: Input should be a valid URL`);
  } else
    throw new Invalid(
      `${where}.source: Input tag '${String(s['type'])}' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'`,
    );
}

/** Everything about one request this fake needs after validation. */
interface Checked {
  thinking: boolean;
  budget: number;
  toolNames: string[];
}

/** One stream event on the wire: an SSE event's text, or an AWS event-stream message. */
interface Frame {
  type: string;
  wire: string | Uint8Array;
}

/** How Bedrock reports the errors of Claude models: status and exception per Anthropic error type. */
const BEDROCK_ERRORS: Readonly<Record<string, [number, string]>> = {
  invalid_request_error: [400, 'ValidationException'],
  rate_limit_error: [429, 'ThrottlingException'],
  api_error: [500, 'InternalServerException'],
  overloaded_error: [503, 'ServiceUnavailableException'],
  not_found_error: [404, 'ResourceNotFoundException'],
  permission_error: [403, 'AccessDeniedException'],
};

function validate(
  body: Json,
  endpoint: 'messages' | 'count_tokens',
  dialect: AnthropicDialect,
  issued: (t: string, sig: string) => boolean,
): Checked {
  // On Vertex the model is in the URL (rawPredict), except for count-tokens, and the version is in the body.
  // On Bedrock the model is always in the URL, and a count is of a whole InvokeModel body.
  const bedrock = dialect === 'bedrock';
  const modelInBody = dialect === 'anthropic' || (dialect === 'vertex' && endpoint === 'count_tokens');
  const fields = endpoint === 'messages' || bedrock ? MESSAGE_FIELDS : COUNT_FIELDS;
  for (const k of Object.keys(body)) {
    const allowed =
      fields.has(k) || (dialect !== 'anthropic' && k === VERSION_FIELD) || (bedrock && k === 'anthropic_beta');
    if (!allowed || (k === 'model' && !modelInBody) || (bedrock && k === 'stream')) {
      throw new Invalid(
        bedrock
          ? `Malformed input request: #: extraneous key [${k}] is not permitted, please reformat your input and try again.`
          : `${k}: Extra inputs are not permitted`,
      );
    }
  }
  if (dialect !== 'anthropic') {
    const version = bedrock ? BEDROCK_ANTHROPIC_VERSION : VERTEX_ANTHROPIC_VERSION;
    if (body[VERSION_FIELD] === undefined) throw new Invalid(`${VERSION_FIELD}: Field required`);
    if (body[VERSION_FIELD] !== version) throw new Invalid(`${VERSION_FIELD}: Input should be '${version}'`);
  }
  const betas = body['anthropic_beta'];
  if (betas !== undefined && (!Array.isArray(betas) || !betas.every((b) => typeof b === 'string' && b.length > 0)))
    throw new Invalid('anthropic_beta: Input should be a valid list of strings');
  if (modelInBody && (typeof body['model'] !== 'string' || body['model'].length === 0))
    throw new Invalid('model: Field required');
  if (!Array.isArray(body['messages'])) throw new Invalid('messages: Field required');
  if (endpoint === 'messages' || bedrock) {
    const mt = body['max_tokens'];
    if (mt === undefined) throw new Invalid('max_tokens: Field required');
    if (typeof mt !== 'number' || !Number.isInteger(mt))
      throw new Invalid('max_tokens: Input should be a valid integer');
    if (mt < 1) throw new Invalid('max_tokens: Input should be greater than or equal to 1');
    if (body['stream'] !== undefined && typeof body['stream'] !== 'boolean')
      throw new Invalid('stream: Input should be a valid boolean');
  }
  const temperature = body['temperature'];
  if (temperature !== undefined) {
    if (typeof temperature !== 'number') throw new Invalid('temperature: Input should be a valid number');
    if (temperature < 0) throw new Invalid('temperature: Input should be greater than or equal to 0');
    if (temperature > 1) throw new Invalid('temperature: Input should be less than or equal to 1');
  }
  const topP = body['top_p'];
  if (topP !== undefined && (typeof topP !== 'number' || topP < 0 || topP > 1))
    throw new Invalid('top_p: Input should be between 0 and 1');
  const topK = body['top_k'];
  if (topK !== undefined && (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0))
    throw new Invalid('top_k: Input should be a non-negative integer');
  const stops = body['stop_sequences'];
  if (stops !== undefined) {
    if (!Array.isArray(stops) || !stops.every((s) => typeof s === 'string'))
      throw new Invalid('stop_sequences: Input should be a valid list of strings');
    if (stops.some((s) => (s as string).trim().length === 0))
      throw new Invalid('stop_sequences: each stop sequence must contain non-whitespace');
  }
  const metadata = body['metadata'];
  if (metadata !== undefined) {
    if (!isObject(metadata)) throw new Invalid('metadata: Input should be a valid dictionary');
    for (const k of Object.keys(metadata))
      if (k !== 'user_id') throw new Invalid(`metadata.${k}: Extra inputs are not permitted`);
  }
  const system = body['system'];
  if (system !== undefined) {
    if (typeof system !== 'string' && !Array.isArray(system))
      throw new Invalid('system: Input should be a valid string or list');
    if (Array.isArray(system)) {
      for (const [i, b] of system.entries()) {
        if (!isObject(b) || b['type'] !== 'text') throw new Invalid(`system.${i}.type: Input should be 'text'`);
        checkTextBlock(b, `system.${i}`);
        checkCacheControl(b['cache_control'], `system.${i}`);
      }
    }
  }

  const tools = body['tools'];
  const toolNames: string[] = [];
  if (tools !== undefined) {
    if (!Array.isArray(tools)) throw new Invalid('tools: Input should be a valid list');
    for (const [i, t] of tools.entries()) {
      if (!isObject(t)) throw new Invalid(`tools.${i}: Input should be a valid dictionary`);
      if (typeof t['name'] !== 'string' || !/^[a-zA-Z0-9_-]{1,128}$/.test(t['name'])) {
        throw new Invalid(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,128}$'`);
      }
      if (!isObject(t['input_schema'])) throw new Invalid(`tools.${i}.custom.input_schema: Field required`);
      if (t['input_schema']['type'] !== 'object')
        throw new Invalid(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
      for (const k of Object.keys(t)) {
        if (!['name', 'description', 'input_schema', 'cache_control', 'strict', 'type'].includes(k)) {
          throw new Invalid(`tools.${i}.custom.${k}: Extra inputs are not permitted`);
        }
      }
      checkCacheControl(t['cache_control'], `tools.${i}`);
      if (toolNames.includes(t['name'])) throw new Invalid(`tools: Tool names must be unique.`);
      toolNames.push(t['name']);
    }
  }

  const thinkingCfg = body['thinking'];
  let thinking = false;
  let budget = 0;
  if (thinkingCfg !== undefined) {
    if (!isObject(thinkingCfg)) throw new Invalid('thinking: Input should be a valid dictionary');
    if (thinkingCfg['type'] === 'enabled') {
      const b = thinkingCfg['budget_tokens'];
      if (typeof b !== 'number' || !Number.isInteger(b))
        throw new Invalid('thinking.enabled.budget_tokens: Field required');
      if (b < 1024) throw new Invalid('thinking.enabled.budget_tokens: Input should be greater than or equal to 1024');
      if (endpoint === 'messages' && (body['max_tokens'] as number) <= b) {
        throw new Invalid(
          '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size',
        );
      }
      thinking = true;
      budget = b;
    } else if (thinkingCfg['type'] === 'adaptive') {
      thinking = true;
    } else if (thinkingCfg['type'] !== 'disabled') {
      throw new Invalid(
        `thinking: Input tag '${String(thinkingCfg['type'])}' found using 'type' does not match any of the expected tags: 'enabled', 'disabled', 'adaptive'`,
      );
    }
  }
  if (thinking) {
    if (temperature !== undefined && temperature !== 1) {
      throw new Invalid(
        '`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility',
      );
    }
    if (topK !== undefined) throw new Invalid('`top_k` must be unset when thinking is enabled.');
    if (typeof topP === 'number' && topP < 0.95)
      throw new Invalid('`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled.');
  }

  const choice = body['tool_choice'];
  if (choice !== undefined) {
    if (!isObject(choice) || !['auto', 'any', 'tool', 'none'].includes(String(choice['type']))) {
      throw new Invalid(
        "tool_choice: Input tag does not match any of the expected tags: 'auto', 'any', 'tool', 'none'",
      );
    }
    if (toolNames.length === 0)
      throw new Invalid('tool_choice: tool_choice may only be specified while providing tools.');
    if (choice['type'] === 'tool' && !toolNames.includes(String(choice['name']))) {
      throw new Invalid(`tool_choice.tool.name: Tool '${String(choice['name'])}' not found in provided tools`);
    }
    if (thinking && (choice['type'] === 'any' || choice['type'] === 'tool')) {
      throw new Invalid('Thinking may not be enabled when tool_choice forces tool use.');
    }
  }

  const messages = body['messages'] as unknown[];
  let usesTools = false;
  let pendingToolUses: string[] = [];
  let lastAssistantIndex = -1;
  for (const [i, m] of messages.entries()) {
    const where = `messages.${i}`;
    if (!isObject(m)) throw new Invalid(`${where}: Input should be a valid dictionary`);
    for (const k of Object.keys(m))
      if (k !== 'role' && k !== 'content') throw new Invalid(`${where}.${k}: Extra inputs are not permitted`);
    const role = m['role'];
    if (role !== 'user' && role !== 'assistant')
      throw new Invalid(`${where}.role: Input should be 'user' or 'assistant'`);
    const content = m['content'];
    const isFinalAssistant = role === 'assistant' && i === messages.length - 1;
    if (typeof content === 'string') {
      if (content.length === 0 && !isFinalAssistant) {
        throw new Invalid(
          `${where}: all messages must have non-empty content except for the optional final assistant message`,
        );
      }
      if (pendingToolUses.length > 0) {
        throw new Invalid(
          `${where}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pendingToolUses.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
      if (role === 'assistant') lastAssistantIndex = i;
      continue;
    }
    if (!Array.isArray(content)) throw new Invalid(`${where}.content: Input should be a valid string or list`);
    if (content.length === 0 && !isFinalAssistant) {
      throw new Invalid(
        `${where}: all messages must have non-empty content except for the optional final assistant message`,
      );
    }
    const results: string[] = [];
    let seenOther = false;
    const uses: string[] = [];
    for (const [j, b] of content.entries()) {
      const at = `${where}.content.${j}`;
      if (!isObject(b)) throw new Invalid(`${at}: Input should be a valid dictionary`);
      const type = b['type'];
      const userTypes = ['text', 'image', 'document', 'tool_result'];
      const assistantTypes = ['text', 'tool_use', 'thinking', 'redacted_thinking'];
      if (!(role === 'user' ? userTypes : assistantTypes).includes(String(type))) {
        throw new Invalid(
          `${at}.type: a content block of type '${String(type)}' is not allowed in a${role === 'user' ? ' user' : 'n assistant'} message`,
        );
      }
      if (type !== 'thinking' && type !== 'redacted_thinking') checkCacheControl(b['cache_control'], at);
      switch (type) {
        case 'text':
          checkTextBlock(b, at);
          seenOther = true;
          break;
        case 'image':
          checkImage(b, at);
          seenOther = true;
          break;
        case 'document': {
          const s = b['source'];
          if (!isObject(s) || (s['type'] === 'base64' && s['media_type'] !== 'application/pdf'))
            throw new Invalid(`${at}.source: Input should be a PDF source`);
          seenOther = true;
          break;
        }
        case 'tool_result': {
          usesTools = true;
          if (seenOther)
            throw new Invalid(`${where}: \`tool_result\` blocks must come before any other content in a user message.`);
          const id = String(b['tool_use_id']);
          if (!pendingToolUses.includes(id)) {
            throw new Invalid(
              `${at}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
            );
          }
          const c = b['content'];
          if (c !== undefined && typeof c !== 'string' && !Array.isArray(c))
            throw new Invalid(`${at}.content: Input should be a valid string or list`);
          if (Array.isArray(c))
            for (const [k, inner] of c.entries()) {
              if (!isObject(inner) || (inner['type'] !== 'text' && inner['type'] !== 'image'))
                throw new Invalid(`${at}.content.${k}: Input should be a text or image block`);
              if (inner['type'] === 'text') checkTextBlock(inner, `${at}.content.${k}`);
              else checkImage(inner, `${at}.content.${k}`);
            }
          results.push(id);
          break;
        }
        case 'tool_use':
          usesTools = true;
          if (typeof b['id'] !== 'string' || typeof b['name'] !== 'string')
            throw new Invalid(`${at}: tool_use blocks need an id and a name`);
          if (!isObject(b['input'])) throw new Invalid(`${at}.input: Input should be a valid dictionary`);
          uses.push(b['id']);
          break;
        case 'thinking':
          if (typeof b['thinking'] !== 'string' || typeof b['signature'] !== 'string')
            throw new Invalid(`${at}.signature: Field required`);
          if (!issued(b['thinking'], b['signature']))
            throw new Invalid(`${at}: Invalid \`signature\` in \`thinking\` block`);
          break;
        case 'redacted_thinking':
          if (typeof b['data'] !== 'string' || b['data'].length === 0) throw new Invalid(`${at}.data: Field required`);
          break;
      }
    }
    if (role === 'user') {
      const missing = pendingToolUses.filter((id) => !results.includes(id));
      if (missing.length > 0) {
        throw new Invalid(
          `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(', ')}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
        );
      }
      pendingToolUses = [];
    } else {
      if (pendingToolUses.length > 0) {
        throw new Invalid(
          `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${pendingToolUses.join(', ')}.`,
        );
      }
      pendingToolUses = uses;
      lastAssistantIndex = i;
    }
  }
  if (usesTools && toolNames.length === 0)
    throw new Invalid('Requests which include `tool_use` or `tool_result` blocks must define tools.');
  // With thinking on, continuing a tool-use turn needs that turn's thinking (its signature proves it).
  const last = messages.at(-1) as Json | undefined;
  if (thinking && last?.['role'] === 'user' && lastAssistantIndex >= 0 && lastAssistantIndex === messages.length - 2) {
    const a = (messages[lastAssistantIndex] as Json)['content'];
    if (Array.isArray(a) && a.some((b) => isObject(b) && b['type'] === 'tool_use')) {
      const first = a[0] as Json;
      if (first['type'] !== 'thinking' && first['type'] !== 'redacted_thinking') {
        throw new Invalid(
          `messages.${lastAssistantIndex}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${String(first['type'])}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
        );
      }
    }
  }
  return { thinking, budget, toolNames };
}

/** The characters the usage count is based on, in cache-prefix order (tools, system, messages), with breakpoints. */
function promptSegments(body: Json): Array<{ text: string; breakpoint: boolean }> {
  const out: Array<{ text: string; breakpoint: boolean }> = [];
  const bp = (b: unknown): boolean => isObject(b) && isObject(b['cache_control']);
  for (const t of (body['tools'] as unknown[] | undefined) ?? [])
    out.push({ text: JSON.stringify(t), breakpoint: bp(t) });
  const system = body['system'];
  if (typeof system === 'string') out.push({ text: system, breakpoint: false });
  else if (Array.isArray(system))
    for (const b of system) out.push({ text: String((b as Json)['text']), breakpoint: bp(b) });
  for (const m of body['messages'] as Json[]) {
    const c = m['content'];
    if (typeof c === 'string') {
      out.push({ text: c, breakpoint: false });
      continue;
    }
    for (const b of c as Json[]) {
      let text = '';
      if (b['type'] === 'text') text = String(b['text']);
      else if (b['type'] === 'tool_use') text = JSON.stringify(b['input']);
      else if (b['type'] === 'thinking') text = String(b['thinking']);
      else if (b['type'] === 'tool_result') text = resultText(b);
      out.push({ text, breakpoint: bp(b) });
    }
  }
  return out;
}

function resultText(b: Json): string {
  const c = b['content'];
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.map((x) => (isObject(x) && x['type'] === 'text' ? String(x['text']) : '')).join('');
  return '';
}

const tokens = (chars: number): number => Math.ceil(chars / 4);

/** A deterministic value for a JSON schema (what the fake model "fills in" for a tool call). */
function sampleFor(schema: unknown, depth = 0): unknown {
  if (!isObject(schema) || depth > 4) return null;
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  switch (schema['type']) {
    case 'string':
      return 'Paris';
    case 'number':
    case 'integer':
      return 21;
    case 'boolean':
      return true;
    case 'array':
      return [sampleFor(schema['items'], depth + 1)];
    default: {
      const props = schema['properties'];
      if (!isObject(props) || Object.keys(props).length === 0) {
        // An open object (JSON mode without a schema) gets an answer; a tool without parameters, nothing.
        return depth === 0 && schema['additionalProperties'] === true ? { answer: FAKE_ANTHROPIC_TEXT } : {};
      }
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sampleFor(v, depth + 1)]));
    }
  }
}

type OutBlock =
  | { type: 'text'; pieces: string[] }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Json };

/** How a Messages request reached the fake: Anthropic's own API, or Claude on Vertex AI (rawPredict). */
export type AnthropicDialect = 'anthropic' | 'vertex' | 'bedrock';

/** One Messages request, as the server that received it hands it to createFakeAnthropicMessages' handler. */
export interface FakeMessagesCall {
  endpoint: 'messages' | 'count_tokens';
  dialect: AnthropicDialect;
  /** The model the answer names: the body's on Anthropic's API, the URL's on Vertex. */
  model: string;
  /** The trigger model (`fake-429`, `fake-drop`, ...) whose behaviour to show, if any. */
  trigger?: string;
  /** Stream the answer whatever the body says (Bedrock's InvokeModelWithResponseStream: no `stream` member). */
  stream?: boolean;
}

/**
 * The Messages API's behaviour without its transport: validation, deterministic answers (whole or as an
 * SSE stream), signatures, the prompt cache and trigger models. startFakeAnthropic serves it at
 * /v1/messages; the fake Google origin (startFakeGemini) serves it as Claude on Vertex AI.
 */
export interface FakeAnthropicMessages {
  /** Validates `body` (the request's parsed JSON) for `call` and answers it on `res`. */
  handle(req: IncomingMessage, res: ServerResponse, body: unknown, call: FakeMessagesCall): void;
  /** An Anthropic error envelope: `{"type":"error","error":{type,message},"request_id"}`. */
  sendError(res: ServerResponse, status: number, type: string, message: string, extra?: Record<string, string>): void;
  /** Cancels pending delayed answers. */
  close(): void;
  /** The final usage of every answer that carried one (message, or a stream's message_delta with message_start's input). */
  readonly reported: readonly FakeReportedUsage[];
}

export function createFakeAnthropicMessages(
  opts: Pick<FakeAnthropicOptions, 'latencyMs' | 'chunkIntervalMs'> = {},
): FakeAnthropicMessages {
  const latencyMs = opts.latencyMs ?? 0;
  const timers = createFakeTimers();
  const later = timers.later;
  const cachedPrefixes = new Set<string>();
  const issued = new Map<string, string>();
  const reported: FakeReportedUsage[] = [];
  let seq = 0;

  // Vertex's ids carry `vrtx` (msg_vrtx_…, toolu_vrtx_…, req_vrtx_… in error bodies), Bedrock's `bdrk`.
  const tag = (dialect: AnthropicDialect): string =>
    dialect === 'vertex' ? 'vrtx_' : dialect === 'bedrock' ? 'bdrk_' : '';
  const requestId = (dialect: AnthropicDialect = 'anthropic'): string =>
    `req_${tag(dialect)}011CFake${randomBytes(8).toString('hex')}`;
  const nextId = (prefix: string, dialect: AnthropicDialect): string =>
    `${prefix}_${tag(dialect)}01Fake${(++seq).toString(36).padStart(6, '0')}`;

  /** Anthropic's own response headers; Vertex's front end sends none of them, Bedrock its own. */
  const anthropicHeaders = (dialect: AnthropicDialect, id: string): Record<string, string> =>
    dialect === 'vertex'
      ? {}
      : dialect === 'bedrock'
        ? { 'x-amzn-requestid': randomUUID() }
        : { 'request-id': id, 'anthropic-organization-id': 'fake-org' };
  const sendAnthropicJson = (
    res: ServerResponse,
    status: number,
    body: unknown,
    extra: Record<string, string> = {},
    dialect: AnthropicDialect = 'anthropic',
  ): void => {
    sendJson(res, status, body, {
      ...anthropicHeaders(dialect, String((body as { request_id?: string }).request_id ?? requestId())),
      ...extra,
    });
  };
  const sendError = (
    res: ServerResponse,
    status: number,
    type: string,
    message: string,
    extra: Record<string, string> = {},
    dialect: AnthropicDialect = 'anthropic',
  ): void => {
    if (dialect === 'bedrock') {
      const [code, exception] = BEDROCK_ERRORS[type] ?? [status, 'InternalServerException'];
      return sendJson(
        res,
        code,
        { message },
        {
          ...extra,
          'x-amzn-requestid': randomUUID(),
          'x-amzn-errortype': `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
        },
      );
    }
    sendAnthropicJson(
      res,
      status,
      { type: 'error', error: { type, message }, request_id: requestId(dialect) },
      extra,
      dialect,
    );
  };

  const signature = (thinking: string): string => {
    const sig = fakeThinkingSignature(thinking);
    issued.set(sig, thinking);
    return sig;
  };

  /** The blocks of the answer, its stop reason and output tokens. */
  const answer = (body: Json, checked: Checked, call: FakeMessagesCall) => {
    const trigger = call.trigger;
    const messages = body['messages'] as Json[];
    const last = messages.at(-1);
    const lastBlocks: Json[] =
      typeof last?.['content'] === 'string'
        ? [{ type: 'text', text: last['content'] }]
        : ((last?.['content'] as Json[]) ?? []);
    const lastText =
      last?.['role'] === 'user'
        ? lastBlocks
            .filter((b) => b['type'] === 'text')
            .map((b) => String(b['text']))
            .join(' ')
        : '';
    const results = last?.['role'] === 'user' ? lastBlocks.filter((b) => b['type'] === 'tool_result') : [];
    const images = last?.['role'] === 'user' ? lastBlocks.filter((b) => b['type'] === 'image').length : 0;
    const tools = (body['tools'] as Json[] | undefined) ?? [];
    const choice = body['tool_choice'] as Json | undefined;
    const blocks: OutBlock[] = [];
    let output = 0;
    if (checked.thinking) {
      blocks.push({
        type: 'thinking',
        thinking: FAKE_ANTHROPIC_THINKING,
        signature: signature(FAKE_ANTHROPIC_THINKING),
      });
      output += tokens(FAKE_ANTHROPIC_THINKING.length);
      if (trigger === 'fake-redacted')
        blocks.push({ type: 'redacted_thinking', data: `EmwKAhgBEgy${randomBytes(12).toString('base64')}` });
    }
    const forced = choice?.['type'] === 'any' || choice?.['type'] === 'tool';
    const wantsTool =
      tools.length > 0 &&
      choice?.['type'] !== 'none' &&
      (forced || (results.length === 0 && (trigger === 'fake-tool' || /use (the|a|every) tool/i.test(lastText))));
    if (wantsTool) {
      const parallel = /use every tool/i.test(lastText) && choice?.['disable_parallel_tool_use'] !== true;
      const chosen =
        choice?.['type'] === 'tool'
          ? tools.filter((t) => t['name'] === choice['name'])
          : parallel
            ? tools
            : tools.slice(0, 1);
      for (const t of chosen) {
        const input = sampleFor(t['input_schema']) as Json;
        blocks.push({ type: 'tool_use', id: nextId('toolu', call.dialect), name: String(t['name']), input });
        output += tokens(JSON.stringify(input).length);
      }
      return { blocks, stopReason: 'tool_use', stopSequence: null as string | null, output };
    }
    let pieces: string[] =
      results.length > 0
        ? ['The', ' tool', ' returned', ': ', resultText(results[0]!) || '(nothing)', '.']
        : [...PIECES];
    if (images > 0) pieces = [`I see ${images} image${images === 1 ? '' : 's'}. `, ...pieces];
    let stopReason = 'end_turn';
    let stopSequence: string | null = null;
    if (trigger === 'fake-refusal') {
      pieces = pieces.slice(0, 1);
      stopReason = 'refusal';
    }
    // A stop sequence cuts the answer where it begins.
    for (const s of (body['stop_sequences'] as string[] | undefined) ?? []) {
      const text = pieces.join('');
      const at = text.indexOf(s);
      if (at === -1) continue;
      const kept: string[] = [];
      let len = 0;
      for (const p of pieces) {
        if (len + p.length > at) {
          if (at > len) kept.push(p.slice(0, at - len));
          break;
        }
        kept.push(p);
        len += p.length;
      }
      pieces = kept;
      stopReason = 'stop_sequence';
      stopSequence = s;
      break;
    }
    const room = (body['max_tokens'] as number) - output;
    if (pieces.length > room) {
      pieces = pieces.slice(0, Math.max(0, room));
      stopReason = 'max_tokens';
      stopSequence = null;
    }
    output += Math.max(1, pieces.length);
    if (pieces.length > 0) blocks.push({ type: 'text', pieces });
    return { blocks, stopReason, stopSequence, output };
  };

  /** Usage with the cache: the prefix up to the last breakpoint is written once, then read. */
  const usageOf = (body: Json, model: string) => {
    const segs = promptSegments(body);
    const total = tokens(segs.reduce((n, s) => n + s.text.length, 0));
    const lastBp = segs.map((s) => s.breakpoint).lastIndexOf(true);
    let read = 0;
    let write = 0;
    if (lastBp >= 0) {
      const prefix = segs.slice(0, lastBp + 1);
      const prefixTokens = tokens(prefix.reduce((n, s) => n + s.text.length, 0));
      const key = createHash('sha256')
        .update(`${model}\n${JSON.stringify(prefix)}`)
        .digest('hex');
      if (cachedPrefixes.has(key)) read = prefixTokens;
      else {
        cachedPrefixes.add(key);
        write = prefixTokens;
      }
    }
    return { input_tokens: total - read - write, cache_creation_input_tokens: write, cache_read_input_tokens: read };
  };

  const wireBlock = (b: OutBlock): Json => {
    switch (b.type) {
      case 'text':
        return { type: 'text', text: b.pieces.join('') };
      case 'thinking':
        return { type: 'thinking', thinking: b.thinking, signature: b.signature };
      case 'redacted_thinking':
        return { type: 'redacted_thinking', data: b.data };
      case 'tool_use':
        return { type: 'tool_use', id: b.id, name: b.name, input: b.input };
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: unknown, call: FakeMessagesCall): void => {
    const { endpoint, dialect, model, trigger } = call;
    const fail = (status: number, type: string, message: string, extra?: Record<string, string>): void =>
      sendError(res, status, type, message, extra, dialect);
    if (!isObject(raw)) {
      return fail(400, 'invalid_request_error', 'There was an issue with your request body: it is not a JSON object');
    }
    const body = raw;
    let checked: Checked;
    try {
      checked = validate(body, endpoint, dialect, (t, sig) => issued.get(sig) === t);
    } catch (e) {
      if (e instanceof Invalid) return fail(e.status, e.type, e.message);
      throw e;
    }
    if (endpoint === 'count_tokens') {
      const u = usageOf(body, model);
      const count = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
      // Bedrock's CountTokens answers in its own casing.
      return sendAnthropicJson(
        res,
        200,
        dialect === 'bedrock' ? { inputTokens: count } : { input_tokens: count },
        {},
        dialect,
      );
    }
    const stream = call.stream ?? body['stream'] === true;
    switch (trigger) {
      case 'fake-429':
        return fail(
          429,
          'rate_limit_error',
          'This request would exceed the rate limit for your organization (fake-org) of 1 requests per minute. Please retry after 7 seconds.',
          {
            'retry-after': '7',
            'anthropic-ratelimit-requests-limit': '1',
            'anthropic-ratelimit-requests-remaining': '0',
          },
        );
      case 'fake-500':
        return fail(500, 'api_error', 'Internal server error');
      case 'fake-529':
        return fail(529, 'overloaded_error', 'Overloaded');
      case 'fake-404':
        return fail(404, 'not_found_error', `model: ${model}`);
      case 'fake-long':
        return fail(400, 'invalid_request_error', 'prompt is too long: 250000 tokens > 200000 maximum');
      case 'fake-echo':
        return fail(
          400,
          'invalid_request_error',
          dialect === 'vertex'
            ? `Invalid request (authorization: ${String(req.headers.authorization)})`
            : `Invalid request (x-api-key: ${String(req.headers['x-api-key'])})`,
        );
      case 'fake-drop':
        if (!stream) {
          req.socket.destroy();
          return;
        }
    }
    const { blocks, stopReason, stopSequence, output } = answer(body, checked, call);
    const usage = usageOf(body, model);
    if (trigger !== 'fake-drop' && trigger !== 'fake-stream-error')
      reported.push({ body, usage: { ...usage, output_tokens: output } });
    const id = nextId('msg', dialect);
    later(latencyMs, () => {
      if (res.destroyed) return;
      if (!stream) {
        return sendAnthropicJson(
          res,
          200,
          {
            id,
            type: 'message',
            role: 'assistant',
            model,
            content: blocks.map(wireBlock),
            stop_reason: stopReason,
            stop_sequence: stopSequence,
            usage: {
              ...usage,
              cache_creation: {
                ephemeral_5m_input_tokens: usage.cache_creation_input_tokens,
                ephemeral_1h_input_tokens: 0,
              },
              output_tokens: output,
              service_tier: 'standard',
            },
          },
          {},
          dialect,
        );
      }
      streamAnswer(res, { id, model, dialect, trigger, blocks, stopReason, stopSequence, output, usage });
    });
  };

  const streamAnswer = (
    res: ServerResponse,
    s: {
      id: string;
      model: string;
      dialect: AnthropicDialect;
      trigger: string | undefined;
      blocks: OutBlock[];
      stopReason: string;
      stopSequence: string | null;
      output: number;
      usage: { input_tokens: number; cache_creation_input_tokens: number; cache_read_input_tokens: number };
    },
  ): void => {
    const bedrock = s.dialect === 'bedrock';
    res.writeHead(200, {
      'content-type': bedrock ? 'application/vnd.amazon.eventstream' : 'text/event-stream; charset=utf-8',
      ...(!bedrock && { 'cache-control': 'no-cache' }),
      ...anthropicHeaders(s.dialect, requestId()),
    });
    // One Messages event as this dialect streams it: an SSE event, or Bedrock's chunk holding its JSON.
    const ev = (type: string, data: Json): Frame => {
      const json = JSON.stringify({ type, ...data });
      if (!bedrock) return { type, wire: `event: ${type}\ndata: ${json}\n\n` };
      const bytes = Buffer.from(json).toString('base64');
      return {
        type,
        wire: encodeAwsEventStreamMessage({
          headers: awsHeaders.event('chunk'),
          payload: Buffer.from(JSON.stringify({ bytes, p: 'abcdefghijklmnop'.slice(0, 1 + (seq % 16)) })),
        }),
      };
    };
    const events: Frame[] = [
      ev('message_start', {
        message: {
          id: s.id,
          type: 'message',
          role: 'assistant',
          model: s.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            ...s.usage,
            cache_creation: {
              ephemeral_5m_input_tokens: s.usage.cache_creation_input_tokens,
              ephemeral_1h_input_tokens: 0,
            },
            output_tokens: 1,
            service_tier: 'standard',
          },
        },
      }),
    ];
    if (s.dialect === 'vertex') {
      // Vertex adds an event of its own after message_start: the usage it meters, with nulls where Anthropic's
      // usage has none, and per pricing tier. Clients skip event types they do not know.
      const metered = {
        input_tokens: s.usage.input_tokens,
        output_tokens: 1,
        cache_creation_input_tokens: s.usage.cache_creation_input_tokens || null,
        cache_read_input_tokens: s.usage.cache_read_input_tokens || null,
        web_search_requests: null,
        cache_creation: {
          ephemeral_5m_input_tokens: s.usage.cache_creation_input_tokens,
          ephemeral_1h_input_tokens: 0,
        },
      };
      events.push(ev('vertex_event', { usage: { ...metered, tiers: { '0-to-200000': metered } } }));
    }
    const delta = (index: number, d: Json): Frame => ev('content_block_delta', { index, delta: d });
    for (const [index, b] of s.blocks.entries()) {
      switch (b.type) {
        case 'text':
          events.push(ev('content_block_start', { index, content_block: { type: 'text', text: '' } }));
          if (index === 0) events.push(ev('ping', {}));
          for (const p of b.pieces) events.push(delta(index, { type: 'text_delta', text: p }));
          break;
        case 'thinking': {
          events.push(
            ev('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
          );
          if (index === 0) events.push(ev('ping', {}));
          const half = Math.ceil(b.thinking.length / 2);
          events.push(delta(index, { type: 'thinking_delta', thinking: b.thinking.slice(0, half) }));
          events.push(delta(index, { type: 'thinking_delta', thinking: b.thinking.slice(half) }));
          events.push(delta(index, { type: 'signature_delta', signature: b.signature }));
          break;
        }
        case 'redacted_thinking':
          events.push(ev('content_block_start', { index, content_block: { type: 'redacted_thinking', data: b.data } }));
          break;
        case 'tool_use': {
          events.push(
            ev('content_block_start', {
              index,
              content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
            }),
          );
          if (index === 0) events.push(ev('ping', {}));
          const json = JSON.stringify(b.input);
          const third = Math.ceil(json.length / 3);
          events.push(delta(index, { type: 'input_json_delta', partial_json: '' }));
          for (let at = 0; at < json.length; at += third) {
            events.push(delta(index, { type: 'input_json_delta', partial_json: json.slice(at, at + third) }));
          }
          break;
        }
      }
      events.push(ev('content_block_stop', { index }));
    }
    // Up to the first delta: message_start (and Vertex's event), the first block's start, a ping, one delta.
    const firstDelta = events.findIndex((e) => e.type === 'content_block_delta') + 1;
    const wire = (frames: Frame[]): Buffer =>
      Buffer.concat(frames.map((f) => (typeof f.wire === 'string' ? Buffer.from(f.wire) : f.wire)));
    if (s.trigger === 'fake-drop') {
      // Then the connection goes.
      res.write(wire(events.slice(0, firstDelta)), () => res.socket?.destroy());
      return;
    }
    if (s.trigger === 'fake-stream-error') {
      const error = bedrock
        ? encodeAwsEventStreamMessage({
            headers: awsHeaders.exception('modelStreamErrorException'),
            payload: Buffer.from(
              JSON.stringify({ message: 'Overloaded', originalStatusCode: 529, originalMessage: 'Overloaded' }),
            ),
          })
        : `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })}\n\n`;
      res.end(Buffer.concat([wire(events.slice(0, firstDelta)), Buffer.from(error)]));
      return;
    }
    events.push(
      ev('message_delta', {
        delta: { stop_reason: s.stopReason, stop_sequence: s.stopSequence },
        usage: { output_tokens: s.output },
      }),
    );
    // Bedrock adds what it metered to the last event.
    const metrics = {
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: s.usage.input_tokens,
        outputTokenCount: s.output,
        invocationLatency: latencyMs + 2,
        firstByteLatency: latencyMs + 1,
      },
    };
    events.push(ev('message_stop', bedrock ? metrics : {}));
    writePaced(
      res,
      events.map((e) => e.wire),
      opts.chunkIntervalMs ?? 0,
      timers,
    );
  };

  return {
    handle,
    sendError: (res, status, type, message, extra) => sendError(res, status, type, message, extra),
    close: () => timers.clear(),
    reported,
  };
}

export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const messages = createFakeAnthropicMessages(opts);
  const bodies: unknown[] = [];
  let requests = 0;
  let lastRequest: FakeAnthropicRequest | undefined;

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    readBody(req, (raw) => {
      if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
        return messages.sendError(
          res,
          404,
          'not_found_error',
          `Not found: ${req.method} ${path}. This fake serves POST /v1/messages and POST /v1/messages/count_tokens.`,
        );
      }
      const endpoint = path === '/v1/messages' ? 'messages' : 'count_tokens';
      let body: unknown;
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
      if (endpoint === 'messages') {
        requests++;
        bodies.push(body);
      }
      lastRequest = { path, headers: req.headers, body };
      // Anthropic takes the key as `x-api-key` (what the gateway sends) or as a bearer token (what newer SDKs send).
      const auth = req.headers.authorization;
      const key = req.headers['x-api-key'] ?? (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
      if (typeof key !== 'string' || key.length === 0) {
        return messages.sendError(res, 401, 'authentication_error', 'x-api-key header is required');
      }
      if (opts.apiKey !== undefined && key !== opts.apiKey)
        return messages.sendError(res, 401, 'authentication_error', 'invalid x-api-key');
      if (req.headers['anthropic-version'] === undefined) {
        return messages.sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
      }
      const model = isObject(body) ? String(body['model']) : '';
      messages.handle(req, res, body, { endpoint, dialect: 'anthropic', model, trigger: model });
    });
  });
  const port = await listen(server, opts.port);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get requests() {
      return requests;
    },
    get lastRequest() {
      return lastRequest;
    },
    bodies,
    reported: messages.reported,
    close: () => closeServer(server, () => messages.close()),
  };
}
