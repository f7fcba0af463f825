import { Errors, GATEWAY_ONLY_FIELDS } from '@switchyard/contracts';
import { lookupModel } from '@switchyard/pricing';
import type { RequestContext } from '../credentials/credentials.types';
import type { ChatContentPart, ChatMessage } from '../openai-types';
import { applyParamMap } from '../params/param-map.engine';
import { invalidParam, type DroppedParam, type OpenAIChatParams, type ParamMap } from '../params/param-map.types';
import { dropSettingsFor } from '../params/drop-settings';
import { ProviderError, type ChatInput, type UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import type {
  AnthropicCacheControl,
  AnthropicContentBlockParam,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicTextBlock,
  AnthropicThinkingConfig,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
} from './anthropic.types';

export const ANTHROPIC_VERSION = '2023-06-01';
export const DEFAULT_ANTHROPIC_API_BASE = 'https://api.anthropic.com';
/** The beta that enables schema-checked tool input (`strict` tools), sent only when a tool is strict. */
export const STRUCTURED_OUTPUTS_BETA = 'structured-outputs-2025-11-13';
/** What `max_tokens` defaults to for a model the catalogue does not know (Anthropic requires one). */
export const FALLBACK_MAX_TOKENS = 4096;

/**
 * `response_format` (json_object, json_schema) becomes a tool of this name whose input schema is the wanted
 * schema; the model's call of it is turned back into the message's content (finish_reason "stop"), in
 * whole answers and streams alike. The name is reserved: a client tool may not use it.
 */
export const JSON_TOOL_NAME = 'json_tool_call';

/** reasoning_effort → Anthropic thinking budget (tokens), as LiteLLM maps it; minimal and none: no thinking. */
export const THINKING_BUDGETS: Readonly<Record<string, number | null>> = {
  none: null,
  minimal: null,
  low: 1024,
  medium: 2048,
  high: 4096,
};

/** The OpenAI request as this adapter reads it, with Anthropic's own fields a client may send too. */
export interface AnthropicChatParams extends OpenAIChatParams {
  /** Anthropic's top_k, passed through. */
  top_k?: number | null;
  /** Anthropic's own `thinking` config, passed through (instead of reasoning_effort). */
  thinking?: AnthropicThinkingConfig | null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The thinking budget the request asks for (Anthropic's `thinking`, else reasoning_effort), or undefined. */
export function thinkingBudgetOf(req: AnthropicChatParams): number | undefined {
  const t = req.thinking;
  if (isObject(t) && t['type'] === 'enabled' && typeof t['budget_tokens'] === 'number') return t['budget_tokens'];
  const effort = req.reasoning_effort;
  if (typeof effort === 'string' && Object.hasOwn(THINKING_BUDGETS, effort))
    return THINKING_BUDGETS[effort] ?? undefined;
  return undefined;
}

/** Whether the request turns thinking on (a budget, or Anthropic's adaptive thinking). */
export function thinkingEnabled(req: AnthropicChatParams): boolean {
  return thinkingBudgetOf(req) !== undefined || (isObject(req.thinking) && req.thinking['type'] === 'adaptive');
}

/**
 * `max_tokens` when the client sent none: the catalogue's maxOutputTokens for the model, else 4096; raised
 * above the thinking budget when thinking is on (Anthropic needs max_tokens > budget_tokens).
 */
export function defaultMaxTokens(model: string, thinkingBudget: number | undefined): number {
  // Vertex AI names versions with '@' (claude-sonnet-4-5@20250929) where Anthropic uses '-'.
  const known = (lookupModel(model) ?? lookupModel(model.replace('@', '-')))?.maxOutputTokens;
  const base = known !== undefined && known > 0 ? known : FALLBACK_MAX_TOKENS;
  if (thinkingBudget !== undefined && base <= thinkingBudget) return thinkingBudget + FALLBACK_MAX_TOKENS;
  return base;
}

const WITH_THINKING = 'Anthropic does not allow it while thinking is enabled (reasoning_effort or thinking)';

function checkMaxTokens(value: number, req: AnthropicChatParams): string | undefined {
  const budget = thinkingBudgetOf(req);
  if (budget !== undefined && value <= budget) {
    return `must be greater than the thinking budget (${budget} tokens) when thinking is enabled; raise it, or leave it out to get a valid default`;
  }
  return undefined;
}

/** OpenAI function tools → Anthropic tools. A tool of another type cannot be expressed. */
function toAnthropicTools(tools: unknown[]): AnthropicTool[] | ReturnType<typeof invalidParam> {
  const out: AnthropicTool[] = [];
  for (const [i, t] of tools.entries()) {
    if (!isObject(t) || t['type'] !== 'function' || !isObject(t['function'])) {
      return invalidParam(
        `tools[${i}] is not a function tool; anthropic takes tools of type "function" only through this API`,
      );
    }
    const fn = t['function'];
    const name = fn['name'];
    if (typeof name !== 'string' || name.length === 0) return invalidParam(`tools[${i}].function.name is missing`);
    if (name === JSON_TOOL_NAME) {
      return invalidParam(`the tool name "${JSON_TOOL_NAME}" is reserved by the gateway for response_format`);
    }
    const parameters = fn['parameters'];
    const tool: AnthropicTool = {
      name,
      ...(typeof fn['description'] === 'string' && { description: fn['description'] }),
      input_schema: isObject(parameters) ? parameters : { type: 'object', properties: {} },
    };
    const cache = t['cache_control'] ?? fn['cache_control'];
    if (isObject(cache)) tool.cache_control = cache as unknown as AnthropicCacheControl;
    if (fn['strict'] === true) tool.strict = true;
    out.push(tool);
  }
  return out;
}

function toToolChoice(
  choice: unknown,
  req: AnthropicChatParams,
): AnthropicToolChoice | ReturnType<typeof invalidParam> {
  const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
  const forced = (c: AnthropicToolChoice): AnthropicToolChoice | ReturnType<typeof invalidParam> =>
    thinkingEnabled(req)
      ? invalidParam(`forcing a tool call is not possible with thinking: ${WITH_THINKING}; use "auto"`)
      : c;
  if (choice === 'none') return { type: 'none' };
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'required') return forced({ type: 'any', ...noParallel });
  if (isObject(choice) && choice['type'] === 'function' && isObject(choice['function'])) {
    const name = choice['function']['name'];
    if (typeof name === 'string' && name.length > 0) return forced({ type: 'tool', name, ...noParallel });
  }
  return invalidParam(
    'expected "none", "auto", "required" or {"type": "function", "function": {"name": ...}}; anthropic has no other tool_choice',
  );
}

function toThinking(effort: string): AnthropicThinkingConfig | ReturnType<typeof invalidParam> | undefined {
  if (!Object.hasOwn(THINKING_BUDGETS, effort)) {
    return invalidParam(`expected one of ${Object.keys(THINKING_BUDGETS).join(', ')}`);
  }
  const budget = THINKING_BUDGETS[effort];
  return budget === null || budget === undefined ? undefined : { type: 'enabled', budget_tokens: budget };
}

const unsupported = { kind: 'unsupported' } as const;

/** A parameter Anthropic has no equivalent of, accepted only at OpenAI's value for "off" (`logprobs: false`). */
function offOnly<V>(off: V, what: string): { kind: 'external'; check: { validate: (v: V) => string | undefined } } {
  return {
    kind: 'external',
    check: {
      validate: (v) =>
        v === off ? undefined : `anthropic has no ${what}; only ${JSON.stringify(off)} (off) is accepted`,
    },
  };
}

/**
 * The OpenAI chat parameters, as Anthropic's Messages API takes them. `messages`, `tools`,
 * `response_format` and `parallel_tool_calls` are translated by buildAnthropicBody (they shape more than
 * one wire field); everything else is here. Values Anthropic refuses are refused (400) or dropped by
 * drop_params, never adjusted.
 */
export const ANTHROPIC_PARAM_MAP: ParamMap<AnthropicMessagesRequest, AnthropicChatParams> = {
  provider: 'anthropic',
  unknownFields: 'reject',
  rules: {
    model: { kind: 'external' },
    messages: { kind: 'external' },
    stream: { kind: 'external' },
    // include_usage only decides what the client sees: Anthropic always reports usage.
    stream_options: { kind: 'external' },
    // Read by the gateway (tags, spend tracking); Anthropic's metadata takes only user_id (from `user`).
    metadata: { kind: 'external' },
    parallel_tool_calls: { kind: 'external' },
    tools: {
      kind: 'external',
      check: { validate: (tools) => (Array.isArray(tools) ? undefined : 'expected an array') },
    },
    response_format: {
      kind: 'external',
      check: {
        validate: (rf) => {
          if (!isObject(rf)) return 'expected an object';
          const type = rf['type'];
          if (type === 'text' || type === 'json_object') return undefined;
          if (type !== 'json_schema')
            return `anthropic takes "text", "json_object" or "json_schema", not ${JSON.stringify(type)}`;
          const js = rf['json_schema'];
          if (!isObject(js)) return 'json_schema.schema is missing';
          const schema = js['schema'];
          if (
            schema !== undefined &&
            (!isObject(schema) || (schema['type'] !== undefined && schema['type'] !== 'object'))
          ) {
            return 'the schema must describe a JSON object (type "object"): anthropic answers it as a tool input';
          }
          return undefined;
        },
      },
    },
    n: {
      kind: 'external',
      check: { validate: (n) => (n === 1 ? undefined : 'anthropic returns one choice per request, so n must be 1') },
    },
    max_tokens: {
      kind: 'map',
      required: true,
      default: (req, ctx) => defaultMaxTokens(ctx.model, thinkingBudgetOf(req)),
      check: { min: 1, integer: true, validate: checkMaxTokens },
    },
    max_completion_tokens: {
      kind: 'map',
      to: 'max_tokens',
      check: { min: 1, integer: true, validate: checkMaxTokens },
    },
    temperature: {
      kind: 'map',
      check: {
        min: 0,
        max: 1,
        validate: (t, req) => (thinkingEnabled(req) && t !== 1 ? `must be 1 or left out: ${WITH_THINKING}` : undefined),
      },
    },
    top_p: {
      kind: 'map',
      check: {
        min: 0,
        max: 1,
        validate: (p, req) =>
          thinkingEnabled(req) && p < 0.95 ? `must be between 0.95 and 1 while thinking is enabled` : undefined,
      },
    },
    top_k: {
      kind: 'map',
      check: {
        min: 0,
        integer: true,
        validate: (_k, req) => (thinkingEnabled(req) ? `must be left out: ${WITH_THINKING}` : undefined),
      },
    },
    stop: {
      kind: 'map',
      to: 'stop_sequences',
      check: {
        validate: (stop) => {
          const list = typeof stop === 'string' ? [stop] : stop;
          if (!Array.isArray(list)) return 'expected a string or an array of strings';
          return list.some((s) => typeof s !== 'string' || s.trim().length === 0)
            ? 'anthropic refuses stop sequences that are empty or only whitespace'
            : undefined;
        },
      },
      transform: (stop) => (typeof stop === 'string' ? [stop] : stop),
    },
    user: { kind: 'map', to: 'metadata', transform: (user) => ({ user_id: user }) },
    safety_identifier: { kind: 'map', to: 'metadata', transform: (id) => ({ user_id: id }) },
    tool_choice: { kind: 'map', transform: toToolChoice },
    reasoning_effort: { kind: 'map', to: 'thinking', transform: (effort) => toThinking(effort) },
    thinking: { kind: 'map' },
    seed: unsupported,
    // OpenAI's own "off" values ask for nothing Anthropic lacks: accepted, anything else refused.
    presence_penalty: offOnly(0, 'presence penalties'),
    frequency_penalty: offOnly(0, 'frequency penalties'),
    logit_bias: { kind: 'unsupported', hint: 'steer the prompt instead' },
    logprobs: offOnly(false, 'log probabilities'),
    top_logprobs: offOnly(0, 'log probabilities'),
    modalities: {
      kind: 'external',
      check: {
        validate: (m) =>
          Array.isArray(m) && m.every((x) => x === 'text')
            ? undefined
            : 'anthropic answers in text only; send ["text"] or leave it out',
      },
    },
    audio: unsupported,
    prediction: unsupported,
    store: offOnly(false, 'stored completions'),
    service_tier: unsupported,
    verbosity: unsupported,
    web_search_options: unsupported,
    prompt_cache_key: { kind: 'unsupported', hint: 'mark cache breakpoints with cache_control on content parts' },
    functions: { kind: 'unsupported', hint: 'use `tools`' },
    function_call: { kind: 'unsupported', hint: 'use `tool_choice`' },
  },
};

function badMessage(message: string, param: string): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, param, 'invalid_value'), kind: 'bad_request' });
}

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
const DATA_URL = /^data:([^;,]+)((?:;[^;,]*)*),(.*)$/s;

