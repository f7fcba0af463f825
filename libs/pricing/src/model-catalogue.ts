import rawCatalogue from './catalogue.json';
import azureCatalogue from './catalogue/azure.json';
import bedrockCatalogue from './catalogue/bedrock.json';
import vertexCatalogue from './catalogue/vertex_ai.json';

/** The catalogue's files: the main one, and one per provider whose model ids differ from the vendor's own. */
const CATALOGUE_FILES: ReadonlyArray<readonly [string, unknown]> = [
  ['catalogue.json', rawCatalogue],
  ['catalogue/azure.json', azureCatalogue],
  ['catalogue/bedrock.json', bedrockCatalogue],
  ['catalogue/vertex_ai.json', vertexCatalogue],
];

export type ModelMode = 'chat' | 'embedding';

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
  /** Max input tokens. */
  contextWindow: number;
  maxOutputTokens: number;
  /** Prices as written in the catalogue file, USD per 1M tokens, for display only. */
  usdPerMTok: { input: number; output: number; cachedInput: number };
}

interface RawEntry {
  provider: string;
  mode: string;
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  contextWindow: number;
  maxOutputTokens: number;
  aliases?: string[];
}

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

function buildEntry(file: string, name: string, raw: RawEntry): ModelInfo {
  const where = `libs/pricing/src/${file} models["${name}"]`;
  if (raw.mode !== 'chat' && raw.mode !== 'embedding') throw new Error(`${where}.mode must be "chat" or "embedding".`);
  if (!Number.isInteger(raw.contextWindow) || raw.contextWindow <= 0)
    throw new Error(`${where}.contextWindow must be a positive integer.`);
  if (!Number.isInteger(raw.maxOutputTokens) || raw.maxOutputTokens < 0)
    throw new Error(`${where}.maxOutputTokens must be a non-negative integer.`);
  const cached = raw.cachedInputPerMTok ?? raw.inputPerMTok;
  return {
    name,
    provider: raw.provider,
    mode: raw.mode,
    inputNanosPerMTok: usdDecimalToNanos(raw.inputPerMTok, `${where}.inputPerMTok`),
    outputNanosPerMTok: usdDecimalToNanos(raw.outputPerMTok, `${where}.outputPerMTok`),
    cachedInputNanosPerMTok: usdDecimalToNanos(cached, `${where}.cachedInputPerMTok`),
    contextWindow: raw.contextWindow,
    maxOutputTokens: raw.maxOutputTokens,
    usdPerMTok: { input: raw.inputPerMTok, output: raw.outputPerMTok, cachedInput: cached },
  };
}

function buildIndex(files: ReadonlyArray<readonly [string, unknown]>): {
  list: ModelInfo[];
  byName: Map<string, ModelInfo>;
} {
  const list: ModelInfo[] = [];
  const byName = new Map<string, ModelInfo>();
  for (const [file, doc] of files) {
    const put = (key: string, info: ModelInfo) => {
      const k = key.toLowerCase();
      if (byName.has(k))
        throw new Error(`libs/pricing/src/${file}: "${key}" is listed twice (as a model or alias); remove one.`);
      byName.set(k, info);
    };
    for (const [name, raw] of Object.entries((doc as { models: Record<string, RawEntry> }).models)) {
      const info = buildEntry(file, name, raw);
      list.push(info);
      put(name, info);
      for (const alias of raw.aliases ?? []) put(alias, info);
    }
  }
  return { list, byName };
}

const { list: MODELS, byName: BY_NAME } = buildIndex(CATALOGUE_FILES);

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
