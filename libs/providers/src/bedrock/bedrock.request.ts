import { Errors } from '@switchyard/contracts';
import type { RequestContext } from '../credentials/credentials.types';
import type { ChatContentPart, ChatMessage } from '../openai-types';
import { dropSettingsFor } from '../params/drop-settings';
import { applyParamMap } from '../params/param-map.engine';
import {
  invalidParam,
  type DropSettings,
  type DroppedParam,
  type OpenAIChatParams,
  type ParamMap,
} from '../params/param-map.types';
import { ProviderError, type ChatInput, type UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { bedrockRegion, bedrockSettings } from './bedrock.credentials';
import { bedrockModel, encodeModelId, isAnthropicModel, type BedrockModel } from './bedrock.model';
import type {
  BedrockCachePoint,
  BedrockContentBlock,
  BedrockImageBlock,
  BedrockImageFormat,
  BedrockMessage,
  BedrockSystemBlock,
  BedrockTool,
  BedrockToolChoice,
  BedrockToolResultContent,
  ConverseRequest,
} from './bedrock.types';

/**
 * The tool a response_format becomes on models without native structured output: the model is made to
 * call it, and its input is the answer's content. The name is Switchyard's own, refused for client tools,
 * so a stream reader can tell the translation apart from a real tool call without seeing the request.
 */
export const RESPONSE_FORMAT_TOOL = 'switchyard_json_response';

/** The OpenAI request as the bedrock map reads it: plus LiteLLM's Anthropic-style `thinking`. */
export interface BedrockChatParams extends OpenAIChatParams {
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'disabled' } | null;
}

export type AnthropicThinking = { type: 'enabled'; budget_tokens: number };

/** The flat fields the parameter map writes; buildConverseRequest places them in the Converse body. */
export interface BedrockParamWire {
  maxTokens: number;
  temperature: number;
  topP: number;
  stopSequences: string[];
  toolChoice: BedrockToolChoice | 'none';
  serviceTier: { type: 'priority' | 'default' | 'flex' };
  thinking: AnthropicThinking;
}

/** LiteLLM's reasoning budgets for Anthropic models; Anthropic's smallest budget is 1024 tokens. */
export const REASONING_BUDGETS: Readonly<Record<string, number>> = {
  minimal: 1024,
  low: 1024,
  medium: 2048,
  high: 4096,
};