function imageBlock(part: Record<string, unknown>, where: string): AnthropicImageBlock {
  const iu = part['image_url'];
  const url = typeof iu === 'string' ? iu : isObject(iu) && typeof iu['url'] === 'string' ? iu['url'] : undefined;
  if (url === undefined) throw badMessage(`${where}.image_url.url is missing.`, where);
  const data = DATA_URL.exec(url);
  if (data !== null) {
    const mediaType = data[1]!.toLowerCase();
    if (!data[2]!.split(';').includes('base64')) {
      throw badMessage(`${where}: anthropic takes images as base64 data URLs or http(s) URLs.`, where);
    }
    if (!IMAGE_TYPES.has(mediaType)) {
      throw badMessage(
        `${where}: anthropic takes image/jpeg, image/png, image/gif or image/webp images, not ${mediaType}.`,
        where,
      );
    }
    return {
      type: 'image',
      source: { type: 'base64', media_type: mediaType as 'image/png', data: data[3]! },
    };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw badMessage(`${where}: the image URL must be an http(s) URL or a base64 data URL.`, where);
}

function documentBlock(part: Record<string, unknown>, where: string): AnthropicContentBlockParam {
  const file = part['file'];
  const fileData = isObject(file) ? file['file_data'] : undefined;
  const data = typeof fileData === 'string' ? DATA_URL.exec(fileData) : null;
  if (data === null || data[1]!.toLowerCase() !== 'application/pdf' || !data[2]!.split(';').includes('base64')) {
    throw badMessage(
      `${where}: anthropic takes files as base64 PDF data (file.file_data "data:application/pdf;base64,..."); file ids are not supported.`,
      where,
    );
  }
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data[3]! } };
}

