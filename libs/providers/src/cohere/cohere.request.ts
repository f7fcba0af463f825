import { Errors } from '@switchyard/contracts';
import type { RequestContext } from '../credentials/credentials.types';
import type { ChatContentPart, ChatMessage } from '../openai-types';
import { openAIHeaders } from '../openai/openai.request';
import { dropSettingsFor } from '../params/drop-settings';
import { applyParamMap } from '../params/param-map.engine';
import {
  invalidParam,
  type DroppedParam,
  type OpenAIChatParams,
  type OpenAIToolChoice,
  type ParamMap,
} from '../params/param-map.types';
import { ProviderError, type ChatInput, type UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import type {
  CohereChatRequest,
  CohereImagePart,
  CohereMessage,
  CohereTextPart,
  CohereThinkingPart,
  CohereTool,
  CohereToolCall,
} from './cohere.types';

export const COHERE_DEFAULT_API_BASE = 'https://api.cohere.com';

/**
 * Thinking budgets for `reasoning_effort`, LiteLLM's defaults (so a config moved from LiteLLM thinks as
 * much as before); `none` turns thinking off.
 */
export const COHERE_THINKING_BUDGETS: Readonly<Record<string, number>> = {
  minimal: 128,
  low: 1024,
  medium: 2048,
  high: 4096,
};

/** Cohere's documented bounds: `p` in [0.01, 0.99], penalties in [0, 1], at most 5 stop sequences. */
const MAX_STOP_SEQUENCES = 5;

function badMessages(message: string): ProviderError {
  return new ProviderError({ ...Errors.invalidRequest(message, 'messages', 'invalid_value'), kind: 'bad_request' });
}

/** The function names a tool_choice restricts the tools to (named function, allowed_tools), if any. */
function chosenToolNames(choice: OpenAIChatParams['tool_choice']): Set<string> | undefined {
  if (choice === null || choice === undefined || typeof choice !== 'object') return undefined;
  if (choice.type === 'function') return new Set([choice.function.name]);
  if (choice.type === 'allowed_tools') {
    const names = new Set<string>();
    for (const t of choice.allowed_tools.tools) {
      const name = (t as { function?: { name?: unknown } } | null)?.function?.name;
      if (typeof name === 'string') names.add(name);
    }
    return names;
  }
  return undefined;
}

function toolNamesOf(tools: unknown): string[] {
  if (!Array.isArray(tools)) return [];
  return tools.flatMap((t) => {
    const name = (t as { function?: { name?: unknown } } | null)?.function?.name;
    return typeof name === 'string' ? [name] : [];
  });
}

/**
 * Cohere's parameter rules. Cohere's own parameters (`k`, `safety_mode`, `documents`, `citation_options`,
 * `strict_tools`, `priority`, `thinking`) are not OpenAI's: they pass through as the client wrote them.
 */
export const COHERE_PARAM_MAP: ParamMap<CohereChatRequest> = {
  provider: 'cohere',
  unknownFields: 'passthrough',
  rules: {
    model: { kind: 'external' },
    messages: { kind: 'external' },
    stream: { kind: 'external' },
    stream_options: { kind: 'external' },
    n: {
      kind: 'external',
      check: { validate: (n) => (n !== 1 ? 'cohere returns one choice per request, so n must be 1' : undefined) },
    },
    max_tokens: { kind: 'map', check: { min: 1, integer: true } },
    max_completion_tokens: { kind: 'map', to: 'max_tokens', check: { min: 1, integer: true } },
    temperature: { kind: 'map', check: { min: 0 } },
    top_p: { kind: 'map', to: 'p', check: { min: 0.01, max: 0.99 } },
    stop: {
      kind: 'map',
      to: 'stop_sequences',
      check: {
        validate: (stop) =>
          Array.isArray(stop) && stop.length > MAX_STOP_SEQUENCES
            ? `cohere takes at most ${MAX_STOP_SEQUENCES} stop sequences, got ${stop.length}`
            : undefined,
      },
      transform: (stop) => (typeof stop === 'string' ? [stop] : stop),
    },
    seed: { kind: 'map', check: { integer: true } },
    frequency_penalty: { kind: 'map', check: { min: 0, max: 1 } },
    presence_penalty: { kind: 'map', check: { min: 0, max: 1 } },
    logprobs: { kind: 'map' },
    top_logprobs: {
      kind: 'external',
      check: {
        validate: (n) =>
          n !== 0
            ? 'cohere reports the log-probability of each generated token only, never alternatives; send 0 or leave it out'
            : undefined,
      },
    },
    tools: {
      kind: 'map',
      transform: (tools, req) => {
        const out: CohereTool[] = [];
        for (const t of tools) {
          const tool = t as { type?: unknown; function?: Record<string, unknown> } | null;
          if (
            tool === null ||
            typeof tool !== 'object' ||
            tool.type !== 'function' ||
            typeof tool.function !== 'object'
          )
            return invalidParam(`cohere takes function tools only, got ${JSON.stringify(tool?.type ?? tool)}`);
          const f = tool.function;
          if (typeof f['name'] !== 'string') return invalidParam('every function tool needs a name');
          const parameters =
            f['parameters'] !== null && typeof f['parameters'] === 'object'
              ? (f['parameters'] as Record<string, unknown>)
              : { type: 'object', properties: {} };
          out.push({
            type: 'function',
            function: {
              name: f['name'],
              ...(typeof f['description'] === 'string' && { description: f['description'] }),
              parameters,
            },
          });
        }
        // A named tool_choice (or allowed_tools) becomes REQUIRED over just those tools: see tool_choice.
        const only = chosenToolNames(req.tool_choice);
        const kept = only === undefined ? out : out.filter((t) => only.has(t.function.name));
        return kept.length > 0 ? kept : out;
      },
    },
    tool_choice: {
      kind: 'map',
      transform: (choice: OpenAIToolChoice, req) => {
        const names = toolNamesOf(req.tools);
        if (choice === 'auto') return undefined;
        if (choice === 'none') return 'NONE';
        if (names.length === 0) return invalidParam('a tool_choice that asks for a tool needs `tools`');
        if (choice === 'required') return 'REQUIRED';
        // Cohere knows REQUIRED and NONE only: a named function is asked for by offering only that tool.
        const only = chosenToolNames(choice);
        if (only === undefined) return invalidParam(`cohere has no equivalent of ${JSON.stringify(choice)}`);
        const missing = [...only].filter((n) => !names.includes(n));
        if (missing.length > 0) return invalidParam(`no tool named ${missing.map((n) => `"${n}"`).join(', ')}`);
        if (choice.type === 'allowed_tools' && choice.allowed_tools.mode === 'auto') return undefined;
        return 'REQUIRED';
      },
    },
    parallel_tool_calls: {
      kind: 'external',
      check: {
        validate: (v) =>
          v === false
            ? 'cohere may call several tools in one turn and has no setting to prevent it; leave parallel_tool_calls out or true'
            : undefined,
      },
    },
    response_format: {
      kind: 'map',
      transform: (format) => {
        const f = format as { type?: unknown; json_schema?: { schema?: unknown } } | null;
        switch (f?.type) {
          case 'text':
            return { type: 'text' };
          case 'json_object':
            return { type: 'json_object' };
          case 'json_schema': {
            const schema = f.json_schema?.schema;
            if (schema === null || typeof schema !== 'object')
              return invalidParam('json_schema needs `json_schema.schema`, a JSON Schema object');
            // Cohere always holds the answer to the schema, so `strict` needs no field of its own.
            return { type: 'json_object', json_schema: schema as Record<string, unknown> };
          }
          default:
            return invalidParam(`cohere has no equivalent of response_format type ${JSON.stringify(f?.type)}`);
        }
      },
    },
    reasoning_effort: {
      kind: 'map',
      to: 'thinking',
      transform: (effort) => {
        if ((effort as string) === 'none') return { type: 'disabled' };
        const budget = COHERE_THINKING_BUDGETS[effort];
        if (budget === undefined)
          return invalidParam(`expected one of none, ${Object.keys(COHERE_THINKING_BUDGETS).join(', ')}`);
        return { type: 'enabled', token_budget: budget };
      },
    },
    // The end user and tags are the gateway's to record; OpenAI keeps metadata only for stored completions.
    user: { kind: 'external' },
    safety_identifier: { kind: 'external' },
    metadata: { kind: 'external' },
    store: {
      kind: 'external',
      check: { validate: (v) => (v ? 'cohere does not store completions; leave store out or false' : undefined) },
    },
    modalities: {
      kind: 'external',
      check: {
        validate: (m) => (m.some((x) => x !== 'text') ? 'cohere answers in text only; send ["text"]' : undefined),
      },
    },
    logit_bias: { kind: 'unsupported' },
    audio: { kind: 'unsupported' },
    prediction: { kind: 'unsupported' },
    service_tier: { kind: 'unsupported', hint: "Cohere's own `priority` passes through" },
    web_search_options: { kind: 'unsupported' },
    verbosity: { kind: 'unsupported' },
    prompt_cache_key: { kind: 'unsupported', hint: 'Cohere caches prompts on its own' },
    functions: { kind: 'unsupported', hint: 'use `tools`' },
    function_call: { kind: 'unsupported', hint: 'use `tool_choice`' },
  },
};

function textOf(part: ChatContentPart, i: number, where: string): string {
  if (part.type === 'text' && typeof part.text === 'string') return part.text;
  const refusal = (part as { refusal?: unknown }).refusal;
  if (part.type === 'refusal' && typeof refusal === 'string') return refusal;
  throw badMessages(`${where} content part ${i} has type "${part.type}"; cohere takes text there.`);
}

function textParts(content: ChatMessage['content'], where: string): string | CohereTextPart[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p, i) => ({ type: 'text', text: textOf(p, i, where) }));
}