const REQUEST_METADATA_TEXT = /^[a-zA-Z0-9\s:_@$#=/+,.-]{1,256}$/;

function hasToolHistory(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  return messages.some(
    (m: ChatMessage | null) =>
      m !== null &&
      typeof m === 'object' &&
      (m.role === 'tool' || (Array.isArray(m.tool_calls) && m.tool_calls.length > 0)),
  );
}

/**
 * The bedrock parameter table, as data. Converse takes few sampling settings (maxTokens, temperature and
 * topP in [0, 1], stopSequences) and refuses any member it does not know, so every other OpenAI parameter
 * is refused here (or dropped by drop_params) rather than sent to fail there.
 */
export const BEDROCK_PARAM_MAP: ParamMap<BedrockParamWire, BedrockChatParams> = {
  provider: 'bedrock',
  unknownFields: 'reject',
  rules: {
    model: { kind: 'external' },
    messages: { kind: 'external' },
    stream: { kind: 'external' },
    stream_options: { kind: 'external' },
    tools: { kind: 'external' },
    response_format: {
      kind: 'external',
      check: {
        validate: (rf) => {
          const type = (rf as { type?: unknown } | null)?.type;
          return type === 'text' || type === 'json_object' || type === 'json_schema'
            ? undefined
            : `type must be "text", "json_object" or "json_schema", got ${JSON.stringify(type)}`;
        },
      },
    },
    metadata: { kind: 'external' },
    n: {
      kind: 'external',
      check: {
        validate: (n) => (n !== 1 ? 'bedrock Converse returns one choice per request, so n must be 1' : undefined),
      },
    },
    max_tokens: { kind: 'map', to: 'maxTokens', check: { min: 1, integer: true } },
    max_completion_tokens: { kind: 'map', to: 'maxTokens', check: { min: 1, integer: true } },
    temperature: { kind: 'map', check: { min: 0, max: 1 } },
    top_p: { kind: 'map', to: 'topP', check: { min: 0, max: 1 } },
    stop: {
      kind: 'map',
      to: 'stopSequences',
      transform: (stop) => {
        const list = typeof stop === 'string' ? [stop] : stop;
        if (list.some((s) => typeof s !== 'string' || s.length === 0))
          return invalidParam('stop sequences must be non-empty strings');
        return list.length === 0 ? undefined : list;
      },
    },
    tool_choice: {
      kind: 'map',
      to: 'toolChoice',
      transform: (choice, req) => {
        if (choice === 'auto') return { auto: {} };
        if (choice === 'required') return { any: {} };
        if (choice === 'none') {
          // Converse has no "none": the tools are left out instead, which it refuses once the
          // conversation holds tool calls (it wants their definitions then).
          return hasToolHistory(req.messages)
            ? invalidParam(
                'bedrock Converse has no "none" tool choice, and a conversation holding tool calls must keep its tools; send "auto", or leave the tools out',
              )
            : 'none';
        }
        if (typeof choice === 'object' && choice.type === 'function' && typeof choice.function?.name === 'string') {
          return { tool: { name: choice.function.name } };
        }
        return invalidParam(`bedrock has no equivalent of tool_choice ${JSON.stringify(choice).slice(0, 60)}`);
      },
    },
    parallel_tool_calls: {
      kind: 'external',
      check: {
        validate: (p) =>
          p === false ? 'bedrock Converse has no switch for parallel tool calls (the model decides)' : undefined,
      },
    },
    reasoning_effort: {
      kind: 'map',
      to: 'thinking',
      transform: (effort, _req, ctx) => {
        if ((effort as string) === 'none') return undefined;
        if (!isAnthropicModel(ctx.model))
          return invalidParam('bedrock maps reasoning_effort to extended thinking for Anthropic Claude models only');
        const budget = REASONING_BUDGETS[effort];
        if (budget === undefined)
          return invalidParam(`must be one of minimal, low, medium, high, got ${JSON.stringify(effort)}`);
        return { type: 'enabled', budget_tokens: budget };
      },
    },
    thinking: {
      kind: 'map',
      transform: (thinking, _req, ctx) => {
        if (thinking.type === 'disabled') return undefined;
        if (!isAnthropicModel(ctx.model)) return invalidParam('extended thinking is for Anthropic Claude models only');
        const budget = (thinking as { budget_tokens?: unknown }).budget_tokens;
        if (thinking.type !== 'enabled' || typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024)
          return invalidParam('expected {"type": "enabled", "budget_tokens": <integer of at least 1024>}');
        return { type: 'enabled', budget_tokens: budget };
      },
    },
    user: {
      kind: 'external',
      check: {
        validate: (user) =>
          REQUEST_METADATA_TEXT.test(user)
            ? undefined
            : 'bedrock records it as request metadata, which takes 1 to 256 letters, digits, spaces and _:@$#=/+,.-',
      },
    },
    service_tier: {
      kind: 'map',
      to: 'serviceTier',
      transform: (tier) => {
        if (tier === 'auto') return undefined;
        if (tier === 'default' || tier === 'flex' || tier === 'priority') return { type: tier };
        return invalidParam(`bedrock service tiers are default, flex and priority, got ${JSON.stringify(tier)}`);
      },
    },
    seed: { kind: 'unsupported', hint: 'Converse has no seed' },
    frequency_penalty: { kind: 'unsupported' },
    presence_penalty: { kind: 'unsupported' },
    logit_bias: { kind: 'unsupported' },
    // The neutral values of these ask for nothing bedrock lacks: accepted, with nothing on the wire.
    logprobs: {
      kind: 'external',
      check: { validate: (v) => (v ? 'Converse returns no log probabilities' : undefined) },
    },
    modalities: {
      kind: 'external',
      check: {
        validate: (m) => (m.every((x) => x === 'text') ? undefined : 'Converse answers with text only'),
      },
    },
    store: {
      kind: 'external',
      check: { validate: (v) => (v ? 'Converse stores no completions' : undefined) },
    },
    top_logprobs: { kind: 'unsupported' },
    audio: { kind: 'unsupported', hint: 'Converse answers with text' },
    prediction: { kind: 'unsupported' },
    web_search_options: { kind: 'unsupported' },
    verbosity: { kind: 'unsupported' },
    prompt_cache_key: { kind: 'unsupported', hint: 'mark cached prefixes with cache_control instead' },
    safety_identifier: { kind: 'unsupported' },
    functions: { kind: 'unsupported', hint: 'use `tools`' },
    function_call: { kind: 'unsupported', hint: 'use `tool_choice`' },
  },
};

function bad(message: string, param: string | null, code: string | null = 'invalid_value'): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, param, code), kind: 'bad_request' });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A cache point for an Anthropic-style `cache_control` ({"type": "ephemeral", "ttl": "5m" | "1h"}). */
function cachePointFor(cc: unknown, where: string): BedrockCachePoint | undefined {
  if (cc === undefined || cc === null) return undefined;
  if (!isObject(cc) || cc['type'] !== 'ephemeral')
    throw bad(`${where}.cache_control must be {"type": "ephemeral"} (with an optional "ttl").`, where);
  const ttl = cc['ttl'];
  if (ttl === undefined) return { cachePoint: { type: 'default' } };
  if (ttl !== '5m' && ttl !== '1h') throw bad(`${where}.cache_control.ttl must be "5m" or "1h".`, where);
  return { cachePoint: { type: 'default', ttl } };
}