/** Content parts of a user message (or text-only parts of other roles) → Anthropic blocks. */
function contentBlocks(
  content: ChatMessage['content'],
  where: string,
  allow: 'user' | 'text',
): AnthropicContentBlockParam[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  const out: AnthropicContentBlockParam[] = [];
  for (const [j, raw] of (content as ChatContentPart[]).entries()) {
    const at = `${where}.content[${j}]`;
    if (!isObject(raw)) throw badMessage(`${at} must be a content part object.`, at);
    const part = raw as Record<string, unknown>;
    let block: AnthropicContentBlockParam;
    switch (part['type']) {
      case 'text':
        if (typeof part['text'] !== 'string') throw badMessage(`${at}.text must be a string.`, at);
        if (part['text'].length === 0) continue; // Anthropic refuses empty text blocks; an empty part says nothing.
        block = { type: 'text', text: part['text'] };
        break;
      case 'refusal':
        if (typeof part['refusal'] !== 'string' || part['refusal'].length === 0) continue;
        block = { type: 'text', text: part['refusal'] };
        break;
      case 'image_url':
        if (allow !== 'user') throw badMessage(`${at}: anthropic takes images in user messages only.`, at);
        block = imageBlock(part, at);
        break;
      case 'file':
        if (allow !== 'user') throw badMessage(`${at}: anthropic takes files in user messages only.`, at);
        block = documentBlock(part, at);
        break;
      default:
        throw badMessage(
          `${at}: anthropic cannot take content parts of type ${JSON.stringify(part['type'])} through this API.`,
          at,
        );
    }
    if (isObject(part['cache_control'])) {
      (block as { cache_control?: AnthropicCacheControl }).cache_control = part[
        'cache_control'
      ] as unknown as AnthropicCacheControl;
    }
    out.push(block);
  }
  return out;
}