function userContent(content: ChatMessage['content'], where: string): string | Array<CohereTextPart | CohereImagePart> {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badMessages(`${where} has no content.`);
  return content.map((part, i): CohereTextPart | CohereImagePart => {
    if (part.type === 'image_url') {
      const img = (part as { image_url?: unknown }).image_url;
      const url = typeof img === 'string' ? img : (img as { url?: unknown } | null)?.url;
      if (typeof url !== 'string' || url.length === 0)
        throw badMessages(`${where} content part ${i} is an image_url without a url.`);
      const detail = (img as { detail?: unknown } | null)?.detail;
      // URLs and base64 data URLs alike: Cohere fetches URLs itself, and answers 400 for a model without vision.
      return {
        type: 'image_url',
        image_url: {
          url,
          ...((detail === 'auto' || detail === 'low' || detail === 'high') && { detail }),
        },
      };
    }
    if (part.type === 'text') return { type: 'text', text: textOf(part, i, where) };
    throw badMessages(`${where} content part ${i} has type "${part.type}"; cohere takes text and image_url parts.`);
  });
}

function assistantMessage(m: ChatMessage, where: string): CohereMessage {
  const out: Extract<CohereMessage, { role: 'assistant' }> = { role: 'assistant' };
  const reasoning = typeof m['reasoning_content'] === 'string' ? m['reasoning_content'] : undefined;
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  if (calls.length > 0) {
    out.tool_calls = calls.map((c, i): CohereToolCall => {
      if (typeof c?.id !== 'string' || typeof c.function?.name !== 'string')
        throw badMessages(`${where} tool_calls[${i}] needs an id and a function name.`);
      return {
        id: c.id,
        type: 'function',
        function: { name: c.function.name, arguments: c.function.arguments ?? '' },
      };
    });
    // Cohere writes the plan it made before calling tools in `tool_plan`; answers give it back as reasoning.
    if (reasoning !== undefined && reasoning.length > 0) out.tool_plan = reasoning;
  }
  const text = textParts(m.content, where);
  const hasText = typeof text === 'string' ? text.length > 0 : text.length > 0;
  if (calls.length === 0 && reasoning !== undefined && reasoning.length > 0) {
    // A reasoning model's thinking goes back as a thinking part before the text, as Cohere returned it.
    const thinking: CohereThinkingPart = { type: 'thinking', thinking: reasoning };
    const parts = typeof text === 'string' ? (hasText ? [{ type: 'text' as const, text }] : []) : text;
    out.content = [thinking, ...parts];
  } else if (hasText) {
    out.content = text;
  }
  return out;
}