const IMAGE_FORMATS: Readonly<Record<string, BedrockImageFormat>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
};
const DATA_URL = /^data:([^;,]+);base64,/i;

function imageBlock(part: ChatContentPart, where: string): BedrockImageBlock {
  const iu = (part as { image_url?: unknown }).image_url;
  const url = typeof iu === 'string' ? iu : isObject(iu) && typeof iu['url'] === 'string' ? iu['url'] : undefined;
  if (url === undefined) throw bad(`${where}.image_url.url must be a string.`, where);
  const m = DATA_URL.exec(url);
  if (m === null) {
    throw bad(
      /^https?:/i.test(url)
        ? `bedrock takes images as bytes, not URLs, and Switchyard does not fetch them: send the image inline as a base64 data URL (data:image/png;base64,...) in ${where}.`
        : `${where}.image_url.url must be a base64 data URL (data:image/png;base64,...).`,
      where,
    );
  }
  const format = IMAGE_FORMATS[m[1]!.toLowerCase()];
  if (format === undefined) throw bad(`bedrock takes png, jpeg, gif and webp images; ${where} is ${m[1]}.`, where);
  return { image: { format, source: { bytes: url.slice(m[0].length) } } };
}

/** A message's content parts as Converse blocks (text and images), with cache points where marked. */
function userBlocks(content: ChatMessage['content'], where: string, images: boolean): BedrockContentBlock[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return [{ text: content }];
  if (!Array.isArray(content)) throw bad(`${where}.content must be a string or an array of parts.`, where);
  const out: BedrockContentBlock[] = [];
  content.forEach((part, i) => {
    const at = `${where}.content[${i}]`;
    if (!isObject(part)) throw bad(`${at} must be an object.`, at);
    const p = part as Record<string, unknown>;
    switch (p['type']) {
      case 'text':
      case 'refusal': {
        const text = p[p['type']];
        if (typeof text !== 'string') throw bad(`${at} needs a string ${p['type']}.`, at);
        out.push({ text });
        break;
      }
      case 'image_url':
        if (!images) throw bad(`${at}: bedrock takes images in user and tool messages only.`, at);
        out.push(imageBlock(part, at));
        break;
      default:
        throw bad(
          `${at}: bedrock does not take "${String(p['type'])}" parts through Switchyard (text and image_url only).`,
          at,
          'unsupported_content',
        );
    }
    const cp = cachePointFor(p['cache_control'], at);
    if (cp !== undefined) out.push(cp);
  });
  return out;
}

