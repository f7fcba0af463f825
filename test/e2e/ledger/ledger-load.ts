import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { Client as PgClient } from 'pg';
import { createAnalyticsClient } from '@switchyard/analytics';
import catalogue from '../../../libs/pricing/src/catalogue.json';
import {
  adminPost,
  type FakeAnthropic,
  type FakeGemini,
  type FakeReportedUsage,
  type FakeUpstream,
  type PrivateServer,
  type Stack,
  startFakeAnthropic,
  startFakeGemini,
  startFakeOpenAI,
  startPrivateClickHouse,
  startPrivateNats,
  startStack,
  waitFor,
} from '@switchyard/testing';

/**
 * The ledger's stack and reconciliation workload, shared by the reconciliation and fault tests: mixed requests (streamed
 * and not, OpenAI-compatible, Anthropic and Gemini upstreams, OpenAI and Anthropic client SDKs, failing
 * upstreams, clients that leave mid-stream) from several teams and keys; and what each request must cost,
 * computed here from what the fake upstreams reported and the catalogue's prices, never from what the
 * gateway or spend produced.
 */

export interface LedgerFakes {
  openai: FakeUpstream;
  anthropic: FakeAnthropic;
  gemini: FakeGemini;
}

const UPSTREAM_KEY = 'sk-ledger-upstream';
const GEMINI_KEY = 'AIzaSyLedgerGeminiKey0123456789abcdefghi';

export async function startLedgerFakes(): Promise<LedgerFakes> {
  const [openai, anthropic, gemini] = await Promise.all([
    startFakeOpenAI(),
    startFakeAnthropic(),
    startFakeGemini({ apiKey: GEMINI_KEY }),
  ]);
  return { openai, anthropic, gemini };
}

export async function closeLedgerFakes(f: LedgerFakes | undefined): Promise<void> {
  if (!f) return;
  await Promise.all([f.openai.close(), f.anthropic.close(), f.gemini.close()]);
}

/** Environment the ledger config's os.environ/ references need. */
export const LEDGER_ENV = { LEDGER_UPSTREAM_KEY: UPSTREAM_KEY, LEDGER_GEMINI_KEY: GEMINI_KEY };

/** The catalogue model each public model is priced as (base_model, else the upstream model). */
const PRICED_AS = {
  mini: 'gpt-4o-mini',
  cached: 'gpt-4o',
  claude: 'claude-haiku-4-5',
  gemini: 'gemini-2.0-flash',
  broken: 'gpt-4o-mini',
  slow: 'gpt-4o-mini',
} as const;
export type LedgerModel = keyof typeof PRICED_AS;

export function ledgerConfigYaml(f: LedgerFakes): string {
  const openai = (url: string, model: string, base: string) =>
    `{ model: openai/${model}, api_base: ${url}, api_key: os.environ/LEDGER_UPSTREAM_KEY }\n    model_info: { base_model: ${base} }`;
  return `
model_list:
  - model_name: mini
    litellm_params: ${openai(f.openai.url, 'fake-gpt', PRICED_AS.mini)}
  - model_name: cached
    litellm_params: ${openai(f.openai.url, 'fake-cached', PRICED_AS.cached)}
  - model_name: broken
    litellm_params: ${openai(f.openai.url, 'fake-500', PRICED_AS.broken)}
  - model_name: slow
    litellm_params: ${openai(f.openai.url, 'fake-stall', PRICED_AS.slow)}
  - model_name: claude
    litellm_params: { model: anthropic/${PRICED_AS.claude}, api_base: ${f.anthropic.url}, api_key: os.environ/LEDGER_UPSTREAM_KEY }
  - model_name: gemini
    litellm_params: { model: gemini/${PRICED_AS.gemini}, api_base: ${f.gemini.url}, api_key: os.environ/LEDGER_GEMINI_KEY }
router_settings:
  num_retries: 0
`;
}

export interface Tenant {
  teamId: string;
  keyId: string;
  key: string;
}

/** `teams` teams of `keysPerTeam` keys each, made through the admin API. */
export async function ledgerTenants(stack: Stack, teams = 3, keysPerTeam = 2): Promise<Tenant[]> {
  const out: Tenant[] = [];
  for (let t = 0; t < teams; t++) {
    const team = await adminPost<{ id: string }>(stack, '/v1/teams', { team_alias: `ledger-team-${t}` });
    if (team.status !== 201) throw new Error(`POST /v1/teams answered ${team.status}`);
    for (let k = 0; k < keysPerTeam; k++) {
      const key = await adminPost<{ id: string; key: string }>(stack, '/v1/keys', { team_id: team.json.id });
      if (key.status !== 201) throw new Error(`POST /v1/keys answered ${key.status}`);
      out.push({ teamId: team.json.id, keyId: key.json.id, key: key.json.key });
    }
  }
  return out;
}