/** OpenAI messages → Cohere's, in order. Throws a ProviderError (400, param `messages`) for what Cohere cannot take. */
export function toCohereMessages(messages: ChatMessage[]): CohereMessage[] {
  return messages.map((m, i): CohereMessage => {
    const where = `messages[${i}]`;
    if (m === null || typeof m !== 'object') throw badMessages(`${where} is not a message object.`);
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: textParts(m.content, where) };
      case 'user':
        return { role: 'user', content: userContent(m.content, where) };
      case 'assistant':
        return assistantMessage(m, where);
      case 'tool':
        if (typeof m.tool_call_id !== 'string' || m.tool_call_id.length === 0)
          throw badMessages(`${where} is a tool message without tool_call_id.`);
        return { role: 'tool', tool_call_id: m.tool_call_id, content: textParts(m.content, where) };
      case 'function':
        throw badMessages(`${where} has the deprecated role "function"; send tool results as role "tool".`);
      default:
        throw badMessages(
          `${where} has role ${JSON.stringify(m.role)}; cohere takes system, user, assistant and tool.`,
        );
    }
  });
}

/** `{api_base}/v2/chat`; an api_base written as LiteLLM's full URL (…/v1/chat, …/v2/chat) or ending in a version is accepted. */
export function cohereChatUrl(deployment: ProviderDeployment): string {
  const base = (deployment.apiBase ?? COHERE_DEFAULT_API_BASE).replace(/\/+$/, '').replace(/\/v[12](\/chat)?$/, '');
  return `${base}/v2/chat`;
}