interface ThinkingBlockIn {
  type?: unknown;
  thinking?: unknown;
  signature?: unknown;
  data?: unknown;
}

/** LiteLLM's `thinking_blocks` of an earlier answer, sent back so the model can continue from them. */
function reasoningBlocks(blocks: unknown, where: string): BedrockContentBlock[] {
  if (blocks === undefined || blocks === null) return [];
  if (!Array.isArray(blocks)) throw bad(`${where}.thinking_blocks must be an array.`, where);
  return blocks.map((b: ThinkingBlockIn, i) => {
    const at = `${where}.thinking_blocks[${i}]`;
    if (isObject(b) && b.type === 'thinking' && typeof b.thinking === 'string') {
      return {
        reasoningContent: {
          reasoningText: { text: b.thinking, ...(typeof b.signature === 'string' && { signature: b.signature }) },
        },
      };
    }
    if (isObject(b) && b.type === 'redacted_thinking' && typeof b.data === 'string')
      return { reasoningContent: { redactedContent: b.data } };
    throw bad(
      `${at} must be {"type": "thinking", "thinking", "signature"} or {"type": "redacted_thinking", "data"}.`,
      at,
    );
  });
}

function toolUseBlocks(calls: unknown, where: string): BedrockContentBlock[] {
  if (calls === undefined || calls === null) return [];
  if (!Array.isArray(calls)) throw bad(`${where}.tool_calls must be an array.`, where);
  return calls.map((c: unknown, i) => {
    const at = `${where}.tool_calls[${i}]`;
    const fn = isObject(c) ? c['function'] : undefined;
    if (!isObject(c) || typeof c['id'] !== 'string' || !isObject(fn) || typeof fn['name'] !== 'string')
      throw bad(`${at} needs an id and a function name.`, at);
    const args = typeof fn['arguments'] === 'string' ? fn['arguments'] : '';
    let input: unknown = {};
    if (args.trim() !== '') {
      try {
        input = JSON.parse(args);
      } catch {
        throw bad(`${at}.function.arguments is not JSON; bedrock needs the call's input as a JSON object.`, at);
      }
    }
    if (!isObject(input)) throw bad(`${at}.function.arguments must be a JSON object for bedrock.`, at);
    return { toolUse: { toolUseId: c['id'], name: fn['name'], input } };
  });
}

/** A tool message as a toolResult block; a cache point marked on its content goes after the block. */
function toolResultBlocks(m: ChatMessage, where: string): BedrockContentBlock[] {
  const blocks = userBlocks(m.content, where, true);
  const content = blocks.filter((b) => !('cachePoint' in b)) as BedrockToolResultContent[];
  const out: BedrockContentBlock[] = [{ toolResult: { toolUseId: m.tool_call_id!, content } }];
  const cp = blocks.find((b): b is BedrockCachePoint => 'cachePoint' in b);
  if (cp !== undefined) out.push(cp);
  return out;
}

export interface ConverseMessages {
  system: BedrockSystemBlock[];
  messages: BedrockMessage[];
}

/**
 * OpenAI messages → Converse's `system` and alternating `messages`. System and developer messages go to
 * `system` in their order; tool results become `toolResult` blocks of a user turn; consecutive messages of
 * one role (tool results and a user message after them, say) are merged into one turn, since Converse
 * wants the roles to alternate. Assistant turns carry earlier reasoning (`thinking_blocks`) first, then
 * text, then tool calls, as Anthropic models need them.
 */
