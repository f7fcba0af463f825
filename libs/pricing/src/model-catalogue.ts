import { createHash } from 'node:crypto';
import rawCatalogue from './catalogue.json';
import azureCatalogue from './catalogue/azure.json';
import bedrockCatalogue from './catalogue/bedrock.json';
import vertexCatalogue from './catalogue/vertex_ai.json';
import importedCatalogue from './catalogue/imported.json';

/** The catalogue's files: the main one, and one per provider whose model ids differ from the vendor's own. */
const CATALOGUE_FILES: ReadonlyArray<readonly [string, unknown]> = [
  ['catalogue.json', rawCatalogue],
  ['catalogue/azure.json', azureCatalogue],
  ['catalogue/bedrock.json', bedrockCatalogue],
  ['catalogue/vertex_ai.json', vertexCatalogue],
];

/**
 * Entries imported from a price map in LiteLLM's format (tools/import-litellm-prices.ts): unlike the files
 * above, an entry here replaces a built-in one of the same name, so a user's custom prices win.
 */
const OVERRIDE_FILES: ReadonlyArray<readonly [string, unknown]> = [['catalogue/imported.json', importedCatalogue]];

/** What a model does: chat completions, embeddings, or legacy (prompt-in, text-out) completions. */
export type ModelMode = 'chat' | 'embedding' | 'completion';

/**
 * What a model can do, as the catalogue records it: `tools` (function calling), `vision` (image input),
 * `json_schema` (structured output against a schema), `reasoning` (thinking tokens), `prompt_caching` (cached
 * input billed at a discount), `embeddings` (an embedding model).
 */
export const MODEL_CAPABILITIES = [
  'tools',
  'vision',
  'json_schema',
  'reasoning',
  'prompt_caching',
  'embeddings',
] as const;
export type ModelCapability = (typeof MODEL_CAPABILITIES)[number];

/** Prices, nano-USD per 1M tokens, that apply to a whole request whose prompt is above a size. */
export interface LongContextPricing {
  /** The tier applies when the prompt (input tokens, cached ones included) is above this many tokens. */
  aboveInputTokens: number;
  inputNanosPerMTok: bigint;
  outputNanosPerMTok: bigint;
  /** Equals this tier's input price when the provider lists no cached price for it. */
  cachedInputNanosPerMTok: bigint;
  /** Undefined when the provider lists no cache-write price for this tier. */
  cacheWriteNanosPerMTok?: bigint;
  usdPerMTok: { input: number; output: number; cachedInput: number; cacheWrite?: number };
}

/** One model of the catalogue, with prices as integer nano-USD per 1M tokens (exact, no floats). */
export interface ModelInfo {
  /** Catalogue key: the bare model name, e.g. "gpt-4o". */
  name: string;
  provider: string;
  mode: ModelMode;
  /** nano-USD per 1M input tokens: per million so that every listed price is an integer. */
  inputNanosPerMTok: bigint;
  outputNanosPerMTok: bigint;
  /** Price of cached input tokens; equals the input price when the provider has no discount. */
  cachedInputNanosPerMTok: bigint;
  /**
   * Price of input tokens written to the prompt cache (Anthropic's 5-minute writes, 1.25x input), for
   * providers that bill writes apart; undefined where writes cost the ordinary input price.
   */
  cacheWriteNanosPerMTok?: bigint;
  /**
   * A higher price tier for long prompts (Gemini 2.5 Pro above 200k, Claude Sonnet 4/4.5 with the 1M beta
   * above 200k, GPT-5.4 above 272k). Recorded for the spend service; costOf() does not apply it yet.
   */
  longContext?: LongContextPricing;
  /**
   * Price of reasoning (thinking) output tokens where the provider bills them apart from other output;
   * undefined where they cost the output price (every current provider), so they are priced as output.
   */
  reasoningNanosPerMTok?: bigint;
  /** A fixed price per request (nano-USD), on top of the token prices (search-grounded and per-call models). */
  requestNanos?: bigint;
  /** A price per input image (nano-USD), on top of the token prices, for models that bill images apart. */
  imageNanos?: bigint;
  /** Max input tokens. */
  contextWindow: number;
  maxOutputTokens: number;
  /** What the model can do; empty when the catalogue does not say. */
  capabilities: readonly ModelCapability[];
  /** Prices as written in the catalogue file, USD per 1M tokens, for display only. */
  usdPerMTok: { input: number; output: number; cachedInput: number; cacheWrite?: number };
}

interface RawLongContext {
  aboveInputTokens: number;
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
}

interface RawEntry {
  provider: string;
  mode: string;
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
  reasoningPerMTok?: number;
  /** USD per request. */
  perRequest?: number;
  /** USD per input image. */
  perImage?: number;
  longContext?: RawLongContext;
  contextWindow: number;
  maxOutputTokens: number;
  capabilities?: string[];
  aliases?: string[];
}