/**
 * The request fields: the client's, with the deployment's request defaults filling what it left out and
 * the gateway-only members removed.
 */
function requestFields(input: ChatInput, deployment: ProviderDeployment): OpenAIChatParams {
  const req: Record<string, unknown> = { ...input.body };
  for (const member of input.summary.strip) delete req[member];
  for (const [k, v] of Object.entries(deployment.requestDefaults ?? {})) {
    if (v !== undefined && (req[k] === undefined || req[k] === null)) req[k] = v;
  }
  return req as OpenAIChatParams;
}

/**
 * The Cohere request body for one attempt. Throws a ProviderError (400) for what Cohere cannot take; what
 * the drop settings dropped instead goes to `dropped`, for the translator to log.
 */
export function cohereRequestBody(
  input: ChatInput,
  deployment: ProviderDeployment,
  dropped: DroppedParam[] = [],
): CohereChatRequest {
  const req = requestFields(input, deployment);
  const {
    wire,
    passthrough,
    dropped: droppedHere,
  } = applyParamMap(COHERE_PARAM_MAP, req, { model: deployment.model }, dropSettingsFor(input, deployment));
  dropped.push(...droppedHere);
  for (const k of Object.keys(passthrough)) {
    if (Object.hasOwn(wire, k)) {
      throw new ProviderError({
        ...Errors.invalidRequest(
          `\`${k}\` is set both directly and through its OpenAI parameter. Send only one of them.`,
          k,
          'conflicting_parameters',
        ),
        kind: 'bad_request',
      });
    }
  }
  const body: CohereChatRequest = {
    model: deployment.model,
    messages: toCohereMessages(Array.isArray(req.messages) ? req.messages : []),
    ...passthrough,
    ...wire,
  };
  // OpenAI marks strictness per tool, Cohere per request: any strict tool asks for it.
  if (
    body.tools !== undefined &&
    body['strict_tools'] === undefined &&
    Array.isArray(req.tools) &&
    req.tools.some((t) => (t as { function?: { strict?: unknown } } | null)?.function?.strict === true)
  ) {
    body.strict_tools = true;
  }
  // litellm_params.extra_body: Cohere-native members for every request; the client's own value wins.
  for (const [k, v] of Object.entries(deployment.params?.extra_body ?? {})) {
    if (v !== undefined && body[k] === undefined) body[k] = v;
  }
  if (input.stream) body.stream = true;
  return body;
}

export function buildCohereRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  // Cohere authenticates as OpenAI does: the key as a bearer.
  const headers = openAIHeaders(deployment, ctx);
  if (input.stream) headers['accept'] = 'text/event-stream';
  const dropped: DroppedParam[] = [];
  const body = JSON.stringify(cohereRequestBody(input, deployment, dropped));
  return { url: cohereChatUrl(deployment), method: 'POST', headers, body, ...(dropped.length > 0 && { dropped }) };
}
