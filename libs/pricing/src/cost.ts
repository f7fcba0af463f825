import { lookupModel, type LongContextPricing, type ModelInfo } from './model-catalogue';

export interface CostUsage {
  /** Every input token, cached reads and cache writes included (the TokenUsage convention). */
  promptTokens: number;
  /** Every output token, reasoning included. */
  completionTokens: number;
  /** Part of promptTokens read from the provider's prompt cache, billed at the cached price. */
  cachedTokens?: number;
  /** Part of promptTokens written to the prompt cache, billed at the cache-write price. */
  cacheWriteTokens?: number;
  /** Part of completionTokens spent on reasoning, billed at the reasoning price (the output price by default). */
  reasoningTokens?: number;
  /** Input images, for models with a per-image price. */
  images?: number;
}

/** The prices cost is computed from: a catalogue entry, or one with a deployment's overrides applied. */
export interface PriceSheet {
  inputNanosPerMTok: bigint;
  outputNanosPerMTok: bigint;
  cachedInputNanosPerMTok: bigint;
  cacheWriteNanosPerMTok?: bigint;
  reasoningNanosPerMTok?: bigint;
  requestNanos?: bigint;
  imageNanos?: bigint;
  longContext?: Omit<LongContextPricing, 'usdPerMTok'>;
}

/**
 * A request's cost in nano-USD, by part. Each token part is rounded half-up to the nano once (token count
 * times an integer price per 1M tokens, divided once), and the total is the sum of the parts, so the parts
 * a usage row keeps always add up to its cost.
 */
export interface CostBreakdown {
  /** Uncached input tokens. */
  inputNanos: bigint;
  /** Cached-read input tokens. */
  cachedNanos: bigint;
  cacheWriteNanos: bigint;
  /** Output tokens other than reasoning ones. */
  outputNanos: bigint;
  reasoningNanos: bigint;
  /** The per-request price. */
  requestNanos: bigint;
  imageNanos: bigint;
  totalNanos: bigint;
  /** The prompt was above the model's long-context threshold, so the whole request took the tier's prices. */
  longContext: boolean;
}

const PER_MILLION = 1_000_000n;

function count(n: number | undefined, what: string): bigint {
  const v = n ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${what} must be a non-negative integer, got ${v}.`);
  return BigInt(v);
}

const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const perMTok = (tokens: bigint, nanosPerMTok: bigint): bigint =>
  (tokens * nanosPerMTok + PER_MILLION / 2n) / PER_MILLION;

/**
 * Cost of one request by part, by exact integer arithmetic. Cached reads and cache writes are parts of the
 * prompt and reasoning a part of the completion (as TokenUsage reports them); a provider reporting more of a
 * part than its whole cannot make another part negative. Above the long-context threshold (prompt tokens,
 * cached ones included, strictly above it) every token of the request takes the tier's price, as the
 * providers bill it.
 */
export function costBreakdown(sheet: PriceSheet, usage: CostUsage): CostBreakdown {
  const prompt = count(usage.promptTokens, 'promptTokens');
  const completion = count(usage.completionTokens, 'completionTokens');
  const cached = min(count(usage.cachedTokens, 'cachedTokens'), prompt);
  const cacheWrite = min(count(usage.cacheWriteTokens, 'cacheWriteTokens'), prompt - cached);
  const reasoning = min(count(usage.reasoningTokens, 'reasoningTokens'), completion);
  const images = count(usage.images, 'images');
  const lc = sheet.longContext;
  const tiered = lc !== undefined && prompt > BigInt(lc.aboveInputTokens);
  const input = tiered ? lc.inputNanosPerMTok : sheet.inputNanosPerMTok;
  const output = tiered ? lc.outputNanosPerMTok : sheet.outputNanosPerMTok;
  const cachedPrice = tiered ? lc.cachedInputNanosPerMTok : sheet.cachedInputNanosPerMTok;
  // Where writes are not billed apart they cost the ordinary input price (of the tier in force).
  const writePrice = (tiered ? lc.cacheWriteNanosPerMTok : sheet.cacheWriteNanosPerMTok) ?? input;
  const reasoningPrice = sheet.reasoningNanosPerMTok ?? output;
  const parts = {
    inputNanos: perMTok(prompt - cached - cacheWrite, input),
    cachedNanos: perMTok(cached, cachedPrice),
    cacheWriteNanos: perMTok(cacheWrite, writePrice),
    outputNanos: perMTok(completion - reasoning, output),
    reasoningNanos: perMTok(reasoning, reasoningPrice),
    requestNanos: sheet.requestNanos ?? 0n,
    imageNanos: images * (sheet.imageNanos ?? 0n),
  };
  const totalNanos =
    parts.inputNanos +
    parts.cachedNanos +
    parts.cacheWriteNanos +
    parts.outputNanos +
    parts.reasoningNanos +
    parts.requestNanos +
    parts.imageNanos;
  return { ...parts, totalNanos, longContext: tiered };
}

/** Cost of one request in nano-USD against a given price sheet (a catalogue entry, say). */
export function costWith(info: PriceSheet, usage: CostUsage): bigint {
  return costBreakdown(info, usage).totalNanos;
}

/** Cost of one request in nano-USD; 0n when the model is not in the catalogue (check priceKnown()). */
export function costOf(model: string, usage: CostUsage): bigint {
  const info: ModelInfo | undefined = lookupModel(model);
  return info ? costWith(info, usage) : 0n;
}
