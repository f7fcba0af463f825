/**
 * Imports a price map in LiteLLM's model_prices_and_context_window.json format into the pricing catalogue
 * (libs/pricing/src/catalogue/imported.json), so a LiteLLM user's custom prices carry over. Imported entries
 * replace built-in ones of the same name; entries already imported are kept unless imported again. The
 * result is loaded and checked before it is written. Rebuild (npm run build) for the services to use it.
 *
 *   node dist/tools/import-litellm-prices.js <prices.json> [--provider <litellm_provider>] [--only <name,...>] [--out <file>]
 *   nx run pricing:prices:import --args="<prices.json>"
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { buildCatalogue, importLitellmPrices, type CatalogueFileEntry } from '@switchyard/pricing';

const DEFAULT_OUT = 'libs/pricing/src/catalogue/imported.json';
const COMMENT = "Prices imported from a map in LiteLLM's format by tools/import-litellm-prices.ts.";
const USAGE =
  'Usage: import-litellm-prices <prices.json> [--provider <litellm_provider>] [--only <name,...>] [--out <file>]';

interface Args {
  input: string;
  out: string;
  provider?: string;
  only?: Set<string>;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const opts: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const name = a.slice(2);
      if (!['provider', 'only', 'out'].includes(name)) throw new Error(`Unknown option ${a}. ${USAGE}`);
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`${a} needs a value. ${USAGE}`);
      opts[name] = value;
    } else positional.push(a);
  }
  if (positional.length !== 1) throw new Error(USAGE);
  return {
    input: positional[0]!,
    out: opts['out'] ?? DEFAULT_OUT,
    provider: opts['provider'],
    only: opts['only'] ? new Set(opts['only'].split(',').map((s) => s.trim())) : undefined,
  };
}

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} ${file} is not JSON: ${(e as Error).message}`);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const result = importLitellmPrices(readJson(args.input, 'price map'));
  const chosen = Object.entries(result.models).filter(
    ([name, entry]) => (!args.only || args.only.has(name)) && (!args.provider || entry.provider === args.provider),
  );
  if (args.only)
    for (const name of args.only)
      if (!chosen.some(([n]) => n === name)) throw new Error(`--only names "${name}", which the map does not price.`);
  const existing = (existsSync(args.out) ? readJson(args.out, 'catalogue file') : { _comment: COMMENT }) as {
    _comment?: string;
    models?: Record<string, CatalogueFileEntry>;
  };
  const models: Record<string, CatalogueFileEntry> = { ...(existing.models ?? {}) };
  for (const [name, entry] of chosen) models[name] = entry;
  const doc = {
    _comment: existing._comment,
    models: Object.fromEntries(Object.entries(models).sort(([a], [b]) => a.localeCompare(b))),
  };
  // Load it as the services will, so a file they would refuse is never written.
  buildCatalogue([], [['catalogue/imported.json', doc]]);
  writeFileSync(args.out, `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`${args.out}: ${chosen.length} model(s) imported, ${Object.keys(models).length} in the file.`);
  if (result.skipped.length > 0)
    console.log(
      `skipped ${result.skipped.length}: ${result.skipped
        .slice(0, 10)
        .map((s) => `${s.name} (${s.reason})`)
        .join('; ')}${result.skipped.length > 10 ? '; ...' : ''}`,
    );
  const ignored = Object.entries(result.ignoredFields);
  if (ignored.length > 0)
    console.log(
      `price fields not carried over (Switchyard does not bill them): ${ignored.map(([f, n]) => `${f} (${n})`).join(', ')}`,
    );
}

try {
  main();
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
