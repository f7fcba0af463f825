import type { GatewayError } from '@switchyard/contracts';
import type { RoutableDeployment } from './model-resolver';

/**
 * What a request needs of a model beyond text in, text out; the names of the pricing catalogue's capabilities
 * (`tools` for function calling, `vision` for image input, `json_schema` for structured output against a schema,
 * `reasoning` for a reasoning effort or budget).
 */
export const REQUEST_NEEDS = ['tools', 'vision', 'json_schema', 'reasoning'] as const;
export type RequestNeed = (typeof REQUEST_NEEDS)[number];

/** What is known of the model a deployment serves; a field left out is unknown and never excludes it. */
export interface ModelLimits {
  /** Tokens the model takes in one call, prompt and answer together (model_info.max_input_tokens wins). */
  contextWindow?: number;
  /** What the model is known not to do (the catalogue's capabilities, model_info's supports_*); the rest passes. */
  lacks?: ReadonlySet<RequestNeed>;
}

/** What the checks read of a request: the gateway's summary gives the estimate and the needs. */
export interface PreCallRequest {
  /** Estimated prompt tokens. */
  promptTokens: number;
  /** The most output tokens the request allows (`max_tokens`), which must fit beside the prompt. */
  maxTokens?: number;
  needs: readonly RequestNeed[];
}

export type PreCallResult<D> =
  | { ok: true; deployments: D[] }
  /** No deployment is left: the error says why; `contextWindow` when it was for size (context_window_fallbacks). */
  | { ok: false; error: GatewayError; contextWindow: boolean };

/**
 * LiteLLM's `enable_pre_call_checks`: the deployments of a group that can take the request, before the strategy
 * picks one. A deployment is skipped when its model's context window cannot hold the estimated prompt plus the
 * request's max_tokens, or when its model is known to lack a capability the request needs. What the catalogue
 * does not know never excludes (an unknown model is tried, and the provider's own error still falls back).
 * When every deployment is skipped, the error names the tightest reason: a capability missing everywhere, else
 * the context window (`context_length_exceeded`, which context_window_fallbacks act on).
 */
export function preCallCheck<D extends RoutableDeployment>(
  deployments: readonly D[],
  request: PreCallRequest,
  limitsOf: (d: D) => ModelLimits | undefined,
  group: string,
): PreCallResult<D> {
  const kept: D[] = [];
  const needed = request.promptTokens + (request.maxTokens ?? 0);
  let largest = 0;
  let tooSmall = 0;
  const missing = new Map<RequestNeed, number>();
  for (const d of deployments) {
    const limits = limitsOf(d);
    const lacks = request.needs.filter((n) => limits?.lacks?.has(n) === true);
    for (const n of lacks) missing.set(n, (missing.get(n) ?? 0) + 1);
    const window = limits?.contextWindow;
    const fits = window === undefined || needed <= window;
    if (window !== undefined) largest = Math.max(largest, window);
    if (!fits) tooSmall++;
    if (fits && lacks.length === 0) kept.push(d);
  }
  if (kept.length > 0 || deployments.length === 0) return { ok: true, deployments: kept };
  const everywhere = request.needs.filter((n) => missing.get(n) === deployments.length);
  if (everywhere.length > 0 || tooSmall === 0) {
    const names = (everywhere.length > 0 ? everywhere : [...missing.keys()]).map(describeNeed);
    return {
      ok: false,
      contextWindow: false,
      error: {
        // Not the request's fault alone: another model group (fallbacks, the request's `models`) may serve it.
        kind: 'not_found',
        status: 400,
        type: 'invalid_request_error',
        param: paramOf(everywhere[0] ?? [...missing.keys()][0]),
        code: 'model_capability_missing',
        message:
          `No deployment of model \`${group}\` supports ${names.join(' and ')}, which this request uses ` +
          `(router_settings.enable_pre_call_checks). Ask for a model that does, or leave ${names.length > 1 ? 'them' : 'it'} out.`,
      },
    };
  }
  return {
    ok: false,
    contextWindow: true,
    error: {
      kind: 'context_window',
      status: 400,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
      message:
        `This request needs about ${needed} tokens (prompt${request.maxTokens ? ' plus max_tokens' : ''}), more than ` +
        `the context window of any deployment of model \`${group}\` (largest ${largest} tokens). Shorten the ` +
        `messages${request.maxTokens ? ' or lower max_tokens' : ''}, or ask for a model with a larger context window.`,
    },
  };
}

function describeNeed(n: RequestNeed): string {
  switch (n) {
    case 'tools':
      return 'tool calls (`tools`)';
    case 'vision':
      return 'image input';
    case 'json_schema':
      return 'structured output (`response_format` json_schema)';
    case 'reasoning':
      return 'reasoning (`reasoning_effort`)';
  }
}

function paramOf(n: RequestNeed | undefined): string | null {
  switch (n) {
    case 'tools':
      return 'tools';
    case 'vision':
      return 'messages';
    case 'json_schema':
      return 'response_format';
    case 'reasoning':
      return 'reasoning_effort';
    default:
      return null;
  }
}
