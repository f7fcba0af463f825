import { GATEWAY_ONLY_FIELDS } from '@switchyard/contracts';
import type { RequestContext } from '../credentials/credentials.types';
import type { ChatMessage } from '../openai-types';
import { applyParamMap } from '../params/param-map.engine';
import { invalidParam, type OpenAIChatParams, type ParamMap, type ParamRejection } from '../params/param-map.types';
import { dropSettingsFor } from '../params/drop-settings';
import type { ChatInput, UpstreamRequest } from '../provider-adapter';
import type { ProviderDeployment } from '../provider-deployment';
import { checkTools, toGeminiConversation, toGeminiTools } from './gemini.contents';
import type {
  GeminiFunctionCallingMode,
  GeminiGenerationConfig,
  GeminiSafetySetting,
  GeminiThinkingConfig,
  GeminiToolConfig,
  GenerateContentRequest,
} from './gemini.types';

/** The OpenAI request plus the Gemini-specific members LiteLLM accepts for Gemini models. */
export interface GeminiChatParams extends OpenAIChatParams {
  /** Top-k sampling (LiteLLM's `top_k`). */
  top_k?: number | null;
  /** An explicit context cache, `cachedContents/...` (LiteLLM's `cached_content`). */
  cached_content?: string | null;
  /** Gemini's safety settings as they are (LiteLLM's `safety_settings`). */
  safety_settings?: GeminiSafetySetting[] | null;
  /** Anthropic-style thinking switch (LiteLLM accepts it for Gemini): `{type: "enabled", budget_tokens}`. */
  thinking?: { type: 'enabled' | 'disabled'; budget_tokens?: number } | null;
}

/** Where each mapped parameter lands: generationConfig members and the request's own top-level members. */
export interface GeminiParamTargets {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** responseMimeType and responseJsonSchema, from `response_format`. */
  responseFormat?: Pick<GeminiGenerationConfig, 'responseMimeType' | 'responseJsonSchema'>;
  thinkingConfig?: GeminiThinkingConfig;
  toolConfig?: GeminiToolConfig;
  cachedContent?: string;
  safetySettings?: GeminiSafetySetting[];
}

/** Gemini 3 and later take `thinkingLevel`; earlier models a `thinkingBudget`. */
export function isGemini3OrLater(model: string): boolean {
  const m = /gemini-(\d+)/i.exec(model);
  return m !== null && Number(m[1]) >= 3;
}

/** LiteLLM's budgets for Gemini 2.5 (its DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET constants). */
function minimalBudget(model: string): number {
  const m = model.toLowerCase();
  if (m.includes('flash-lite')) return 512;
  if (m.includes('flash')) return 512;
  return 128; // 2.5 Pro's floor, and the generic minimum
}

/**
 * `reasoning_effort` as Gemini's thinkingConfig, thoughts included so they come back as reasoning_content.
 * Gemini 2.5 (and earlier): a budget, as LiteLLM maps it (none 0, minimal 128–512 by model, low 1024,
 * medium 2048, high 4096). Gemini 3+: the level of the same name; a level the model does not offer (3 Pro
 * has no MINIMAL or MEDIUM) is refused by Gemini itself rather than moved to another level here. Gemini 3
 * cannot turn thinking off, so `none` is refused for it.
 */
export function thinkingConfigFor(effort: string, model: string): GeminiThinkingConfig | ParamRejection {
  if (isGemini3OrLater(model)) {
    switch (effort) {
      case 'minimal':
      case 'low':
      case 'medium':
      case 'high':
        return { thinkingLevel: effort.toUpperCase() as GeminiThinkingConfig['thinkingLevel'], includeThoughts: true };
      case 'none':
        return invalidParam('Gemini 3 models always think; use "minimal" or "low" for the least thinking');
      default:
        return invalidParam(`expected "minimal", "low", "medium" or "high", got ${JSON.stringify(effort)}`);
    }
  }
  switch (effort) {
    case 'none':
      return { thinkingBudget: 0, includeThoughts: false };
    case 'minimal':
      return { thinkingBudget: minimalBudget(model), includeThoughts: true };
    case 'low':
      return { thinkingBudget: 1024, includeThoughts: true };
    case 'medium':
      return { thinkingBudget: 2048, includeThoughts: true };
    case 'high':
      return { thinkingBudget: 4096, includeThoughts: true };
    default:
      return invalidParam(`expected "none", "minimal", "low", "medium" or "high", got ${JSON.stringify(effort)}`);
  }
}

