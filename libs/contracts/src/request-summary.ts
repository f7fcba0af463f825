/**
 * Top-level members of an OpenAI-shaped request that only the gateway reads (routing hints of OpenRouter and
 * LiteLLM): validated at the edge, carried in the summary, and removed before the body goes upstream, where
 * a provider would refuse them as unknown parameters.
 */
export const GATEWAY_ONLY_FIELDS = [
  'models',
  'provider',
  'route',
  'transforms',
  'fallbacks',
  'context_window_fallback_dict',
  'num_retries',
  'disable_fallbacks',
  // LiteLLM's per-request timeouts (seconds): the request's deadline and its first chunk's.
  'timeout',
  'stream_timeout',
  // LiteLLM's per-request drop settings: read by the translator, never sent to a provider.
  'drop_params',
  'additional_drop_params',
] as const;

/**
 * What the gateway's admission learnt of a request body, whatever the client API: sent with the request
 * (H.summary) so the router and the translator act on it without parsing a body they only pass through.
 */
export interface RequestSummary {
  /** The model the client asked for. */
  model: string;
  stream: boolean;
  /** The client asked for the usage chunk at the end of its stream. */
  includeUsage: boolean;
  /** The client's end-user id (`user`), bounded. */
  user?: string;
  tags: string[];
  /** The most output tokens the client allows (`max_tokens` / `max_completion_tokens`). */
  maxTokens?: number;
  /** Choices asked for (`n`), when more than one. */
  n?: number;
  /** Characters of prompt text (message text and tool-call arguments): the basis of usage estimates. */
  promptChars: number;
  /** A request-level list of models to try in order (OpenRouter's `models`, LiteLLM's `fallbacks`). */
  models?: string[];
  /** The request's own `num_retries` (LiteLLM): retries in each model group, over router_settings.num_retries. */
  numRetries?: number;
  /** LiteLLM's `disable_fallbacks`: no fallback group is tried for this request. */
  disableFallbacks?: boolean;
  /**
   * The request's whole deadline, ms: its own `timeout` (or `x-switchyard-timeout`), else its model group's
   * (router_settings.model_group_timeouts); unset means router_settings.timeout.
   */
  timeoutMs?: number;
  /** The request's own `stream_timeout`, ms: the longest wait for a streamed attempt's first chunk. */
  streamTimeoutMs?: number;
  /** OpenRouter's provider routing preferences (`provider`), as the client sent them (checked by the gateway). */
  provider?: Record<string, unknown>;
  /**
   * What the request needs of a model beyond text (tools, image input, a JSON schema response_format, reasoning),
   * for router_settings.enable_pre_call_checks; absent when it needs none of these.
   */
  needs?: ('tools' | 'vision' | 'json_schema' | 'reasoning')[];
  /**
   * The request's top-level parameters (`temperature`, `logprobs`, ...), sent only when `provider.require_parameters`
   * asks that every one of them be supported by the deployment chosen.
   */
  params?: string[];
  /**
   * The request asked for a virtual model of router_settings.auto_routes (`from`), and the gateway's rules sent it
   * to `model` (this summary's model) by the rule named `rule` (`default` when none matched).
   */
  autoRoute?: { from: string; rule: string };
  /** Top-level members only the gateway reads: removed before the body goes upstream. */
  strip: string[];
  /** The client's `stream_options`, when it sent some (the translator merges `include_usage` into it). */
  streamOptions?: Record<string, unknown>;
  /** `metadata` holds values other than strings (OpenAI refuses them upstream; the translator drops them). */
  metadataNeedsEdit?: boolean;
  /**
   * Headers of the client's API that an upstream speaking the same API must get as the client sent them
   * (`anthropic-version`, `anthropic-beta` on /v1/messages), by lower-case name. Only pass-through sends them.
   */
  clientHeaders?: Record<string, string>;
  /** The request counts its input tokens (`/v1/messages/count_tokens`): nothing is generated. */
  countTokens?: boolean;
}

/** JSON for the H.summary header: non-ASCII escaped, so the header stays 7-bit whatever the client wrote. */
export function encodeSummary(s: RequestSummary): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The summary a header carries; undefined when absent or not one (the receiver then reads the body). */
export function decodeSummary(header: string): RequestSummary | undefined {
  if (header === '') return undefined;
  try {
    const s = JSON.parse(header) as Partial<RequestSummary> | null;
    if (
      s === null ||
      typeof s !== 'object' ||
      typeof s.model !== 'string' ||
      typeof s.stream !== 'boolean' ||
      typeof s.promptChars !== 'number' ||
      !Array.isArray(s.strip)
    )
      return undefined;
    return s as RequestSummary;
  } catch {
    return undefined;
  }
}
