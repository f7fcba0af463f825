import { lookupModel, type ModelInfo } from './model-catalogue';

export interface CostUsage {
  promptTokens: number;
  completionTokens: number;
  /** Subset of promptTokens served from the provider's prompt cache, billed at the cached price. */
  cachedTokens?: number;
}

const PER_MILLION = 1_000_000n;

function tokens(n: number | undefined, what: string): bigint {
  const v = n ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${v}.`);
  return BigInt(v);
}

/**
 * Cost of one request in nano-USD, by exact integer arithmetic: token counts times integer prices per
 * 1M tokens, summed, then divided by 1M once with round-half-up. Reasoning tokens are part of
 * completionTokens (as providers report them), so they need no term of their own.
 */
export function costWith(info: ModelInfo, usage: CostUsage): bigint {
  const prompt = tokens(usage.promptTokens, 'promptTokens');
  const completion = tokens(usage.completionTokens, 'completionTokens');
  let cached = tokens(usage.cachedTokens, 'cachedTokens');
  // Cached tokens are a subset of the prompt; a provider reporting more cannot make the bill negative.
  if (cached > prompt) cached = prompt;
  const scaled =
    (prompt - cached) * info.inputNanosPerMTok +
    cached * info.cachedInputNanosPerMTok +
    completion * info.outputNanosPerMTok;
  return (scaled + PER_MILLION / 2n) / PER_MILLION;
}

/** Cost of one request in nano-USD; 0n when the model is not in the catalogue (check priceKnown()). */
export function costOf(model: string, usage: CostUsage): bigint {
  const info = lookupModel(model);
  return info ? costWith(info, usage) : 0n;
}