function toolChoiceConfig(choice: unknown): GeminiToolConfig | ParamRejection {
  const mode = (m: GeminiFunctionCallingMode, names?: string[]): GeminiToolConfig => ({
    functionCallingConfig: names === undefined ? { mode: m } : { mode: m, allowedFunctionNames: names },
  });
  if (choice === 'none') return mode('NONE');
  if (choice === 'auto') return mode('AUTO');
  if (choice === 'required') return mode('ANY');
  const c = choice as {
    type?: unknown;
    function?: { name?: unknown };
    allowed_tools?: { mode?: unknown; tools?: unknown };
  };
  if (c !== null && typeof c === 'object') {
    if (c.type === 'function' && typeof c.function?.name === 'string') return mode('ANY', [c.function.name]);
    if (c.type === 'allowed_tools') {
      const names = allowedToolNames(choice);
      if (names === undefined) return invalidParam('allowed_tools needs a list of function tools with names');
      // In auto mode the tools are narrowed to the allowed ones instead (see toGeminiTools): Gemini takes
      // allowedFunctionNames only when it must call a function.
      return c.allowed_tools?.mode === 'required' ? mode('ANY', [...names]) : mode('AUTO');
    }
  }
  return invalidParam('expected "none", "auto", "required", a named function or allowed_tools');
}

/** The function names of a tool_choice `allowed_tools`, or undefined when it is none or malformed. */
function allowedToolNames(choice: unknown): Set<string> | undefined {
  const c = choice as { type?: unknown; allowed_tools?: { tools?: unknown } } | null;
  if (c === null || typeof c !== 'object' || c.type !== 'allowed_tools') return undefined;
  const tools = c.allowed_tools?.tools;
  if (!Array.isArray(tools)) return undefined;
  const names = new Set<string>();
  for (const t of tools as Array<{ type?: unknown; function?: { name?: unknown }; name?: unknown }>) {
    const name = t?.function?.name ?? t?.name;
    if (t?.type !== 'function' || typeof name !== 'string') return undefined;
    names.add(name);
  }
  return names;
}

function responseFormatConfig(format: unknown): GeminiParamTargets['responseFormat'] | ParamRejection | undefined {
  const f = format as { type?: unknown; json_schema?: { schema?: unknown } } | null;
  if (f === null || typeof f !== 'object') return invalidParam('expected an object with "type"');
  if (f.type === 'text') return undefined;
  if (f.type === 'json_object') return { responseMimeType: 'application/json' };
  if (f.type === 'json_schema') {
    const schema = f.json_schema?.schema;
    if (schema === null || typeof schema !== 'object') return invalidParam('json_schema needs a "schema" object');
    // Gemini constrains the answer to the schema whether `strict` is set or not.
    return { responseMimeType: 'application/json', responseJsonSchema: schema };
  }
  return invalidParam(
    `type ${JSON.stringify(f.type)} is not one Gemini can produce ("text", "json_object", "json_schema")`,
  );
}

const maxTokens = { kind: 'map', to: 'maxOutputTokens', check: { min: 1, integer: true } } as const;
const penalty = { min: -2, max: 2 } as const;

