import type { TokenUsage } from '@switchyard/contracts';
import { priceCall } from '@switchyard/pricing';
import type { Attempt } from '../attempts/attempt';

/**
 * What this attempt cost, in nano-USD, priced as spend will price it (the provider's reported cost, else the
 * deployment's base_model or upstream model with its own prices): the figure a client sees as `usage.cost`
 * and `x-switchyard-cost` without a database round trip. Undefined when no price is known (unpriced): the
 * client is then told nothing rather than a cost of 0. Earlier attempts a provider billed are added by spend
 * (GET /v1/generation's total_cost), not here.
 */
export function attemptCostNanos(a: Attempt, usage: TokenUsage | undefined): bigint | undefined {
  if (usage === undefined) return undefined;
  const d = a.prepared.deployment;
  const priced = priceCall(
    { upstreamModel: d.model, baseModel: d.baseModel, overrides: d.pricing },
    usage,
    usage.costNanos,
  );
  return priced.source === null ? undefined : priced.breakdown.totalNanos;
}

/** nano-USD as an exact decimal of USD ("0.00725"), for JSON and headers: no float rounding on the way. */
export function usdText(nanos: bigint): string {
  const whole = nanos / 1_000_000_000n;
  const frac = (nanos % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return frac ? `${whole}.${frac}` : whole.toString();
}

const USAGE_KEY = /"usage"\s*:\s*\{/g;

/**
 * Adds `"cost": <usd>` to every `"usage": {...}` object of OpenAI-shaped JSON text (a whole chat.completion,
 * or SSE chunks), as OpenRouter sends it, by splicing the text rather than re-serialising the body. A usage
 * object that already has a cost (the provider's own) is left alone. A quote inside a JSON string is always
 * escaped, so the key is only ever found as a key; strings are skipped when finding the object's end.
 */
export function withUsageCost(text: string, usd: string): string {
  let out = '';
  let from = 0;
  USAGE_KEY.lastIndex = 0;
  for (let m = USAGE_KEY.exec(text); m !== null; m = USAGE_KEY.exec(text)) {
    const open = m.index + m[0].length - 1;
    if (open < from) continue;
    const close = matchingBrace(text, open);
    if (close === -1) break;
    const body = text.slice(open + 1, close);
    const hasCost = /"cost"\s*:/.test(body);
    out += text.slice(from, close);
    if (!hasCost) out += `${body.trim().length > 0 ? ',' : ''}"cost":${usd}`;
    from = close;
    USAGE_KEY.lastIndex = close;
  }
  return out + text.slice(from);
}

/** Index of the `}` closing the object opened at `open`, skipping strings; -1 when the text ends first. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // a string: skip to its closing quote
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b) depth++;
    else if (c === 0x7d && --depth === 0) return i;
  }
  return -1;
}
