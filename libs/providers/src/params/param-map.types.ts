import type { ChatCompletionRequest } from '../openai-types';

/** The keys `T` declares, without its index signature (so a misspelt key is an error, not `unknown`). */
export type DeclaredKeys<T> = keyof {
  [K in keyof T as string extends K ? never : number extends K ? never : symbol extends K ? never : K]: T[K];
} &
  string;

/** A value as the rules see it: null means "not given" in OpenAI requests, so it never reaches a rule. */
export type Present<T> = Exclude<T, null | undefined>;

export type OpenAIToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: unknown[] } };

/**
 * The OpenAI chat request as parameter maps see it: the gateway's request type plus the optional fields
 * that provider maps need to name (rename, transform or refuse). Types follow the official API reference.
 */
export interface OpenAIChatParams extends ChatCompletionRequest {
  frequency_penalty?: number | null;
  presence_penalty?: number | null;
  seed?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  parallel_tool_calls?: boolean | null;
  tool_choice?: OpenAIToolChoice | null;
  reasoning_effort?: 'minimal' | 'low' | 'medium' | 'high' | null;
  verbosity?: 'low' | 'medium' | 'high' | null;
  metadata?: Record<string, string> | null;
  store?: boolean | null;
  service_tier?: 'auto' | 'default' | 'flex' | 'scale' | 'priority' | null;
  modalities?: Array<'text' | 'audio'> | null;
  audio?: { voice: string; format: string } | null;
  prediction?: { type: 'content'; content: unknown } | null;
  web_search_options?: Record<string, unknown> | null;
  prompt_cache_key?: string | null;
  safety_identifier?: string | null;
  /** Deprecated forms of `tools` / `tool_choice`. */
  functions?: unknown[] | null;
  function_call?: 'none' | 'auto' | { name: string } | null;
}

/** What a rule's functions may know besides the request. */
export interface ParamContext {
  /** Provider name, for messages ("anthropic"). */
  provider: string;
  /** The model the deployment sends upstream. */
  model: string;
}

/**
 * A value a transform cannot express on the wire. The engine treats it like a failed check: a 400 naming
 * the parameter, or a drop when the settings say so. Made by `invalidParam()`.
 */
export class ParamRejection {
  constructor(readonly problem: string) {}
}

/** Returned by a transform for a value the provider cannot take; `problem` completes "Invalid value for `x`: ...". */
export function invalidParam(problem: string): ParamRejection {
  return new ParamRejection(problem);
}

type NumberCheck = {
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  integer?: boolean;
};

/** Checks on the client's value, before any transform. A failure is a 400 (or a drop), never a clamp. */
export type ValueCheck<V, Req> = ([V] extends [number]
  ? NumberCheck
  : { min?: never; max?: never; integer?: never }) & {
  oneOf?: readonly V[];
  /** Returns what is wrong with the value (completing "Invalid value for `x`: ..."), or undefined if it is fine. */
  validate?: (value: V, req: Req, ctx: ParamContext) => string | undefined;
};

type Transform<V, Req, Out> = (value: V, req: Req, ctx: ParamContext) => Out | ParamRejection | undefined;

/**
 * Writes the client's field `K` to the wire field `W`. `to` may be left out when the names are the same;
 * `transform` may be left out only when the client's type fits the wire field as it is.
 */
type MapTo<Req, Wire, K extends DeclaredKeys<Req>, W extends DeclaredKeys<Wire>> = {
  kind: 'map';
  /**
   * The wire value when the client gave none (or it was dropped) and no other field wrote `W`. A function
   * may choose by model; returning undefined leaves the field out.
   */
  default?: Present<Wire[W]> | ((req: Req, ctx: ParamContext) => Present<Wire[W]> | undefined);
  /** The wire needs `W`: with no value and no default, the request is a 400 naming `K`. */
  required?: boolean;
  check?: ValueCheck<Present<Req[K]>, Req>;
} & (W extends K ? { to?: W } : { to: W }) &
  ([Present<Req[K]>] extends [Present<Wire[W]>]
    ? { transform?: Transform<Present<Req[K]>, Req, Present<Wire[W]>> }
    : { transform: Transform<Present<Req[K]>, Req, Present<Wire[W]>> });

export type MapRule<Req, Wire, K extends DeclaredKeys<Req>> = {
  [W in DeclaredKeys<Wire>]: MapTo<Req, Wire, K, W>;
}[DeclaredKeys<Wire>];

/** The provider has no equivalent: a 400 naming the parameter and the provider, unless dropped by setting. */
export interface UnsupportedRule {
  kind: 'unsupported';
  /** What to do instead, appended to the message ("use `max_tokens`"). */
  hint?: string;
}

/** Accepted, and translated by the adapter's own code (`messages`, `stream`), or needing no wire field (`n` of 1). */
export interface ExternalRule<Req, K extends DeclaredKeys<Req>> {
  kind: 'external';
  check?: ValueCheck<Present<Req[K]>, Req>;
}

export type FieldRule<Req, Wire, K extends DeclaredKeys<Req>> =
  MapRule<Req, Wire, K> | UnsupportedRule | ExternalRule<Req, K>;

/** What happens to a request field the map does not name. */
export type UnknownFieldPolicy =
  /** A 400, unless `drop_params` is set (then it is dropped and reported). */
  | 'reject'
  /** Dropped and reported. */
  | 'drop'
  /** Copied to the wire request under the same name (OpenAI-compatible upstreams that take extensions). */
  | 'passthrough';

/**
 * One provider's parameter rules as data, checked against the client's request type `Req` and the
 * provider's wire type `Wire`: a field name that is in neither fails to compile.
 */
export interface ParamMap<Wire, Req = OpenAIChatParams> {
  provider: string;
  unknownFields: UnknownFieldPolicy;
  rules: { [K in DeclaredKeys<Req>]?: FieldRule<Req, Wire, K> };
}

/** LiteLLM's settings for parameters a provider cannot take (`litellm_params` / `litellm_settings`). */
export interface DropSettings {
  /** `drop_params`: drop unsupported parameters, invalid values and unknown fields instead of answering 400. */
  dropParams?: boolean;
  /** `additional_drop_params`: always drop these request fields, supported or not. */
  additionalDropParams?: readonly string[];
}

export type DropReason = 'additional_drop_params' | 'unsupported' | 'invalid_value' | 'unknown_field';

/** A field the engine left out of the wire request, for the caller to log. */
export interface DroppedParam {
  param: string;
  reason: DropReason;
  /** What was wrong with it, for `invalid_value`. */
  detail?: string;
}

export interface ParamMapResult<Wire> {
  /** The wire fields the rules produced; the adapter adds what its own code translates (messages, ...). */
  wire: Partial<Pick<Wire, DeclaredKeys<Wire>>>;
  /** Unknown fields kept by the `passthrough` policy, to copy to the wire request as they are. */
  passthrough: Record<string, unknown>;
  dropped: DroppedParam[];
}