/** The OpenAI chat parameters, rule by rule, for Gemini (the Gemini API and Vertex AI take the same). */
export const GEMINI_PARAMS: ParamMap<GeminiParamTargets, GeminiChatParams> = {
  provider: 'gemini',
  unknownFields: 'reject',
  rules: {
    model: { kind: 'external' },
    messages: { kind: 'external' },
    stream: { kind: 'external' },
    stream_options: { kind: 'external' },
    // Read by the gateway (end-user spend tracking, tags); Gemini has no field for either.
    user: { kind: 'external' },
    metadata: { kind: 'external' },
    tools: { kind: 'external', check: { validate: (tools) => checkTools(tools) } },
    parallel_tool_calls: {
      kind: 'external',
      check: {
        validate: (v) =>
          v === false
            ? 'Gemini has no switch to turn parallel function calls off (it may always call several)'
            : undefined,
      },
    },
    n: { kind: 'map', to: 'candidateCount', check: { min: 1, max: 8, integer: true } },
    max_tokens: maxTokens,
    max_completion_tokens: maxTokens,
    temperature: { kind: 'map', check: { min: 0, max: 2 } },
    top_p: { kind: 'map', to: 'topP', check: { min: 0, max: 1 } },
    top_k: { kind: 'map', to: 'topK', check: { min: 1, integer: true } },
    stop: {
      kind: 'map',
      to: 'stopSequences',
      check: {
        validate: (stop) => {
          const list = typeof stop === 'string' ? [stop] : stop;
          if (!Array.isArray(list) || list.some((s) => typeof s !== 'string' || s.length === 0))
            return 'expected a non-empty string or an array of them';
          return list.length > 5 ? `Gemini takes at most 5 stop sequences, got ${list.length}` : undefined;
        },
      },
      transform: (stop) => (typeof stop === 'string' ? [stop] : stop),
    },
    seed: { kind: 'map', check: { integer: true } },
    presence_penalty: { kind: 'map', to: 'presencePenalty', check: penalty },
    frequency_penalty: { kind: 'map', to: 'frequencyPenalty', check: penalty },
    response_format: { kind: 'map', to: 'responseFormat', transform: (f) => responseFormatConfig(f) },
    tool_choice: { kind: 'map', to: 'toolConfig', transform: (c) => toolChoiceConfig(c) },
    reasoning_effort: {
      kind: 'map',
      to: 'thinkingConfig',
      transform: (effort, _req, ctx) => thinkingConfigFor(String(effort), ctx.model),
    },
    thinking: {
      kind: 'map',
      to: 'thinkingConfig',
      transform: (t) => {
        if (t.type === 'disabled') return { thinkingBudget: 0 };
        if (t.type !== 'enabled')
          return invalidParam('expected {"type": "enabled", "budget_tokens": n} or {"type": "disabled"}');
        return typeof t.budget_tokens === 'number'
          ? { includeThoughts: true, thinkingBudget: t.budget_tokens }
          : { includeThoughts: true };
      },
    },
    cached_content: { kind: 'map', to: 'cachedContent' },
    safety_settings: {
      kind: 'map',
      to: 'safetySettings',
      check: {
        validate: (s) =>
          Array.isArray(s) && s.every((x) => x !== null && typeof x === 'object')
            ? undefined
            : 'expected an array of {category, threshold}',
      },
    },
    logprobs: { kind: 'unsupported', hint: "Gemini's log probabilities are not translated to OpenAI's" },
    top_logprobs: { kind: 'unsupported', hint: "Gemini's log probabilities are not translated to OpenAI's" },
    logit_bias: { kind: 'unsupported' },
    functions: { kind: 'unsupported', hint: 'use `tools`' },
    function_call: { kind: 'unsupported', hint: 'use `tool_choice`' },
    store: { kind: 'unsupported' },
    service_tier: { kind: 'unsupported' },
    modalities: { kind: 'unsupported', hint: 'text answers only' },
    audio: { kind: 'unsupported', hint: 'text answers only' },
    prediction: { kind: 'unsupported' },
    web_search_options: { kind: 'unsupported' },
    verbosity: { kind: 'unsupported' },
    prompt_cache_key: { kind: 'unsupported', hint: 'Gemini caches repeated prompt prefixes by itself' },
    safety_identifier: { kind: 'unsupported' },
  },
};

/** The request's parameters: the client's, with the deployment's litellm_params defaults where it set none. */
function requestParams(input: ChatInput, deployment: ProviderDeployment): GeminiChatParams {
  const req: Record<string, unknown> = { ...input.body };
  for (const f of GATEWAY_ONLY_FIELDS) delete req[f];
  for (const [k, v] of Object.entries(deployment.requestDefaults ?? {})) {
    if (v !== undefined && (req[k] === undefined || req[k] === null)) req[k] = v;
  }
  return req as GeminiChatParams;
}

/** The model id as the URL names it (`models/gemini-x` and `gemini-x` are the same model). */
export function geminiModelId(model: string): string {
  return model.startsWith('models/') ? model.slice('models/'.length) : model;
}

/**
 * The GenerateContent body for a chat request: conversation, tools and generation settings, through the
 * parameter map (a parameter Gemini cannot take is a 400 unless drop_params says to drop it). The
 * deployment's `extra_body` members are added where the translation set nothing of the same name.
 */