/** A message-level `cache_control` (LiteLLM's convention) marks the message's last block. */
function applyMessageCache(m: ChatMessage, blocks: AnthropicContentBlockParam[]): void {
  const cache = m['cache_control'];
  const last = blocks.at(-1);
  if (isObject(cache) && last !== undefined && last.type !== 'thinking' && last.type !== 'redacted_thinking') {
    last.cache_control = cache as unknown as AnthropicCacheControl;
  }
}

function toolUseBlocks(m: ChatMessage, where: string): AnthropicContentBlockParam[] {
  const calls = m.tool_calls;
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) throw badMessage(`${where}.tool_calls must be an array.`, `${where}.tool_calls`);
  return calls.map((call, k) => {
    const at = `${where}.tool_calls[${k}]`;
    const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
    if (fn === undefined || typeof fn.name !== 'string' || typeof call.id !== 'string') {
      throw badMessage(`${at} needs an id and a function name.`, at);
    }
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    let input: unknown = {};
    if (args.trim().length > 0) {
      try {
        input = JSON.parse(args);
      } catch {
        throw badMessage(
          `${at}.function.arguments is not valid JSON; anthropic needs each tool call's arguments as a JSON object.`,
          `${at}.function.arguments`,
        );
      }
    }
    if (!isObject(input)) {
      throw badMessage(`${at}.function.arguments must be a JSON object.`, `${at}.function.arguments`);
    }
    return { type: 'tool_use', id: call.id, name: fn.name, input };
  });
}

