import { MODEL_CAPABILITIES, type ModelCapability } from './model-catalogue';
import { perTokenToNanosPerMTok, usdToNanosExact } from './price-overrides';

/** A catalogue entry as the catalogue files write it (USD per 1M tokens, USD per request / image). */
export interface CatalogueFileEntry {
  provider: string;
  mode: 'chat' | 'embedding';
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
  reasoningPerMTok?: number;
  perRequest?: number;
  perImage?: number;
  longContext?: {
    aboveInputTokens: number;
    inputPerMTok: number;
    outputPerMTok: number;
    cachedInputPerMTok?: number;
    cacheWritePerMTok?: number;
  };
  contextWindow: number;
  maxOutputTokens: number;
  capabilities: ModelCapability[];
}

export interface LitellmImport {
  models: Record<string, CatalogueFileEntry>;
  /** Entries left out, and why (no token price, a mode the catalogue does not hold, ...). */
  skipped: { name: string; reason: string }[];
  /** Price fields found but not carried over (audio, per second, batch, ...), by name, with a count. */
  ignoredFields: Record<string, number>;
}

/** nano-USD → a USD decimal as JSON writes it (at most 9 fraction digits, which the catalogue reads exactly). */
function usd(nanos: bigint): number {
  const whole = nanos / 1_000_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return Number(frac ? `${whole}.${frac}` : `${whole}`);
}

const MODES: Record<string, 'chat' | 'embedding'> = {
  chat: 'chat',
  completion: 'chat',
  responses: 'chat',
  embedding: 'embedding',
};
const CAPABILITY_FLAGS: Record<string, ModelCapability> = {
  supports_function_calling: 'tools',
  supports_vision: 'vision',
  supports_response_schema: 'json_schema',
  supports_reasoning: 'reasoning',
  supports_prompt_caching: 'prompt_caching',
};
const CARRIED = new Set([
  'input_cost_per_token',
  'output_cost_per_token',
  'cache_read_input_token_cost',
  'cache_creation_input_token_cost',
  'output_cost_per_reasoning_token',
  'input_cost_per_request',
  'input_cost_per_query',
]);
const TIER =
  /^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : undefined;

/**
 * Converts a price map in LiteLLM's `model_prices_and_context_window.json` format into catalogue entries,
 * exactly (per-token USD is converted on its decimal digits, never by a float product). `sample_spec` and
 * entries without a token price or of a mode the catalogue does not hold are skipped and listed.
 */
export function importLitellmPrices(doc: unknown): LitellmImport {
  if (!isObject(doc)) throw new Error('A LiteLLM price map is a JSON object keyed by model name.');
  const out: LitellmImport = { models: {}, skipped: [], ignoredFields: {} };
  for (const [name, raw] of Object.entries(doc)) {
    if (name === 'sample_spec') continue;
    const skip = (reason: string) => out.skipped.push({ name, reason });
    if (!isObject(raw)) {
      skip('not an object');
      continue;
    }
    const mode = MODES[typeof raw['mode'] === 'string' ? raw['mode'] : 'chat'];
    if (!mode) {
      skip(`mode "${String(raw['mode'])}" (the catalogue holds chat and embedding models)`);
      continue;
    }
    if (typeof raw['input_cost_per_token'] !== 'number') {
      skip('no input_cost_per_token');
      continue;
    }
    const provider = typeof raw['litellm_provider'] === 'string' ? raw['litellm_provider'] : '';
    const contextWindow = positiveInt(raw['max_input_tokens']) ?? positiveInt(raw['max_tokens']);
    if (!provider || contextWindow === undefined) {
      skip(provider ? 'no max_input_tokens' : 'no litellm_provider');
      continue;
    }
    try {
      const at = (f: string) => `${name}.${f}`;
      const perMTok = (f: string): number | undefined => {
        const v = raw[f];
        return typeof v === 'number' ? usd(perTokenToNanosPerMTok(v, at(f))) : undefined;
      };
      const perUnit = (f: string): number | undefined => {
        const v = raw[f];
        return typeof v === 'number' ? usd(usdToNanosExact(v, at(f))) : undefined;
      };
      const input = perMTok('input_cost_per_token')!;
      const entry: CatalogueFileEntry = {
        provider,
        mode,
        inputPerMTok: input,
        outputPerMTok: perMTok('output_cost_per_token') ?? 0,
        contextWindow,
        maxOutputTokens:
          positiveInt(raw['max_output_tokens']) ?? (mode === 'chat' ? (positiveInt(raw['max_tokens']) ?? 0) : 0),
        capabilities: [],
      };
      const cached = perMTok('cache_read_input_token_cost');
      // The catalogue refuses a cached read dearer than an uncached one; LiteLLM maps have had such typos.
      if (cached !== undefined && cached <= input) entry.cachedInputPerMTok = cached;
      const write = perMTok('cache_creation_input_token_cost');
      if (write !== undefined) entry.cacheWritePerMTok = write;
      const reasoning = perMTok('output_cost_per_reasoning_token');
      if (reasoning !== undefined && reasoning !== entry.outputPerMTok) entry.reasoningPerMTok = reasoning;
      const request = perUnit('input_cost_per_request') ?? perUnit('input_cost_per_query');
      if (request !== undefined && request > 0) entry.perRequest = request;
      const tiers = Object.keys(raw)
        .map((f) => TIER.exec(f))
        .filter((m): m is RegExpExecArray => m !== null);
      // The lowest threshold is the tier the catalogue keeps (one per model).
      const above = Math.min(...tiers.map((m) => Number(m[2]) * 1000));
      if (tiers.length > 0) {
        const tier = (f: string) => perMTok(`${f}_above_${above / 1000}k_tokens`);
        const tierInput = tier('input_cost_per_token') ?? input;
        const tierCached = tier('cache_read_input_token_cost');
        const tierWrite = tier('cache_creation_input_token_cost');
        entry.longContext = {
          aboveInputTokens: above,
          inputPerMTok: tierInput,
          outputPerMTok: tier('output_cost_per_token') ?? entry.outputPerMTok,
          ...(tierCached !== undefined && tierCached <= tierInput && { cachedInputPerMTok: tierCached }),
          ...(tierWrite !== undefined && { cacheWritePerMTok: tierWrite }),
        };
      }
      for (const [flag, capability] of Object.entries(CAPABILITY_FLAGS))
        if (raw[flag] === true && mode === 'chat') entry.capabilities.push(capability);
      if (mode === 'embedding') entry.capabilities.push('embeddings');
      entry.capabilities.sort((a, b) => MODEL_CAPABILITIES.indexOf(a) - MODEL_CAPABILITIES.indexOf(b));
      for (const f of Object.keys(raw))
        if (/cost/.test(f) && !CARRIED.has(f) && !TIER.test(f) && raw[f] !== 0)
          out.ignoredFields[f] = (out.ignoredFields[f] ?? 0) + 1;
      out.models[name] = entry;
    } catch (e) {
      skip((e as Error).message);
    }
  }
  return out;
}