export function toConverseMessages(messages: ChatMessage[]): ConverseMessages {
  const system: BedrockSystemBlock[] = [];
  const turns: BedrockMessage[] = [];
  const push = (role: BedrockMessage['role'], blocks: BedrockContentBlock[]): void => {
    const last = turns.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  messages.forEach((m, i) => {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw bad(`${where} must be an object.`, 'messages');
    const messageCache = cachePointFor(m['cache_control'], where);
    switch (m.role) {
      case 'system':
      case 'developer': {
        for (const b of userBlocks(m.content, where, false)) system.push(b as BedrockSystemBlock);
        if (messageCache !== undefined) system.push(messageCache);
        return;
      }
      case 'user': {
        const blocks = userBlocks(m.content, where, true);
        if (messageCache !== undefined) blocks.push(messageCache);
        push('user', blocks);
        return;
      }
      case 'assistant': {
        const blocks = [
          ...reasoningBlocks(m['thinking_blocks'], where),
          ...userBlocks(m.content, where, false),
          ...toolUseBlocks(m.tool_calls, where),
        ];
        if (messageCache !== undefined) blocks.push(messageCache);
        push('assistant', blocks);
        return;
      }
      case 'tool': {
        if (typeof m.tool_call_id !== 'string' || m.tool_call_id === '')
          throw bad(`${where}.tool_call_id is required for a tool message.`, where);
        const blocks = toolResultBlocks(m, where);
        if (messageCache !== undefined) blocks.push(messageCache);
        push('user', blocks);
        return;
      }
      default:
        throw bad(
          `${where}.role "${String(m.role)}" is not one bedrock takes (system, developer, user, assistant, tool).`,
          where,
        );
    }
  });
  return { system, messages: turns };
}

interface OpenAIToolIn {
  type?: unknown;
  function?: { name?: unknown; description?: unknown; parameters?: unknown; strict?: unknown };
  cache_control?: unknown;
}

function toConverseTools(tools: unknown): BedrockTool[] {
  if (!Array.isArray(tools)) throw bad('tools must be an array.', 'tools');
  const out: BedrockTool[] = [];
  tools.forEach((t: OpenAIToolIn, i) => {
    const at = `tools[${i}]`;
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string')
      throw bad(`${at}: bedrock takes function tools only ({"type": "function", "function": {"name", ...}}).`, at);
    const fn = t.function;
    if (fn.name === RESPONSE_FORMAT_TOOL) throw bad(`${at}: the tool name ${RESPONSE_FORMAT_TOOL} is reserved.`, at);
    const schema = fn.parameters ?? { type: 'object', properties: {} };
    if (!isObject(schema)) throw bad(`${at}.function.parameters must be a JSON schema object.`, at);
    out.push({
      toolSpec: {
        name: fn.name as string,
        ...(typeof fn.description === 'string' && fn.description !== '' && { description: fn.description }),
        inputSchema: { json: schema },
        ...(fn.strict === true && { strict: true }),
      },
    });
    const cp = cachePointFor(t.cache_control, at);
    if (cp !== undefined) out.push(cp);
  });
  return out;
}

interface ResponseFormatIn {
  type: 'text' | 'json_object' | 'json_schema';
  json_schema?: { name?: unknown; description?: unknown; schema?: unknown; strict?: unknown };
}

/** A response_format's schema and name, checked. */
function readSchema(rf: ResponseFormatIn): { schema: Record<string, unknown>; name?: string; description?: string } {
  if (rf.type === 'json_object') return { schema: { type: 'object' } };
  const js = rf.json_schema;
  if (!isObject(js) || !isObject(js['schema']))
    throw bad('response_format.json_schema.schema must be a JSON schema object.', 'response_format');
  return {
    schema: js['schema'],
    ...(typeof js['name'] === 'string' && { name: js['name'] }),
    ...(typeof js['description'] === 'string' && { description: js['description'] }),
  };
}

/** Members of `extra_body` that are Converse's own; any other member goes to additionalModelRequestFields. */
const CONVERSE_TOP_LEVEL = new Set([
  'guardrailConfig',
  'performanceConfig',
  'additionalModelResponseFieldPaths',
  'promptVariables',
]);

/** The parsed request with the deployment's request defaults filled in and gateway-only members removed. */
function effectiveParams(input: ChatInput, deployment: ProviderDeployment): BedrockChatParams {
  const body = { ...(input.body as BedrockChatParams) };
  for (const member of input.summary.strip) delete body[member];
  for (const [k, v] of Object.entries(deployment.requestDefaults ?? {})) {
    if (v !== undefined && (body[k] === undefined || body[k] === null)) body[k] = v;
  }
  return body;
}

/**
 * The Converse body for `input`: parameters through the map, messages, tools, response_format and
 * reasoning translated. Throws a ProviderError (400) for what bedrock cannot take.
 */
export function buildConverseRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  model: BedrockModel = bedrockModel(deployment),
  settings: DropSettings = dropSettingsFor(input, deployment),
): ConverseRequest {
  return translateConverse(input, deployment, model, settings).body;
}