/** The thinking blocks an assistant message carries back (LiteLLM's `thinking_blocks`), signatures intact. */
function thinkingBlocks(m: ChatMessage, where: string): AnthropicContentBlockParam[] {
  const blocks = m['thinking_blocks'];
  if (blocks === undefined || blocks === null) return [];
  if (!Array.isArray(blocks))
    throw badMessage(`${where}.thinking_blocks must be an array.`, `${where}.thinking_blocks`);
  const out: AnthropicContentBlockParam[] = [];
  for (const b of blocks) {
    if (!isObject(b)) continue;
    if (b['type'] === 'redacted_thinking' && typeof b['data'] === 'string') {
      out.push({ type: 'redacted_thinking', data: b['data'] });
    } else if (b['type'] === 'thinking' && typeof b['thinking'] === 'string' && typeof b['signature'] === 'string') {
      out.push({ type: 'thinking', thinking: b['thinking'], signature: b['signature'] });
    }
    // A thinking block without a signature (another provider's) cannot be verified by Anthropic; earlier
    // turns' thinking may be left out, so it is not sent.
  }
  return out;
}

function toolResultBlock(m: ChatMessage, where: string): AnthropicToolResultBlock {
  if (typeof m.tool_call_id !== 'string' || m.tool_call_id.length === 0) {
    throw badMessage(`${where}.tool_call_id is missing.`, `${where}.tool_call_id`);
  }
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: m.tool_call_id };
  if (typeof m.content === 'string') {
    if (m.content.length > 0) block.content = m.content;
  } else {
    const parts = contentBlocks(m.content, where, 'user');
    if (parts.length > 0) block.content = parts as Array<AnthropicTextBlock | AnthropicImageBlock>;
  }
  if (isObject(m['cache_control'])) block.cache_control = m['cache_control'] as unknown as AnthropicCacheControl;
  return block;
}

/** Appends blocks to the conversation: a turn of the same role as the last one joins it. */
function append(
  turns: AnthropicMessageParam[],
  role: 'user' | 'assistant',
  blocks: AnthropicContentBlockParam[],
): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last === undefined || last.role !== role) {
    turns.push({ role, content: blocks });
    return;
  }
  const content = typeof last.content === 'string' ? [{ type: 'text' as const, text: last.content }] : last.content;
  // Tool results must open their user turn: they go before any text that joined it earlier.
  for (const b of blocks) {
    if (b.type === 'tool_result') {
      const at = content.findIndex((c) => c.type !== 'tool_result');
      content.splice(at === -1 ? content.length : at, 0, b);
    } else content.push(b);
  }
  last.content = content;
}