const ENTRY_FIELDS: ReadonlySet<string> = new Set([
  'provider',
  'mode',
  'inputPerMTok',
  'outputPerMTok',
  'cachedInputPerMTok',
  'cacheWritePerMTok',
  'reasoningPerMTok',
  'perRequest',
  'perImage',
  'longContext',
  'contextWindow',
  'maxOutputTokens',
  'capabilities',
  'aliases',
]);
const LONG_CONTEXT_FIELDS: ReadonlySet<string> = new Set([
  'aboveInputTokens',
  'inputPerMTok',
  'outputPerMTok',
  'cachedInputPerMTok',
  'cacheWritePerMTok',
]);

const DECIMAL = /^(\d+)(?:\.(\d{1,9}))?$/;

/** "2.5" USD → 2_500_000_000n nanos, exactly (by digits, never by float multiplication). */
export function usdDecimalToNanos(usd: number | string, where = 'price'): bigint {
  const text = typeof usd === 'number' ? String(usd) : usd;
  const m = DECIMAL.exec(text);
  if (!m)
    throw new Error(
      `${where}: "${text}" is not a plain decimal with at most 9 fraction digits; write it as e.g. 0.075.`,
    );
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(m[1]) * 1_000_000_000n + BigInt(frac);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkFields(where: string, raw: Record<string, unknown>, known: ReadonlySet<string>): void {
  for (const field of Object.keys(raw))
    if (!known.has(field))
      throw new Error(`${where} has an unknown field "${field}"; known fields: ${[...known].join(', ')}.`);
}

/** A cached-read price, checked against the input price: a cached read dearer than an uncached one is a typo. */
function cachedPrice(where: string, cached: bigint, input: bigint): bigint {
  if (cached > input) throw new Error(`${where} is above the input price; a cached read is never dearer.`);
  return cached;
}

function parseCapabilities(where: string, raw: unknown, mode: ModelMode): ModelCapability[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new Error(`${where} must be a list such as ["tools", "vision"].`);
  const out: ModelCapability[] = [];
  for (const c of raw) {
    if (!(MODEL_CAPABILITIES as readonly unknown[]).includes(c))
      throw new Error(
        `${where}: unknown capability ${JSON.stringify(c)}; use one of ${MODEL_CAPABILITIES.join(', ')}.`,
      );
    const cap = c as ModelCapability;
    if (out.includes(cap)) throw new Error(`${where} lists "${cap}" twice.`);
    out.push(cap);
  }
  if (mode === 'embedding' && !out.includes('embeddings'))
    throw new Error(`${where}: an embedding model lists "embeddings".`);
  if (mode !== 'embedding' && out.includes('embeddings'))
    throw new Error(`${where}: "embeddings" is for mode "embedding" models, not ${mode} ones.`);
  return out;
}

function parseLongContext(where: string, raw: unknown): LongContextPricing | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw))
    throw new Error(`${where} must be an object { aboveInputTokens, inputPerMTok, outputPerMTok, ... }.`);
  checkFields(where, raw, LONG_CONTEXT_FIELDS);
  const lc = raw as unknown as RawLongContext;
  if (!Number.isInteger(lc.aboveInputTokens) || lc.aboveInputTokens <= 0)
    throw new Error(`${where}.aboveInputTokens must be a positive integer (the prompt size the tier starts above).`);
  const input = usdDecimalToNanos(lc.inputPerMTok, `${where}.inputPerMTok`);
  const cached = lc.cachedInputPerMTok ?? lc.inputPerMTok;
  return {
    aboveInputTokens: lc.aboveInputTokens,
    inputNanosPerMTok: input,
    outputNanosPerMTok: usdDecimalToNanos(lc.outputPerMTok, `${where}.outputPerMTok`),
    cachedInputNanosPerMTok: cachedPrice(
      `${where}.cachedInputPerMTok`,
      usdDecimalToNanos(cached, `${where}.cachedInputPerMTok`),
      input,
    ),
    ...(lc.cacheWritePerMTok !== undefined && {
      cacheWriteNanosPerMTok: usdDecimalToNanos(lc.cacheWritePerMTok, `${where}.cacheWritePerMTok`),
    }),
    usdPerMTok: {
      input: lc.inputPerMTok,
      output: lc.outputPerMTok,
      cachedInput: cached,
      ...(lc.cacheWritePerMTok !== undefined && { cacheWrite: lc.cacheWritePerMTok }),
    },
  };
}