/** The Converse body, and the request parameters the drop settings left out (for the translator's log). */
export function translateConverse(
  input: ChatInput,
  deployment: ProviderDeployment,
  model: BedrockModel,
  settings: DropSettings,
): { body: ConverseRequest; dropped: DroppedParam[] } {
  const req = effectiveParams(input, deployment);
  if (!Array.isArray(req.messages)) throw bad('The request needs a "messages" array.', 'messages');
  const { wire, dropped } = applyParamMap(BEDROCK_PARAM_MAP, req, { model: model.base }, settings);
  // Members the map accepts as `external` are translated below, unless the drop settings took them out.
  const given = (param: keyof BedrockChatParams): boolean =>
    req[param] !== undefined && req[param] !== null && !dropped.some((d) => d.param === param);
  const { system, messages } = toConverseMessages(req.messages);
  const out: ConverseRequest = { messages };
  if (system.length > 0) out.system = system;

  let tools = given('tools') ? toConverseTools(req.tools) : [];
  let toolChoice = wire.toolChoice;
  if (toolChoice === 'none') {
    tools = [];
    toolChoice = undefined;
  }

  const thinking = wire.thinking;
  const rf = given('response_format') ? (req.response_format as ResponseFormatIn) : undefined;
  if (rf !== undefined && rf.type !== 'text') {
    const { schema, name, description } = readSchema(rf);
    if (rf.type === 'json_schema' && model.nativeStructuredOutput) {
      out.outputConfig = {
        textFormat: {
          type: 'json_schema',
          structure: {
            jsonSchema: {
              schema: JSON.stringify(schema),
              ...(name !== undefined && { name }),
              ...(description !== undefined && { description }),
            },
          },
        },
      };
    } else if (thinking !== undefined && tools.length === 0) {
      // The translation forces a tool call, which Anthropic models refuse while thinking.
      if (!settings.dropParams) {
        throw bad(
          `bedrock gives ${model.base} response_format through a forced tool call, which extended thinking does not allow; leave out reasoning_effort, or set drop_params to drop response_format.`,
          'response_format',
          'unsupported_parameter',
        );
      }
      dropped.push({ param: 'response_format', reason: 'unsupported', detail: 'a forced tool call with thinking' });
    } else {
      tools.push({
        toolSpec: {
          name: RESPONSE_FORMAT_TOOL,
          description: `Give the answer as this tool's input${name !== undefined ? ` (${name})` : ''}${description !== undefined ? `: ${description}` : ''}. Always call it to respond.`,
          inputSchema: { json: schema },
        },
      });
      // Alone, the answer tool is forced; beside the client's tools, the model must call one of them.
      toolChoice ??= tools.length === 1 ? { tool: { name: RESPONSE_FORMAT_TOOL } } : { any: {} };
    }
  }
  if (tools.length > 0) out.toolConfig = { tools, ...(toolChoice !== undefined && { toolChoice }) };
  else if (toolChoice !== undefined) {
    if (!settings.dropParams)
      throw bad(
        'tool_choice needs tools: bedrock Converse takes a tool choice only with tool definitions.',
        'tool_choice',
      );
    dropped.push({ param: 'tool_choice', reason: 'invalid_value', detail: 'no tools' });
  }

  let maxTokens = wire.maxTokens;
  if (thinking !== undefined) {
    // Anthropic needs max_tokens above the thinking budget: the catalogue's maximum when the client sent none.
    maxTokens ??= model.maxOutputTokens;
    if (maxTokens !== undefined && maxTokens <= thinking.budget_tokens) {
      throw bad(
        `max_tokens (${maxTokens}) must be larger than the reasoning budget (${thinking.budget_tokens} tokens) on bedrock; raise max_tokens or lower reasoning_effort.`,
        wire.maxTokens !== undefined ? 'max_tokens' : 'reasoning_effort',
      );
    }
  }
  const inference = {
    ...(maxTokens !== undefined && { maxTokens }),
    ...(wire.temperature !== undefined && { temperature: wire.temperature }),
    ...(wire.topP !== undefined && { topP: wire.topP }),
    ...(wire.stopSequences !== undefined && { stopSequences: wire.stopSequences }),
  };
  if (Object.keys(inference).length > 0) out.inferenceConfig = inference;

  const additional: Record<string, unknown> = {};
  const extraBody = deployment.params?.extra_body;
  if (extraBody !== undefined) {
    for (const [k, v] of Object.entries(extraBody)) {
      if (CONVERSE_TOP_LEVEL.has(k)) (out as unknown as Record<string, unknown>)[k] = v;
      else additional[k] = v;
    }
  }
  if (thinking !== undefined) additional['thinking'] = thinking;
  if (Object.keys(additional).length > 0) out.additionalModelRequestFields = additional;

  const metadata: Record<string, string> = {};
  if (given('metadata') && isObject(req.metadata)) {
    for (const [k, v] of Object.entries(req.metadata)) if (typeof v === 'string') metadata[k] = v;
  }
  if (given('user') && typeof req.user === 'string') metadata['user'] = req.user;
  if (Object.keys(metadata).length > 0) out.requestMetadata = metadata;
  if (wire.serviceTier !== undefined) out.serviceTier = wire.serviceTier;
  return { body: out, dropped };
}