/**
 * OpenAI messages → Anthropic `system` and `messages`: system and developer messages (wherever they are)
 * become the system text blocks; tool results become tool_result blocks of a user turn, consecutive ones
 * (and a user message after them) joined into one turn; assistant tool calls become tool_use blocks after
 * the turn's thinking blocks and text. cache_control on parts, messages and tool results is kept.
 */
export function translateMessages(messages: readonly ChatMessage[]): {
  system: AnthropicTextBlock[];
  messages: AnthropicMessageParam[];
} {
  const system: AnthropicTextBlock[] = [];
  const turns: AnthropicMessageParam[] = [];
  for (const [i, m] of messages.entries()) {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw badMessage(`${where} must be an object.`, where);
    switch (m.role) {
      case 'system':
      case 'developer': {
        const blocks = contentBlocks(m.content, where, 'text') as AnthropicTextBlock[];
        applyMessageCache(m, blocks);
        system.push(...blocks);
        break;
      }
      case 'user': {
        const noCache = !isObject(m['cache_control']);
        // A plain string stays a string (the shape Anthropic's own examples use) unless it joins a turn.
        if (typeof m.content === 'string' && noCache && m.content.length > 0 && turns.at(-1)?.role !== 'user') {
          turns.push({ role: 'user', content: m.content });
          break;
        }
        const blocks = contentBlocks(m.content, where, 'user');
        applyMessageCache(m, blocks);
        append(turns, 'user', blocks);
        break;
      }
      case 'assistant': {
        const blocks = [
          ...thinkingBlocks(m, where),
          ...contentBlocks(m.content, where, 'text'),
          ...toolUseBlocks(m, where),
        ];
        applyMessageCache(m, blocks);
        append(turns, 'assistant', blocks);
        break;
      }
      case 'tool':
        append(turns, 'user', [toolResultBlock(m, where)]);
        break;
      default:
        throw badMessage(
          `${where}.role ${JSON.stringify(m.role)} cannot be sent to anthropic; use system, developer, user, assistant or tool.`,
          `${where}.role`,
        );
    }
  }
  if (turns.length === 0) {
    throw badMessage('anthropic needs at least one user or assistant message besides the system prompt.', 'messages');
  }
  return { system, messages: turns };
}

/** The tool that carries a response_format's JSON (see JSON_TOOL_NAME). */
function jsonTool(responseFormat: Record<string, unknown>): AnthropicTool {
  const js = isObject(responseFormat['json_schema']) ? responseFormat['json_schema'] : undefined;
  const schema = js !== undefined && isObject(js['schema']) ? js['schema'] : undefined;
  const tool: AnthropicTool = {
    name: JSON_TOOL_NAME,
    description:
      typeof js?.['description'] === 'string'
        ? js['description']
        : 'Respond with the answer as a JSON object in this tool call.',
    input_schema: schema !== undefined ? { type: 'object', ...schema } : { type: 'object', additionalProperties: true },
  };
  if (js?.['strict'] === true) tool.strict = true;
  return tool;
}

export interface AnthropicBody {
  body: AnthropicMessagesRequest;
  /** anthropic-beta values the translation needs. */
  betas: string[];
  /** Parameters left out by drop_params / additional_drop_params, for the caller to log. */
  dropped: DroppedParam[];
}

/** The client's request with the deployment's request defaults filled in where it set nothing. */
function withDefaults(input: ChatInput, deployment: ProviderDeployment): AnthropicChatParams {
  const req: Record<string, unknown> = { ...input.body };
  for (const f of GATEWAY_ONLY_FIELDS) delete req[f];
  for (const [k, v] of Object.entries(deployment.requestDefaults ?? {})) {
    if (v !== undefined && (req[k] === undefined || req[k] === null)) req[k] = v;
  }
  return req as AnthropicChatParams;
}