export function buildGenerateContentBody(input: ChatInput, deployment: ProviderDeployment): GenerateContentRequest {
  const req = requestParams(input, deployment);
  const model = geminiModelId(deployment.model);
  const { wire, dropped } = applyParamMap(GEMINI_PARAMS, req, { model }, dropSettingsFor(input, deployment));
  const conversation = toGeminiConversation(req.messages as ChatMessage[]);
  const body: GenerateContentRequest = { contents: conversation.contents };
  if (conversation.systemInstruction !== undefined) body.systemInstruction = conversation.systemInstruction;
  if (Array.isArray(req.tools) && req.tools.length > 0 && !dropped.some((d) => d.param === 'tools')) {
    const only =
      (req.tool_choice as { allowed_tools?: { mode?: unknown } } | undefined)?.allowed_tools?.mode === 'required'
        ? undefined
        : allowedToolNames(req.tool_choice);
    const tools = toGeminiTools(req.tools, only);
    if (tools.length > 0) body.tools = tools;
  }
  if (wire.toolConfig !== undefined) body.toolConfig = wire.toolConfig;
  const g: GeminiGenerationConfig = {};
  if (wire.stopSequences !== undefined) g.stopSequences = wire.stopSequences;
  if (wire.responseFormat !== undefined) Object.assign(g, wire.responseFormat);
  if (wire.candidateCount !== undefined) g.candidateCount = wire.candidateCount;
  if (wire.maxOutputTokens !== undefined) g.maxOutputTokens = wire.maxOutputTokens;
  if (wire.temperature !== undefined) g.temperature = wire.temperature;
  if (wire.topP !== undefined) g.topP = wire.topP;
  if (wire.topK !== undefined) g.topK = wire.topK;
  if (wire.seed !== undefined) g.seed = wire.seed;
  if (wire.presencePenalty !== undefined) g.presencePenalty = wire.presencePenalty;
  if (wire.frequencyPenalty !== undefined) g.frequencyPenalty = wire.frequencyPenalty;
  if (wire.thinkingConfig !== undefined) g.thinkingConfig = wire.thinkingConfig;
  if (Object.keys(g).length > 0) body.generationConfig = g;
  if (wire.safetySettings !== undefined) body.safetySettings = wire.safetySettings;
  if (wire.cachedContent !== undefined) body.cachedContent = wire.cachedContent;
  const extra = deployment.params?.extra_body;
  if (extra !== undefined) for (const [k, v] of Object.entries(extra)) if (body[k] === undefined) body[k] = v;
  return body;
}

/** Request headers: JSON, the stream's media type, the deployment's extra_headers (which win). */
export function googleHeaders(
  deployment: ProviderDeployment,
  stream: boolean,
  auth: Record<string, string>,
): Record<string, string> {
  const h: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...auth,
  };
  const extra = deployment.params?.extra_headers;
  if (extra !== undefined) for (const [k, v] of Object.entries(extra)) h[k.toLowerCase()] = v;
  return h;
}

export const GEMINI_API_BASE = 'https://generativelanguage.googleapis.com';

/**
 * `{api_base}/v1beta/models/{model}:generateContent` (or `:streamGenerateContent?alt=sse`). An api_base that
 * already ends in a version (`.../v1beta`, `.../v1`) is used as it is.
 */
export function geminiUrl(deployment: ProviderDeployment, stream: boolean): string {
  const base = (deployment.apiBase ?? GEMINI_API_BASE).replace(/\/+$/, '');
  const root = /\/v1(beta\d*|alpha)?$/.test(base) ? base : `${base}/v1beta`;
  const method = stream ? 'streamGenerateContent?alt=sse' : 'generateContent';
  return `${root}/models/${geminiModelId(deployment.model)}:${method}`;
}

/** The Gemini API request: the deployment's key in `x-goog-api-key` (never in the URL, where logs keep it). */
export function buildGeminiRequest(
  input: ChatInput,
  deployment: ProviderDeployment,
  ctx: RequestContext,
): UpstreamRequest {
  const key = ctx.credentials.apiKey;
  if (key === undefined || key.length === 0) {
    throw new Error(
      `deployment '${deployment.id}' (gemini/${deployment.model}) has no api_key; set litellm_params.api_key (or GEMINI_API_KEY).`,
    );
  }
  return {
    url: geminiUrl(deployment, input.stream),
    method: 'POST',
    headers: googleHeaders(deployment, input.stream, { 'x-goog-api-key': key }),
    body: JSON.stringify(buildGenerateContentBody(input, deployment)),
  };
}
