import type { ParamMap, OpenAIChatParams } from '../params/param-map.types';

/*
 * What some OpenAI-compatible servers do differently from OpenAI, as data: parameters they refuse or name
 * otherwise (applied through the parameter-map engine, so a refusal is a 400 naming the parameter and the
 * provider unless drop_params says to drop it), and whether they take `stream_options`.
 */

/** Mistral's chat API: OpenAI's shape, with its own names for some fields and no `stream_options`. */
export interface MistralChatWire extends Omit<OpenAIChatParams, 'tool_choice' | 'seed' | 'max_completion_tokens'> {
  random_seed?: number;
  max_tokens?: number;
  tool_choice?: 'auto' | 'none' | 'any' | 'required' | { type: 'function'; function: { name: string } };
}

const UNSUPPORTED_HINT = 'the provider refuses it as an extra input';

/**
 * Mistral refuses unknown members with a 422 ("Extra inputs are not permitted"). Its own names: `random_seed`
 * for `seed`, `max_tokens` for `max_completion_tokens`, tool_choice `any` for `required`. Sources: Mistral's
 * chat completion API reference, and LiteLLM's Mistral parameter mapping.
 */
export const MISTRAL_PARAMS: ParamMap<MistralChatWire> = {
  provider: 'mistral',
  unknownFields: 'passthrough',
  rules: {
    seed: { kind: 'map', to: 'random_seed' },
    max_completion_tokens: { kind: 'map', to: 'max_tokens' },
    tool_choice: {
      kind: 'map',
      transform: (choice) => {
        if (choice === 'required') return 'any';
        if (typeof choice === 'string') return choice;
        if (choice.type === 'function') return choice;
        return 'any';
      },
    },
    user: { kind: 'unsupported', hint: `${UNSUPPORTED_HINT}; the gateway still records it for spend` },
    logit_bias: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    logprobs: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    top_logprobs: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    metadata: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    store: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    service_tier: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    modalities: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    audio: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    web_search_options: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    prompt_cache_key: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    safety_identifier: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    verbosity: { kind: 'unsupported', hint: UNSUPPORTED_HINT },
    reasoning_effort: { kind: 'unsupported', hint: 'Magistral models reason without it' },
    functions: { kind: 'unsupported', hint: 'use `tools`' },
    function_call: { kind: 'unsupported', hint: 'use `tool_choice`' },
  },
};

/**
 * Cerebras answers 400 to these OpenAI fields (its OpenAI-compatibility notes), and takes tool_choice
 * `auto` / `none` only.
 */
export const CEREBRAS_PARAMS: ParamMap<OpenAIChatParams> = {
  provider: 'cerebras',
  unknownFields: 'passthrough',
  rules: {
    frequency_penalty: { kind: 'unsupported' },
    presence_penalty: { kind: 'unsupported' },
    logit_bias: { kind: 'unsupported' },
    parallel_tool_calls: { kind: 'unsupported' },
    service_tier: { kind: 'unsupported' },
    tool_choice: {
      kind: 'map',
      check: {
        validate: (choice) =>
          choice === 'auto' || choice === 'none' ? undefined : 'cerebras takes tool_choice "auto" or "none" only',
      },
    },
  },
};

/**
 * Groq answers 400 to `logprobs`, `logit_bias` and `top_logprobs`, and to `n` other than 1 (its OpenAI
 * compatibility notes). Messages' `name` is refused too; that lives inside `messages`, which the gateway
 * passes through, so Groq's own 400 names it.
 */
export const GROQ_PARAMS: ParamMap<OpenAIChatParams> = {
  provider: 'groq',
  unknownFields: 'passthrough',
  rules: {
    logprobs: { kind: 'unsupported' },
    logit_bias: { kind: 'unsupported' },
    top_logprobs: { kind: 'unsupported' },
    n: { kind: 'map', check: { validate: (n) => (n === 1 ? undefined : 'groq returns one choice, so n must be 1') } },
  },
};

/** xAI's reasoning models (grok-3-mini, grok-4 and later) refuse these; its other models take them. */
const XAI_REASONING = /^grok-(?:3-mini|4|code)/;
const notForReasoning = (param: string) => ({
  kind: 'map' as const,
  check: {
    validate: (_v: unknown, _req: unknown, ctx: { model: string }) =>
      XAI_REASONING.test(ctx.model) ? `xai's reasoning model ${ctx.model} does not take \`${param}\`` : undefined,
  },
});

/**
 * xAI: its reasoning models refuse `presence_penalty`, `frequency_penalty` and `stop`, and grok-4 refuses
 * `reasoning_effort` (only grok-3-mini takes it). Source: xAI's reasoning guide.
 */
export const XAI_PARAMS: ParamMap<OpenAIChatParams> = {
  provider: 'xai',
  unknownFields: 'passthrough',
  rules: {
    presence_penalty: notForReasoning('presence_penalty'),
    frequency_penalty: notForReasoning('frequency_penalty'),
    stop: notForReasoning('stop'),
    reasoning_effort: {
      kind: 'map',
      check: {
        validate: (_v, _req, ctx) =>
          /^grok-3-mini/.test(ctx.model)
            ? undefined
            : `xai takes reasoning_effort on grok-3-mini only, not ${ctx.model}`,
      },
    },
  },
};
