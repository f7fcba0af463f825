import { lookupModel } from '@switchyard/pricing';
import type { ProviderDeployment } from '../provider-deployment';
import { bedrockModelId } from './bedrock.credentials';

/** What the adapter needs to know about the model a bedrock deployment calls. */
export interface BedrockModel {
  /** The id in the URL: a foundation model id, a cross-region inference profile id or an ARN. */
  id: string;
  /**
   * The foundation model behind it (region prefix and ARN removed, or the deployment's
   * `model_info.base_model`): what decides the model family and the catalogue entry.
   */
  base: string;
  /** An Anthropic Claude model: extended thinking (reasoning_effort) is available. */
  anthropic: boolean;
  /**
   * Takes Converse's native structured output (`outputConfig.textFormat`), per the Bedrock user guide's
   * list (Claude 4.5 and later); other models get response_format through a forced tool call.
   */
  nativeStructuredOutput: boolean;
  /** The catalogue's maximum output for the model, when the catalogue knows it. */
  maxOutputTokens: number | undefined;
}

/** Geographic prefixes of cross-region inference profiles (`us.anthropic.claude-...`). */
const PROFILE_PREFIX = /^(?:us|us-gov|eu|apac|ap|ca|jp|au|global)\./;
const NATIVE_STRUCTURED = /claude-(?:sonnet|haiku|opus)-(?:4-[5-9]|[5-9])(?:\b|-|$)/;

/** The foundation model id in a model id: `us.anthropic.x` → `anthropic.x`; an ARN's resource name likewise. */
export function baseModelId(id: string): string {
  let base = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id;
  base = base.replace(PROFILE_PREFIX, '');
  return base;
}

/** Whether a foundation model id (`anthropic.claude-...`, `claude-...`) names an Anthropic Claude model. */
export function isAnthropicModel(base: string): boolean {
  return base.startsWith('anthropic.') || /(?:^|[./])claude-/.test(base);
}

export function bedrockModel(deployment: Pick<ProviderDeployment, 'model' | 'baseModel'>): BedrockModel {
  const id = bedrockModelId(deployment.model);
  const declared = deployment.baseModel?.replace(/^bedrock\/(?:converse\/)?/, '');
  const base = baseModelId(declared ?? id);
  const anthropic = isAnthropicModel(base);
  return {
    id,
    base,
    anthropic,
    nativeStructuredOutput: anthropic && NATIVE_STRUCTURED.test(base),
    maxOutputTokens: lookupModel(base)?.maxOutputTokens || undefined,
  };
}

/**
 * The model id as a path segment: every character outside the unreserved set is percent-encoded (`:` of
 * versions, `/` of ARNs), as the AWS SDK writes its URI labels.
 */
export function encodeModelId(id: string): string {
  return encodeURIComponent(id).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