/** The Anthropic Messages request body for a chat request (model included; the Vertex variant removes it). */
export function buildAnthropicBody(input: ChatInput, deployment: ProviderDeployment): AnthropicBody {
  const req = withDefaults(input, deployment);
  const settings = dropSettingsFor(input, deployment);
  const mapped = applyParamMap(ANTHROPIC_PARAM_MAP, req, { model: deployment.model }, settings);
  const dropped = mapped.dropped;
  const wasDropped = (param: string): boolean => dropped.some((d) => d.param === param);
  const { system, messages } = translateMessages(req.messages);

  const body: AnthropicMessagesRequest = {
    model: deployment.model,
    messages,
    max_tokens: mapped.wire.max_tokens!,
  };
  if (system.length > 0) body.system = system;
  const { max_tokens: _maxTokens, ...rest } = mapped.wire;
  Object.assign(body, rest);

  const tools: AnthropicTool[] = [];
  if (Array.isArray(req.tools) && !wasDropped('tools')) {
    const translated = toAnthropicTools(req.tools);
    if (Array.isArray(translated)) tools.push(...translated);
    else if (settings.dropParams) dropped.push({ param: 'tools', reason: 'invalid_value', detail: translated.problem });
    else {
      throw new ProviderError({
        ...Errors.invalidRequest(
          `Invalid value for \`tools\` with anthropic: ${translated.problem}. Send function tools, or set drop_params to drop the parameter.`,
          'tools',
          'invalid_value',
        ),
        kind: 'bad_request',
      });
    }
  }
  const rf = req.response_format;
  const jsonMode =
    isObject(rf) && (rf['type'] === 'json_object' || rf['type'] === 'json_schema') && !wasDropped('response_format');
  if (jsonMode) tools.push(jsonTool(rf));
  if (tools.length > 0) body.tools = tools;

  const thinking = body.thinking !== undefined && body.thinking.type !== 'disabled';
  if (body.tool_choice === undefined && tools.length > 0) {
    const noParallel = req.parallel_tool_calls === false ? { disable_parallel_tool_use: true } : {};
    // JSON mode forces its tool (with the client's tools beside it: some tool call, `any`), unless thinking
    // is on (Anthropic refuses forced tool use with thinking): then the tool is offered, its description
    // asking the model to answer through it. A client's own tool_choice is kept as it is.
    if (jsonMode && !thinking && tools.length === 1)
      body.tool_choice = { type: 'tool', name: JSON_TOOL_NAME, ...noParallel };
    else if (jsonMode && !thinking) body.tool_choice = { type: 'any', ...noParallel };
    else if (req.parallel_tool_calls === false) body.tool_choice = { type: 'auto', ...noParallel };
  }
  // Without any tool, "none" and "auto" say nothing Anthropic needs to hear (it refuses tool_choice alone).
  if (tools.length === 0 && (body.tool_choice?.type === 'none' || body.tool_choice?.type === 'auto')) {
    delete body.tool_choice;
  }
  if (input.stream) body.stream = true;

  // litellm_params.extra_body: provider-specific members; what the translation wrote wins.
  const extra = deployment.params?.extra_body;
  if (extra !== undefined) {
    for (const [k, v] of Object.entries(extra)) {
      if (!Object.hasOwn(body, k)) (body as unknown as Record<string, unknown>)[k] = v;
    }
  }
  const betas = tools.some((t) => t.strict === true) ? [STRUCTURED_OUTPUTS_BETA] : [];
  return { body, betas, dropped };
}

/** Comma-separated anthropic-beta values, deduplicated, in order. */
export function mergeBetas(...lists: Array<string | readonly string[] | undefined>): string | undefined {
  const seen = new Set<string>();
  for (const list of lists) {
    if (list === undefined) continue;
    const items = typeof list === 'string' ? list.split(',') : list;
    for (const item of items) {
      const v = item.trim();
      if (v.length > 0) seen.add(v);
    }
  }
  return seen.size > 0 ? [...seen].join(',') : undefined;
}

/**
 * Where and how one Anthropic-shaped API is called: Anthropic's own, or Anthropic models on another cloud
 * (Vertex AI's rawPredict), which take the same body with small edits and authenticate differently.
 */