function buildEntry(file: string, name: string, value: unknown): ModelInfo {
  const where = `libs/pricing/src/${file} models["${name}"]`;
  if (!isObject(value)) throw new Error(`${where} must be an object.`);
  checkFields(where, value, ENTRY_FIELDS);
  const raw = value as unknown as RawEntry;
  if (typeof raw.provider !== 'string' || !raw.provider) throw new Error(`${where}.provider must be a provider name.`);
  if (raw.mode !== 'chat' && raw.mode !== 'embedding' && raw.mode !== 'completion')
    throw new Error(`${where}.mode must be "chat", "embedding" or "completion".`);
  if (!Number.isInteger(raw.contextWindow) || raw.contextWindow <= 0)
    throw new Error(`${where}.contextWindow must be a positive integer.`);
  if (!Number.isInteger(raw.maxOutputTokens) || raw.maxOutputTokens < 0)
    throw new Error(`${where}.maxOutputTokens must be a non-negative integer.`);
  const input = usdDecimalToNanos(raw.inputPerMTok, `${where}.inputPerMTok`);
  const cached = raw.cachedInputPerMTok ?? raw.inputPerMTok;
  const capabilities = parseCapabilities(`${where}.capabilities`, raw.capabilities, raw.mode);
  const longContext = parseLongContext(`${where}.longContext`, raw.longContext);
  return {
    name,
    provider: raw.provider,
    mode: raw.mode,
    inputNanosPerMTok: input,
    outputNanosPerMTok: usdDecimalToNanos(raw.outputPerMTok, `${where}.outputPerMTok`),
    cachedInputNanosPerMTok: cachedPrice(
      `${where}.cachedInputPerMTok`,
      usdDecimalToNanos(cached, `${where}.cachedInputPerMTok`),
      input,
    ),
    ...(raw.cacheWritePerMTok !== undefined && {
      cacheWriteNanosPerMTok: usdDecimalToNanos(raw.cacheWritePerMTok, `${where}.cacheWritePerMTok`),
    }),
    ...(raw.reasoningPerMTok !== undefined && {
      reasoningNanosPerMTok: usdDecimalToNanos(raw.reasoningPerMTok, `${where}.reasoningPerMTok`),
    }),
    ...(raw.perRequest !== undefined && { requestNanos: usdDecimalToNanos(raw.perRequest, `${where}.perRequest`) }),
    ...(raw.perImage !== undefined && { imageNanos: usdDecimalToNanos(raw.perImage, `${where}.perImage`) }),
    ...(longContext && { longContext }),
    contextWindow: raw.contextWindow,
    maxOutputTokens: raw.maxOutputTokens,
    capabilities,
    usdPerMTok: {
      input: raw.inputPerMTok,
      output: raw.outputPerMTok,
      cachedInput: cached,
      ...(raw.cacheWritePerMTok !== undefined && { cacheWrite: raw.cacheWritePerMTok }),
    },
  };
}

/** A catalogue loaded from its files: every model, and every name and alias (lower-cased) to its model. */
export interface Catalogue {
  list: ModelInfo[];
  byName: Map<string, ModelInfo>;
}

/**
 * Loads and validates catalogue files ([file name, parsed JSON] pairs); throws naming the file and model of
 * the first entry that is wrong. Exported so tests can load a catalogue of their own.
 */
export function buildCatalogue(
  files: ReadonlyArray<readonly [string, unknown]>,
  overrides: ReadonlyArray<readonly [string, unknown]> = [],
): Catalogue {
  let list: ModelInfo[] = [];
  const byName = new Map<string, ModelInfo>();
  const overriding = new Set<string>();
  for (const [file, doc] of [...files, ...overrides]) {
    const isOverride = overrides.some(([f]) => f === file);
    const put = (key: string, info: ModelInfo) => {
      const k = key.toLowerCase();
      if (byName.has(k) && !(isOverride && !overriding.has(k)))
        throw new Error(`libs/pricing/src/${file}: "${key}" is listed twice (as a model or alias); remove one.`);
      const replaced = byName.get(k);
      if (replaced) list = list.filter((m) => m !== replaced);
      if (isOverride) overriding.add(k);
      byName.set(k, info);
    };
    const models = isObject(doc) ? doc['models'] : undefined;
    if (!isObject(models)) throw new Error(`libs/pricing/src/${file} must be an object with a "models" object.`);
    for (const [name, raw] of Object.entries(models)) {
      const info = buildEntry(file, name, raw);
      const aliases: unknown = (raw as RawEntry).aliases ?? [];
      if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === 'string' && a.length > 0))
        throw new Error(`libs/pricing/src/${file} models["${name}"].aliases must be a list of model names.`);
      list.push(info);
      put(name, info);
      for (const alias of aliases) put(alias, info);
    }
  }
  return { list, byName };
}

const { list: MODELS, byName: BY_NAME } = buildCatalogue(CATALOGUE_FILES, OVERRIDE_FILES);