/** The servers a fault test can own instead of the shared ones: how to start one, and the setting naming it. */
const PRIVATE_SERVERS = {
  clickhouse: { start: startPrivateClickHouse, env: 'CLICKHOUSE_URL' },
  nats: { start: startPrivateNats, env: 'NATS_URL' },
} as const;

export interface LedgerStack {
  fakes: LedgerFakes;
  stack: Stack;
  tenants: Tenant[];
  /** The private server the stack uses in place of the shared one, when one was asked for. */
  server?: PrivateServer;
  /**
   * Stops the stack and closes the fakes and the private server. A private server the test left stopped is
   * started first, so the services shut down against it as they would in production.
   */
  stop(): Promise<void>;
}

/**
 * What every ledger test runs on: the fake upstreams, the five services on the ledger config, and `teams`
 * teams of `keysPerTeam` keys. With `privateServer`, a private ClickHouse or NATS (libs/testing's
 * private-servers), started beside the fakes, takes the shared one's place, so the test can stop it. If any
 * part fails to start, the parts that did are stopped before the error is thrown.
 */
export async function startLedgerStack(
  opts: { privateServer?: keyof typeof PRIVATE_SERVERS; teams?: number; keysPerTeam?: number } = {},
): Promise<LedgerStack> {
  const priv = opts.privateServer === undefined ? undefined : PRIVATE_SERVERS[opts.privateServer];
  let fakes: LedgerFakes | undefined;
  let server: PrivateServer | undefined;
  let stack: Stack | undefined;
  const stop = async (): Promise<void> => {
    if (server && !server.running) await server.start().catch(() => undefined);
    await stack?.stop();
    await Promise.all([closeLedgerFakes(fakes), server?.close()]);
  };
  try {
    // Settled, not all: when one fails, the other is still closed.
    const started = await Promise.allSettled([
      startLedgerFakes().then((f) => (fakes = f)),
      priv?.start().then((s) => (server = s)),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    stack = await startStack({
      env: { ...LEDGER_ENV, ...(priv && server && { [priv.env]: server.url }) },
      configYaml: ledgerConfigYaml(fakes!),
    });
    const tenants = await ledgerTenants(stack, opts.teams, opts.keysPerTeam);
    return { fakes: fakes!, stack, tenants, server, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

export type Outcome = 'answered' | 'failed' | 'cancelled';

/** One request the workload sent, and how it ended for the client. */
export interface Sent {
  i: number;
  marker: string;
  model: LedgerModel;
  stream: boolean;
  tenant: Tenant;
  /** The gateway's x-request-id; absent when the gateway never answered (it was unreachable). */
  requestId?: string;
  outcome: Outcome;
  /** HTTP status the client saw (200 for answers and for streams it left). */
  status: number;
  /** The user message's characters (the gateway's estimate for a request the upstream reported no usage for). */
  promptChars: number;
  /** Characters of answer the client had when it left (cancelled streams). */
  completionChars: number;
}

/** Which model and front door request `i` uses: a fixed, varied mix. */
export function planOf(i: number): { model: LedgerModel; stream: boolean; sdk: 'openai' | 'anthropic' } {
  const slot = i % 20;
  const stream = Math.floor(i / 20) % 2 === 1;
  if (slot < 6) return { model: 'mini', stream, sdk: 'openai' };
  if (slot < 8) return { model: 'cached', stream: !stream, sdk: 'openai' };
  if (slot < 11) return { model: 'claude', stream, sdk: 'openai' };
  if (slot < 13) return { model: 'claude', stream: !stream, sdk: 'anthropic' };
  if (slot < 17) return { model: 'gemini', stream: slot % 2 === 0, sdk: 'openai' };
  if (slot < 18) return { model: 'broken', stream, sdk: 'openai' };
  if (slot < 19) return { model: 'slow', stream: true, sdk: 'openai' };
  return { model: 'mini', stream: true, sdk: 'anthropic' };
}

const requestIdOf = (h: Headers | undefined | null): string | undefined => h?.get('x-request-id') ?? undefined;

/** Sends request `i` for `tenant` and says how it ended; never throws for an upstream or gateway error. */
export async function sendLedgerRequest(stack: Stack, tenant: Tenant, i: number): Promise<Sent> {
  const { model, stream, sdk } = planOf(i);
  const marker = `[[ledger-${i}]]`;
  const content = `${marker} ${'tell me more '.repeat(i % 11)}please`;
  const sent: Sent = {
    i,
    marker,
    model,
    stream,
    tenant,
    outcome: 'answered',
    status: 200,
    promptChars: content.length,
    completionChars: 0,
  };
  try {
    if (sdk === 'anthropic') {
      const client = new Anthropic({ apiKey: tenant.key, baseURL: stack.gatewayUrl, maxRetries: 0, timeout: 60_000 });
      const req = { model, max_tokens: 256, messages: [{ role: 'user' as const, content }] };
      if (stream) {
        const { data, response } = await client.messages.create({ ...req, stream: true }).withResponse();
        sent.requestId = requestIdOf(response.headers);
        for await (const ev of data) void ev;
      } else {
        const { response } = await client.messages.create(req).withResponse();
        sent.requestId = requestIdOf(response.headers);
      }
      return sent;
    }
    const client = new OpenAI({
      apiKey: tenant.key,
      baseURL: `${stack.gatewayUrl}/v1`,
      maxRetries: 0,
      timeout: 60_000,
    });
    const req = { model, messages: [{ role: 'user' as const, content }] };
    if (!stream) {
      const { response } = await client.chat.completions.create(req).withResponse();
      sent.requestId = requestIdOf(response.headers);
      return sent;
    }
    const { data, response } = await client.chat.completions.create({ ...req, stream: true }).withResponse();
    sent.requestId = requestIdOf(response.headers);
    for await (const chunk of data) {
      const text = chunk.choices[0]?.delta?.content ?? '';
      if (model === 'slow' && text.length > 0) {
        // The client leaves after the first piece of the answer.
        sent.completionChars += text.length;
        sent.outcome = 'cancelled';
        data.controller.abort();
        break;
      }
    }
    return sent;
  } catch (e) {
    if (e instanceof OpenAI.APIError || e instanceof Anthropic.APIError) {
      sent.outcome = 'failed';
      sent.status = e.status ?? 0;
      sent.requestId = requestIdOf(e.headers as Headers | undefined);
      return sent;
    }
    if (e instanceof OpenAI.APIConnectionError || e instanceof Anthropic.APIConnectionError) {
      // A stream cut by the gateway mid-answer, or a gateway that did not answer at all.
      sent.outcome = 'failed';
      sent.status = 0;
      return sent;
    }
    throw e;
  }
}

/** Runs `count` requests, `concurrency` at a time, tenant by request index; what each did. */
export async function runLedgerLoad(
  stack: Stack,
  tenants: Tenant[],
  opts: { from?: number; count: number; concurrency: number; onSent?: (s: Sent) => void },
): Promise<Sent[]> {
  const from = opts.from ?? 0;
  const out: Sent[] = [];
  let next = from;
  const worker = async () => {
    while (next < from + opts.count) {
      const i = next++;
      const s = await sendLedgerRequest(stack, tenants[i % tenants.length]!, i);
      out.push(s);
      opts.onSent?.(s);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return out.sort((a, b) => a.i - b.i);
}

// ---------------------------------------------------------------- what it must cost

interface Tokens {
  prompt: number;
  cached: number;
  cacheWrite: number;
  completion: number;
  reasoning: number;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/** A provider's usage in one shape, read here from each provider's own wire fields. */
function tokensOf(provider: 'openai' | 'anthropic' | 'gemini', u: Record<string, unknown>): Tokens {
  if (provider === 'openai') {
    const pd = (u['prompt_tokens_details'] ?? {}) as Record<string, unknown>;
    const cd = (u['completion_tokens_details'] ?? {}) as Record<string, unknown>;
    return {
      prompt: num(u['prompt_tokens']),
      cached: num(pd['cached_tokens']),
      cacheWrite: 0,
      completion: num(u['completion_tokens']),
      reasoning: num(cd['reasoning_tokens']),
    };
  }
  if (provider === 'anthropic') {
    const read = num(u['cache_read_input_tokens']);
    const write = num(u['cache_creation_input_tokens']);
    return {
      prompt: num(u['input_tokens']) + read + write,
      cached: read,
      cacheWrite: write,
      completion: num(u['output_tokens']),
      reasoning: 0,
    };
  }
  const thoughts = num(u['thoughtsTokenCount']);
  return {
    prompt: num(u['promptTokenCount']),
    cached: num(u['cachedContentTokenCount']),
    cacheWrite: 0,
    completion: num(u['candidatesTokenCount']) + thoughts,
    reasoning: thoughts,
  };
}

interface CatalogueEntry {
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  cacheWritePerMTok?: number;
}

/** Nano-USD per token from a USD-per-million price (every price used here is a whole number of nanos). */
function nanosPerToken(usdPerMTok: number): bigint {
  const n = Math.round(usdPerMTok * 1000);
  if (Math.abs(n - usdPerMTok * 1000) > 1e-6) throw new Error(`price ${usdPerMTok}/MTok is not whole nanos per token`);
  return BigInt(n);
}

export function costNanos(pricedAs: string, t: Tokens): bigint {
  const p = (catalogue.models as Record<string, CatalogueEntry>)[pricedAs];
  if (!p) throw new Error(`${pricedAs} is not in the catalogue`);
  const input = nanosPerToken(p.inputPerMTok);
  const output = nanosPerToken(p.outputPerMTok);
  const cached = nanosPerToken(p.cachedInputPerMTok ?? p.inputPerMTok);
  const write = nanosPerToken(p.cacheWritePerMTok ?? p.inputPerMTok);
  return (
    BigInt(t.prompt - t.cached - t.cacheWrite) * input +
    BigInt(t.cached) * cached +
    BigInt(t.cacheWrite) * write +
    BigInt(t.completion - t.reasoning) * output +
    BigInt(t.reasoning) * output
  );
}

/** The documented estimate for a request the upstream reported no usage for: a token per 4 characters. */
const estimate = (chars: number) => (chars > 0 ? Math.ceil(chars / 4) : 0);

export interface Expected {
  byRequest: Map<string, bigint>;
  byKey: Map<string, bigint>;
  byTeam: Map<string, bigint>;
  total: bigint;
  /** Requests the fakes reported usage for. */
  reportedCount: number;
}

/**
 * What every sent request must cost: an answered one from the usage its fake upstream reported (found by the
 * marker in the request body the fake received), a cancelled one by the gateway's documented estimate (the
 * upstream never reported usage: the client left first), a failed one nothing.
 */
export function expectedLedger(sent: Sent[], fakes: LedgerFakes): Expected {
  const reported = new Map<string, { provider: 'openai' | 'anthropic' | 'gemini'; usage: Record<string, unknown> }>();
  const index = (provider: 'openai' | 'anthropic' | 'gemini', list: readonly FakeReportedUsage[]) => {
    for (const r of list) {
      const m = /\[\[ledger-\d+\]\]/.exec(JSON.stringify(r.body));
      if (!m) continue;
      if (reported.has(m[0])) throw new Error(`${m[0]} reached an upstream twice`);
      reported.set(m[0], { provider, usage: r.usage });
    }
  };
  index('openai', fakes.openai.reported);
  index('anthropic', fakes.anthropic.reported);
  index('gemini', fakes.gemini.reported);
  const out: Expected = { byRequest: new Map(), byKey: new Map(), byTeam: new Map(), total: 0n, reportedCount: 0 };
  for (const s of sent) {
    let cost = 0n;
    if (s.outcome === 'answered') {
      const r = reported.get(s.marker);
      if (!r) throw new Error(`request ${s.i} (${s.model}) was answered but no fake reported its usage`);
      cost = costNanos(PRICED_AS[s.model], tokensOf(r.provider, r.usage));
      out.reportedCount++;
    } else if (s.outcome === 'cancelled') {
      cost = costNanos(PRICED_AS[s.model], {
        prompt: estimate(s.promptChars),
        cached: 0,
        cacheWrite: 0,
        completion: estimate(s.completionChars),
        reasoning: 0,
      });
    }
    if (s.requestId) out.byRequest.set(s.requestId, cost);
    out.byKey.set(s.tenant.keyId, (out.byKey.get(s.tenant.keyId) ?? 0n) + cost);
    out.byTeam.set(s.tenant.teamId, (out.byTeam.get(s.tenant.teamId) ?? 0n) + cost);
    out.total += cost;
  }
  return out;
}

// ---------------------------------------------------------------- what was recorded

export interface ClickHouseLedger {
  /** cost_nanos per request id, from `usage FINAL`. */
  byRequest: Map<string, bigint>;
  /** Rows per request id without FINAL merging ignored: a request stored twice shows 2 here after OPTIMIZE. */
  total: bigint;
  rows: number;
}

/** The stack's usage rows (FINAL), once there are at least `atLeast` of them. */
export async function clickhouseLedger(
  stack: Stack,
  atLeast: number,
  timeoutMs = 60_000,
  clickhouseUrl = stack.clickhouse.url,
): Promise<ClickHouseLedger> {
  const ch = createAnalyticsClient({ url: clickhouseUrl });
  try {
    const table = `${stack.clickhouse.database}.usage`;
    await waitFor(
      async () => {
        const r = await ch.query({ query: `SELECT count() AS n FROM ${table} FINAL`, format: 'JSONEachRow' });
        return Number(((await r.json()) as { n: string }[])[0]!.n) >= atLeast;
      },
      { timeoutMs, intervalMs: 250, what: `${atLeast} usage rows in ClickHouse` },
    );
    const r = await ch.query({
      query: `SELECT request_id, toString(cost_nanos) AS cost FROM ${table} FINAL`,
      format: 'JSONEachRow',
    });
    const rows = (await r.json()) as { request_id: string; cost: string }[];
    const byRequest = new Map<string, bigint>();
    let total = 0n;
    for (const row of rows) {
      if (byRequest.has(row.request_id)) throw new Error(`request ${row.request_id} has two rows in usage FINAL`);
      byRequest.set(row.request_id, BigInt(row.cost));
      total += BigInt(row.cost);
    }
    return { byRequest, total, rows: rows.length };
  } finally {
    await ch.close();
  }
}

/** Spend per key and per team in Postgres, and how many request ids spend has counted. */
export async function postgresLedger(
  stack: Stack,
): Promise<{ byKey: Map<string, bigint>; byTeam: Map<string, bigint>; counted: number }> {
  const pg = new PgClient({ connectionString: stack.databaseUrl });
  await pg.connect();
  try {
    const keys = await pg.query<{ id: string; spend_nanos: string }>('SELECT id, spend_nanos FROM api_keys');
    const teams = await pg.query<{ id: string; spend_nanos: string }>('SELECT id, spend_nanos FROM teams');
    const counted = await pg.query<{ n: string }>('SELECT count(*) AS n FROM processed_usage');
    return {
      byKey: new Map(keys.rows.map((r) => [r.id, BigInt(r.spend_nanos)])),
      byTeam: new Map(teams.rows.map((r) => [r.id, BigInt(r.spend_nanos)])),
      counted: Number(counted.rows[0]!.n),
    };
  } finally {
    await pg.end();
  }
}

/** GET /v1/analytics grouped by key: spend_nanos per key and the totals. */
export async function analyticsLedger(
  stack: Stack,
): Promise<{ byKey: Map<string, bigint>; total: bigint; requests: number }> {
  const res = await fetch(`${stack.adminUrl}/v1/analytics?group_by=key`, {
    headers: { authorization: `Bearer ${stack.masterKey}` },
  });
  if (res.status !== 200) throw new Error(`GET /v1/analytics answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as {
    data: { key: string; spend_nanos: string }[];
    totals: { spend_nanos: string; requests: number | string };
  };
  return {
    byKey: new Map(body.data.map((r) => [r.key, BigInt(r.spend_nanos)])),
    total: BigInt(body.totals.spend_nanos),
    requests: Number(body.totals.requests),
  };
}

/** Same keys, same amounts (as decimal strings, so a failure prints readably). */
export function asRecord(m: Map<string, bigint>, keys: Iterable<string>): Record<string, string> {
  return Object.fromEntries([...keys].map((k) => [k, (m.get(k) ?? 0n).toString()]));
}

// ---------------------------------------------------------------- faults

/**
 * Runs `count` requests while a fault happens: `fault` once `faultAfter` requests have been answered, and
 * `recover` once `recoverAfter` have (or when the load ends, if sooner). Both are awaited before the next
 * request starts only by the worker that triggered them; the other workers keep sending, as clients would.
 */
export async function runLedgerLoadWithFault(
  stack: Stack,
  tenants: Tenant[],
  opts: {
    count: number;
    concurrency: number;
    faultAfter: number;
    recoverAfter: number;
    fault: () => Promise<void>;
    recover: () => Promise<void>;
  },
): Promise<{ sent: Sent[]; faultAt?: number; recoveredAt?: number }> {
  let done = 0;
  let faultAt: number | undefined;
  let recoveredAt: number | undefined;
  let faulted: Promise<void> | undefined;
  let recovered: Promise<void> | undefined;
  const recover = () => {
    recovered ??= (faulted ?? Promise.resolve()).then(opts.recover).then(() => void (recoveredAt = Date.now()));
    return recovered;
  };
  const sent = await runLedgerLoad(stack, tenants, {
    count: opts.count,
    concurrency: opts.concurrency,
    onSent: () => {
      done++;
      // From the moment the fault begins (a server stopping stops serving before it has exited).
      if (done === opts.faultAfter) {
        faultAt = Date.now();
        faulted = opts.fault();
      }
      if (done === opts.recoverAfter) void recover();
    },
  });
  await recover();
  return { sent, faultAt, recoveredAt };
}

/**
 * After a fault: every request the gateway answered (it has a request id) has exactly one usage row, and no
 * other row exists; answered requests cost what their fakes reported; Postgres counted each request once
 * (its key and team spend equal the rows' sums, and it holds one processed id per row).
 */
export async function expectRecordedOnce(
  stack: Stack,
  sent: Sent[],
  fakes: LedgerFakes,
  opts: { timeoutMs: number; clickhouseUrl?: string },
): Promise<{ rows: number; answered: number; failed: number; cancelled: number }> {
  const ids = sent.filter((s) => s.requestId !== undefined).map((s) => s.requestId!);
  if (new Set(ids).size !== ids.length) throw new Error('two requests share a request id');
  const ch = await clickhouseLedger(stack, ids.length, opts.timeoutMs, opts.clickhouseUrl);
  const missing = ids.filter((id) => !ch.byRequest.has(id));
  const extra = [...ch.byRequest.keys()].filter((id) => !ids.includes(id));
  if (missing.length > 0 || extra.length > 0)
    throw new Error(
      `usage rows do not match the answered requests: ${missing.length} missing (${missing.slice(0, 3).join(', ')}), ${extra.length} extra (${extra.slice(0, 3).join(', ')})`,
    );
  const answered = sent.filter((s) => s.outcome === 'answered');
  const expected = expectedLedger(answered, fakes);
  const wrong = answered.filter((s) => ch.byRequest.get(s.requestId!) !== expected.byRequest.get(s.requestId!));
  if (wrong.length > 0)
    throw new Error(
      `${wrong.length} answered requests cost other than their fakes reported, e.g. ${wrong[0]!.requestId}: ` +
        `${ch.byRequest.get(wrong[0]!.requestId!)} recorded, ${expected.byRequest.get(wrong[0]!.requestId!)} expected`,
    );
  // Postgres: once each. Spend per key and team must equal the rows' sums, whatever each row cost.
  const rowsByKey = new Map<string, bigint>();
  const rowsByTeam = new Map<string, bigint>();
  for (const s of sent) {
    if (!s.requestId) continue;
    const cost = ch.byRequest.get(s.requestId)!;
    rowsByKey.set(s.tenant.keyId, (rowsByKey.get(s.tenant.keyId) ?? 0n) + cost);
    rowsByTeam.set(s.tenant.teamId, (rowsByTeam.get(s.tenant.teamId) ?? 0n) + cost);
  }
  const pg = await waitFor(
    async () => {
      const p = await postgresLedger(stack);
      return p.counted >= ids.length ? p : undefined;
    },
    { timeoutMs: opts.timeoutMs, what: `${ids.length} processed usage ids in Postgres` },
  );
  if (pg.counted !== ch.rows)
    throw new Error(`Postgres counted ${pg.counted} requests, ClickHouse has ${ch.rows} rows`);
  const keyIds = [...rowsByKey.keys()];
  const teamIds = [...rowsByTeam.keys()];
  const pgKeys = JSON.stringify(asRecord(pg.byKey, keyIds));
  const pgTeams = JSON.stringify(asRecord(pg.byTeam, teamIds));
  if (pgKeys !== JSON.stringify(asRecord(rowsByKey, keyIds)))
    throw new Error(
      `key spend in Postgres ${pgKeys} differs from the usage rows ${JSON.stringify(asRecord(rowsByKey, keyIds))}`,
    );
  if (pgTeams !== JSON.stringify(asRecord(rowsByTeam, teamIds)))
    throw new Error(
      `team spend in Postgres ${pgTeams} differs from the usage rows ${JSON.stringify(asRecord(rowsByTeam, teamIds))}`,
    );
  return {
    rows: ch.rows,
    answered: answered.length,
    failed: sent.filter((s) => s.outcome === 'failed').length,
    cancelled: sent.filter((s) => s.outcome === 'cancelled').length,
  };
}