/** Where the deployment's runtime API lives: aws_bedrock_runtime_endpoint, api_base, or the region's endpoint. */
export function bedrockOrigin(deployment: ProviderDeployment, region: string | undefined): string {
  const configured = bedrockSettings(deployment).aws_bedrock_runtime_endpoint ?? deployment.apiBase;
  if (configured !== undefined) return configured.replace(/\/+$/, '');
  if (region === undefined) {
    throw new Error(
      `bedrock deployment '${deployment.id}' has no AWS region: set litellm_params.aws_region_name, or AWS_REGION`,
    );
  }
  return `https://bedrock-runtime.${region}.amazonaws.com`;
}

/**
 * The unsigned upstream request: POST {origin}/model/{modelId}/converse (or /converse-stream) with the
 * Converse body. The adapter's signRequest then adds the SigV4 headers.
 */
export function buildBedrockRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const model = bedrockModel(deployment);
  const { body, dropped } = translateConverse(input, deployment, model, dropSettingsFor(input, deployment));
  const region = ctx.credentials.aws?.region ?? bedrockRegion(deployment, {});
  const url = `${bedrockOrigin(deployment, region)}/model/${encodeModelId(model.id)}/${input.stream ? 'converse-stream' : 'converse'}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: input.stream ? 'application/vnd.amazon.eventstream' : 'application/json',
  };
  const extra = deployment.params?.extra_headers;
  if (extra !== undefined) for (const [k, v] of Object.entries(extra)) headers[k.toLowerCase()] = v;
  return {
    url,
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    ...(dropped.length > 0 && { dropped }),
  };
}