/**
 * The version of the prices in force: a short hash of every catalogue file's content, recorded on each usage
 * row so a cost can be traced to the prices that made it (and rows priced before a price change found).
 */
export const CATALOGUE_VERSION: string = createHash('sha256')
  .update(JSON.stringify([...CATALOGUE_FILES, ...OVERRIDE_FILES]))
  .digest('hex')
  .slice(0, 12);

/** Every model of the catalogue. */
export function listModels(): readonly ModelInfo[] {
  return MODELS;
}

/**
 * Suffixes providers add to a model family name: dates (gpt-4o-2024-08-06, claude-3-5-sonnet-20241022,
 * command-r-plus-08-2024, gemini-2.5-flash-preview-05-20), snapshot numbers (gpt-4-0613, mistral-large-2411,
 * gemini-1.5-pro-002), "-latest", and bedrock-style "-v1:0".
 */
const PREVIEW_SUFFIX = /-(?:preview|exp)(?:-\d{2}-\d{2}|-\d{4})?$/;
const SNAPSHOT_NUMBER = /-\d{3,4}$/;
const VERSION_SUFFIXES: RegExp[] = [
  /-v\d+(?::\d+)?$/,
  /-\d{4}-\d{2}-\d{2}$/,
  /-\d{8}$/,
  /-\d{2}-\d{4}$/,
  PREVIEW_SUFFIX,
  /-\d{2}-\d{2}$/,
  SNAPSHOT_NUMBER,
  /-latest$/,
];

function candidates(model: string): string[] {
  const out: string[] = [];
  const parts = model.trim().toLowerCase().split('/');
  // "openrouter/openai/gpt-4o" → "openrouter/openai/gpt-4o", "openai/gpt-4o", "gpt-4o"
  for (let i = 0; i < parts.length; i++) {
    const name = parts.slice(i).join('/');
    if (!name) continue;
    const bases = [name];
    // Vertex AI pins versions with "@": "claude-3-5-sonnet-v2@20241022", "gemini-1.5-pro@002".
    const at = name.indexOf('@');
    if (at > 0) bases.push(name.slice(0, at));
    // Bedrock ids: "anthropic.claude-3-5-sonnet-20241022-v2:0", and cross-region inference profiles with a
    // region prefix before the vendor: "us.anthropic.claude-sonnet-4-20250514-v1:0", "apac.amazon.nova-pro-v1:0".
    const region = /^(?:us|eu|apac|jp|au|ca|us-gov|global)\.([a-z]+\.[a-z].*)$/.exec(name);
    const vendor = /^[a-z]+\.([a-z].*)$/.exec(region ? region[1]! : name);
    if (region) bases.push(region[1]!);
    if (vendor) bases.push(vendor[1]!);
    for (let base of bases) {
      out.push(base);
      // "gpt-4-1106-preview" is not "gpt-4-1106" and certainly not "gpt-4": once a preview suffix is gone,
      // the snapshot number before it names a different model, so it is kept.
      let previewStripped = false;
      for (let changed = true; changed;) {
        changed = false;
        for (const re of VERSION_SUFFIXES) {
          if (re === SNAPSHOT_NUMBER && previewStripped) continue;
          const stripped = base.replace(re, '');
          if (stripped !== base && stripped.length > 0) {
            if (re === PREVIEW_SUFFIX) previewStripped = true;
            base = stripped;
            out.push(base);
            changed = true;
          }
        }
      }
    }
  }
  return out;
}

/**
 * Finds the catalogue entry for a model name as clients, configs and upstreams spell it: "gpt-4o",
 * "openai/gpt-4o", "gpt-4o-2024-08-06", "anthropic/claude-3-5-sonnet-20241022". An exact listing always
 * wins over a stripped suffix. Undefined when the model is not in the catalogue.
 */
export function lookupModel(model: string): ModelInfo | undefined {
  if (!model) return undefined;
  const known = LOOKUPS.get(model);
  if (known !== undefined || LOOKUPS.has(model)) return known;
  let found: ModelInfo | undefined;
  for (const c of candidates(model)) {
    found = BY_NAME.get(c);
    if (found) break;
  }
  // Adapters look models up on every request (default max output): remember the answers, within a bound
  // that model names from configs never reach (a client's free-form names could, so the memo is cleared).
  if (LOOKUPS.size >= MAX_LOOKUPS) LOOKUPS.clear();
  LOOKUPS.set(model, found);
  return found;
}

const MAX_LOOKUPS = 4096;
const LOOKUPS = new Map<string, ModelInfo | undefined>();

/** True when the catalogue has a price for this model (costOf returns 0n for the others). */
export function priceKnown(model: string): boolean {
  return lookupModel(model) !== undefined;
}
