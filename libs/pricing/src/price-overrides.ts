import type { PriceSheet } from './cost';
import { lookupModel, type ModelInfo } from './model-catalogue';

/**
 * Prices a deployment sets for itself (LiteLLM's `model_info.input_cost_per_token` and friends), in the
 * catalogue's unit: nano-USD per 1M tokens, or nano-USD per request / image. Each one set replaces the
 * catalogue's price of the deployment's model; the others keep the catalogue's.
 */
export interface PriceOverrides {
  inputNanosPerMTok?: bigint;
  outputNanosPerMTok?: bigint;
  cachedInputNanosPerMTok?: bigint;
  cacheWriteNanosPerMTok?: bigint;
  reasoningNanosPerMTok?: bigint;
  requestNanos?: bigint;
  imageNanos?: bigint;
  longContext?: {
    aboveInputTokens: number;
    inputNanosPerMTok?: bigint;
    outputNanosPerMTok?: bigint;
    cachedInputNanosPerMTok?: bigint;
    cacheWriteNanosPerMTok?: bigint;
  };
}

const PLAIN = /^(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;

/**
 * `value × 10^shift` as an integer, rounded half-up, computed on the decimal digits (never a float
 * product): `2.5e-6` USD per token shifted by 15 is 2_500_000_000 nano-USD per 1M tokens, exactly.
 */
export function shiftDecimal(value: number | string, shift: number, where = 'price'): bigint {
  const text = typeof value === 'number' ? String(value) : value.trim();
  const m = PLAIN.exec(text);
  if (
    (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) ||
    !m ||
    (m[1] === '' && (m[2] ?? '') === '')
  )
    throw new Error(`${where}: ${JSON.stringify(value)} is not a non-negative number such as 0.0000025.`);
  const digits = (m[1] ?? '') + (m[2] ?? '');
  const exp = shift + Number(m[3] ?? 0) - (m[2] ?? '').length;
  if (exp >= 0) return BigInt(digits || '0') * 10n ** BigInt(exp);
  const divisor = 10n ** BigInt(-exp);
  return (BigInt(digits || '0') + divisor / 2n) / divisor;
}

/** USD per token (LiteLLM's unit) → nano-USD per 1M tokens (the catalogue's). */
export const perTokenToNanosPerMTok = (v: number | string, where?: string): bigint => shiftDecimal(v, 15, where);
/** USD → nano-USD. */
export const usdToNanosExact = (v: number | string, where?: string): bigint => shiftDecimal(v, 9, where);

/** LiteLLM's per-token price fields and the override each one sets. */
const TOKEN_FIELDS = {
  input_cost_per_token: 'inputNanosPerMTok',
  output_cost_per_token: 'outputNanosPerMTok',
  cache_read_input_token_cost: 'cachedInputNanosPerMTok',
  cache_creation_input_token_cost: 'cacheWriteNanosPerMTok',
  output_cost_per_reasoning_token: 'reasoningNanosPerMTok',
} as const;
/**
 * LiteLLM's per-call price fields (USD). `input_cost_per_image` is not among them: no adapter reports image
 * counts yet, so a per-image price set here would be accepted and never applied; it is refused instead.
 */
const UNIT_FIELDS = {
  input_cost_per_request: 'requestNanos',
  input_cost_per_query: 'requestNanos',
} as const;
const TIER_FIELDS = {
  input_cost_per_token: 'inputNanosPerMTok',
  output_cost_per_token: 'outputNanosPerMTok',
  cache_read_input_token_cost: 'cachedInputNanosPerMTok',
  cache_creation_input_token_cost: 'cacheWriteNanosPerMTok',
} as const;
const TIER =
  /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$/;

/** Every LiteLLM price field Switchyard applies, for docs and error messages. */
export const LITELLM_PRICE_FIELDS: readonly string[] = [
  ...Object.keys(TOKEN_FIELDS),
  ...Object.keys(UNIT_FIELDS),
  ...Object.keys(TIER_FIELDS).map((f) => `${f}_above_<N>k_tokens`),
];

/**
 * A LiteLLM field that names a price but is not one Switchyard can apply (audio, per second, per character,
 * batch, ...): such a setting must be refused, not accepted and ignored.
 */
export function isLitellmPriceField(field: string): boolean {
  return /cost/.test(field);
}

/**
 * Reads LiteLLM's price fields out of a `model_info` (or `litellm_params`) object; other fields are left
 * alone. Undefined when it sets no price. Throws, naming the field, on a value that is not a non-negative
 * number, on a price field it cannot apply, and on tiers at two different thresholds.
 */
export function litellmPriceOverrides(raw: Record<string, unknown>, where: string): PriceOverrides | undefined {
  const out: PriceOverrides = {};
  let any = false;
  for (const [field, value] of Object.entries(raw)) {
    if (value === undefined || value === null || !isLitellmPriceField(field)) continue;
    const at = `${where}.${field}`;
    if (typeof value !== 'number' && typeof value !== 'string')
      throw new Error(`${at} must be a number (USD), e.g. 0.0000025.`);
    const tier = TIER.exec(field);
    if (Object.hasOwn(TOKEN_FIELDS, field)) {
      out[TOKEN_FIELDS[field as keyof typeof TOKEN_FIELDS]] = perTokenToNanosPerMTok(value, at);
    } else if (Object.hasOwn(UNIT_FIELDS, field)) {
      out[UNIT_FIELDS[field as keyof typeof UNIT_FIELDS]] = usdToNanosExact(value, at);
    } else if (tier) {
      const above = Number(tier[2]) * 1000;
      if (out.longContext && out.longContext.aboveInputTokens !== above)
        throw new Error(
          `${at}: tiers above ${out.longContext.aboveInputTokens} and ${above} tokens; one long-context threshold per deployment is supported.`,
        );
      out.longContext ??= { aboveInputTokens: above };
      out.longContext[TIER_FIELDS[tier[1] as keyof typeof TIER_FIELDS]] = perTokenToNanosPerMTok(value, at);
    } else {
      throw new Error(
        `${at} is a price Switchyard cannot apply; remove it. Supported: ${LITELLM_PRICE_FIELDS.join(', ')}.`,
      );
    }
    any = true;
  }
  return any ? out : undefined;
}

/**
 * The prices of a model with a deployment's overrides applied; undefined when neither the catalogue entry
 * nor the overrides give an input price (the request is then unpriced, never costed at 0). Without a
 * catalogue entry an override sheet without an output price bills output at 0, as LiteLLM does.
 */
export function applyPriceOverrides(
  base: PriceSheet | undefined,
  o: PriceOverrides | undefined,
): PriceSheet | undefined {
  if (!o) return base;
  const input = o.inputNanosPerMTok ?? base?.inputNanosPerMTok;
  if (input === undefined) return undefined;
  const output = o.outputNanosPerMTok ?? base?.outputNanosPerMTok ?? 0n;
  // A base cached price equal to the base input price means "no discount": it follows an overridden input.
  const baseCached =
    base && base.cachedInputNanosPerMTok !== base.inputNanosPerMTok ? base.cachedInputNanosPerMTok : undefined;
  const sheet: PriceSheet = {
    inputNanosPerMTok: input,
    outputNanosPerMTok: output,
    cachedInputNanosPerMTok: o.cachedInputNanosPerMTok ?? baseCached ?? input,
  };
  const cacheWrite = o.cacheWriteNanosPerMTok ?? base?.cacheWriteNanosPerMTok;
  if (cacheWrite !== undefined) sheet.cacheWriteNanosPerMTok = cacheWrite;
  const reasoning = o.reasoningNanosPerMTok ?? base?.reasoningNanosPerMTok;
  if (reasoning !== undefined) sheet.reasoningNanosPerMTok = reasoning;
  const request = o.requestNanos ?? base?.requestNanos;
  if (request !== undefined) sheet.requestNanos = request;
  const image = o.imageNanos ?? base?.imageNanos;
  if (image !== undefined) sheet.imageNanos = image;
  const lc = o.longContext;
  if (lc) {
    const tierInput = lc.inputNanosPerMTok ?? sheet.inputNanosPerMTok;
    sheet.longContext = {
      aboveInputTokens: lc.aboveInputTokens,
      inputNanosPerMTok: tierInput,
      outputNanosPerMTok: lc.outputNanosPerMTok ?? sheet.outputNanosPerMTok,
      cachedInputNanosPerMTok: lc.cachedInputNanosPerMTok ?? tierInput,
      ...(lc.cacheWriteNanosPerMTok !== undefined && { cacheWriteNanosPerMTok: lc.cacheWriteNanosPerMTok }),
    };
  } else if (base?.longContext && o.inputNanosPerMTok === undefined && o.outputNanosPerMTok === undefined) {
    // The catalogue's tier stays only while the base prices it sits above are the catalogue's too.
    sheet.longContext = base.longContext;
  }
  return sheet;
}

/** How a request's price was found. */
export type PriceSource = 'catalogue' | 'override' | 'provider';

export interface ResolvedPrice {
  sheet: PriceSheet;
  source: Exclude<PriceSource, 'provider'>;
  /** The catalogue entry the price came from, when one did. */
  entry?: ModelInfo;
}

/**
 * The prices for a model (the deployment's `base_model` when set, else the model sent upstream) with the
 * deployment's overrides; undefined when there is none.
 */
export function resolvePrice(model: string | null | undefined, overrides?: PriceOverrides): ResolvedPrice | undefined {
  const entry = model ? lookupModel(model) : undefined;
  const sheet = applyPriceOverrides(entry, overrides);
  if (!sheet) return undefined;
  return { sheet, source: overrides ? 'override' : 'catalogue', ...(entry && { entry }) };
}