export interface AnthropicApiVariant {
  /** Provider name as written in litellm_params.model ("anthropic", "vertex_ai"). */
  provider: string;
  /** The upstream URL of one request. */
  url(deployment: ProviderDeployment, stream: boolean, ctx: RequestContext): string;
  /** Authentication headers from the resolved credentials. */
  authHeaders(ctx: RequestContext, deployment: ProviderDeployment): Record<string, string>;
  /** Send `anthropic-version` as a header (Anthropic's API) or not (it goes in the body instead). */
  versionHeader: boolean;
  /** Last edits of the body (Vertex: no `model`, `anthropic_version` added). */
  editBody?(body: AnthropicMessagesRequest): Omit<AnthropicMessagesRequest, 'model'>;
  /**
   * The same edits for a client's own Messages body passed through: top-level members set to new JSON
   * text, or removed (null).
   */
  bodyEdits?: Readonly<Record<string, string | null>>;
  /** The URL of the API's token-counting endpoint (`/v1/messages/count_tokens`). */
  countTokensUrl(deployment: ProviderDeployment, ctx: RequestContext): string;
  /**
   * Pass-through only: where a client's `anthropic-beta` values go. `header` (default) as the header;
   * `body` as the `anthropic_beta` array member (Claude on Bedrock, whose InvokeModel has no such header).
   */
  betas?: 'header' | 'body';
  /** Pass-through only: the `accept` of a streamed request (default `text/event-stream`). */
  streamAccept?: string;
  /**
   * Pass-through only: the token-counting request's body, when the API wraps the Messages body (Bedrock's
   * CountTokens takes it base64-encoded inside `{"input":{"invokeModel":{"body"}}}`), and how its answer
   * gives the count (`input_tokens` when absent). The model goes in that body unless `countModelInBody` is false.
   */
  countTokens?: {
    modelInBody: boolean;
    wrap(body: Uint8Array): Uint8Array;
    read(answer: unknown): number | undefined;
  };
}

/** POST {api_base}/v1/messages; an api_base that already ends in /v1 or /v1/messages is taken as it is. */
export function anthropicMessagesUrl(deployment: ProviderDeployment): string {
  const base = (deployment.apiBase ?? DEFAULT_ANTHROPIC_API_BASE).replace(/\/+$/, '');
  if (base.endsWith('/v1/messages')) return base;
  if (base.endsWith('/v1')) return `${base}/messages`;
  return `${base}/v1/messages`;
}

/** Anthropic's own API: `x-api-key`, `anthropic-version` header. */
export const ANTHROPIC_API: AnthropicApiVariant = {
  provider: 'anthropic',
  url: (deployment) => anthropicMessagesUrl(deployment),
  countTokensUrl: (deployment) => `${anthropicMessagesUrl(deployment)}/count_tokens`,
  authHeaders: (ctx): Record<string, string> => (ctx.credentials.apiKey ? { 'x-api-key': ctx.credentials.apiKey } : {}),
  versionHeader: true,
};

/** The upstream request for one attempt: URL, headers (auth, version, betas, extra_headers), JSON body. */
export function buildAnthropicRequest(
  variant: AnthropicApiVariant,
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const built = buildAnthropicBody(input, deployment);
  const body = variant.editBody ? variant.editBody(built.body) : built.body;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: input.stream ? 'text/event-stream' : 'application/json',
  };
  if (variant.versionHeader) headers['anthropic-version'] = ANTHROPIC_VERSION;
  Object.assign(headers, variant.authHeaders(ctx, deployment));
  // litellm_params.extra_headers are sent with every request and win, except anthropic-beta, which is merged.
  let extraBeta: string | undefined;
  for (const [k, v] of Object.entries(deployment.params?.extra_headers ?? {})) {
    const name = k.toLowerCase();
    if (name === 'anthropic-beta') extraBeta = v;
    else headers[name] = v;
  }
  const beta = mergeBetas(extraBeta, built.betas);
  if (beta !== undefined) headers['anthropic-beta'] = beta;
  return {
    url: variant.url(deployment, input.stream, ctx),
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ...(built.dropped !== undefined && built.dropped.length > 0 && { dropped: built.dropped }),
  };
}
