import { isVertexAnthropicModel } from '../anthropic/anthropic-vertex.adapter';
import { ANTHROPIC_PARAM_MAP } from '../anthropic/anthropic.request';
import { BEDROCK_PARAM_MAP } from '../bedrock/bedrock.request';
import { COHERE_PARAM_MAP } from '../cohere/cohere.request';
import { GEMINI_PARAMS } from '../gemini/gemini.request';
import { OPENAI_COMPATIBLE_PROFILES } from '../openai/openai.request';
import type { ParamMap } from './param-map.types';

/** The erased view of a parameter map: which fields it names, and how (the rules' types are not needed here). */
interface MapView {
  unknownFields: ParamMap<unknown>['unknownFields'];
  rules: Readonly<Record<string, { kind: string } | undefined>>;
}

const view = (map: { unknownFields: MapView['unknownFields']; rules: object }): MapView => map as MapView;

/**
 * The parameter map a deployment's adapter applies, by its provider (and, on Vertex AI, its model's publisher);
 * undefined for an OpenAI-compatible server with no quirks, which takes every OpenAI parameter.
 */
function paramMapOf(d: { provider: string; model: string }): MapView | undefined {
  switch (d.provider) {
    case 'anthropic':
      return view(ANTHROPIC_PARAM_MAP);
    case 'gemini':
      return view(GEMINI_PARAMS);
    case 'vertex_ai':
    case 'vertex_ai_beta':
      return view(isVertexAnthropicModel(d.model) ? ANTHROPIC_PARAM_MAP : GEMINI_PARAMS);
    case 'bedrock':
    case 'sagemaker':
      return view(BEDROCK_PARAM_MAP);
    case 'cohere':
    case 'cohere_chat':
      return view(COHERE_PARAM_MAP);
    default: {
      const params = OPENAI_COMPATIBLE_PROFILES[d.provider]?.params;
      return params ? view(params) : undefined;
    }
  }
}

/**
 * The request parameters among `params` that a deployment's provider does not take, read from the adapter's own
 * parameter map (the data that decides its 400s): a rule marked `unsupported`, or a field the map does not name
 * when the map refuses unknown fields. What OpenRouter's `require_parameters` filters on. A value the provider
 * refuses (a range, one choice of an enum) is not counted: the parameter itself is supported.
 */
export function unsupportedParams(d: { provider: string; model: string }, params: readonly string[]): string[] {
  const map = paramMapOf(d);
  if (map === undefined) return [];
  return params.filter((p) => {
    const rule = map.rules[p];
    if (rule === undefined) return map.unknownFields === 'reject';
    return rule.kind === 'unsupported';
  });
}
