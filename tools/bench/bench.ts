/**
 * Measures the latency Switchyard adds over calling the same fake upstream directly.
 *
 *   node dist/tools/bench/bench.js [--rates 200,1000] [--seconds 10] [--warmup 2] [--upstream-latency 0]
 *                                  [--front-door chat|messages|embeddings|completions|responses|
 *                                                responses-stored|responses-translated]
 *                                  [--keys master,plain,limited]
 *
 * --keys: which credentials the gateway runs use, one gateway row each: the master key (no limits checked),
 * `plain` a virtual key with no limit anywhere (no Redis round trip), `limited` a virtual key with max_budget,
 * rpm_limit, tpm_limit and max_parallel_requests all set too high to refuse (the admission script runs on every
 * request): the difference between the last two is the hot-path cost of limits and budgets.
 *
 * Starts a fake OpenAI upstream and a complete stack (five services on their own databases, NATS
 * prefix and ports; Postgres, Redis, NATS and ClickHouse must answer, as `tools/start.sh` ensures),
 * then for each rate sends an open-loop load (requests start on a fixed schedule, whatever the
 * latency, so queueing shows up in the tail): first straight to the upstream, then through the
 * gateway. Non-streaming requests report total latency; streaming requests report time to first
 * token. Prints p50/p95/p99, achieved throughput and each service's peak memory (VmHWM).
 * `--front-door` picks the front door measured (chat completions by default): `embeddings` and
 * `completions` are passed through to the same API of the upstream (embeddings are never streamed);
 * `messages` sends the gateway Anthropic Messages requests, translated to the upstream's chat completions
 * and back, so the added latency is that of the Messages front door. `responses` passes Responses API
 * requests (store: false) through to the upstream's /v1/responses; `responses-stored` the same with
 * store: true (the gateway keeps each response in Postgres before its last byte); `responses-translated`
 * sends them to a deployment of a server without the Responses API (hosted_vllm on the same fake), translated
 * to chat completions and compared with those.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { startStack, type Stack } from '@switchyard/testing';
import { once as onceWith, openLoop, summarise, type Row } from './load';

const PROMPT = 'Say hello in one short sentence, please.';
const streamMembers = (stream: boolean) => (stream ? { stream: true, stream_options: { include_usage: true } } : {});

/** One request of an API: its path under /v1 (or the upstream's base), its body, what its first content chunk contains. */
interface ApiRequest {
  path: string;
  body(stream: boolean): string;
  firstContent: string;
}

const CHAT: ApiRequest = {
  path: 'chat/completions',
  body: (stream) =>
    JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: PROMPT }], ...streamMembers(stream) }),
  firstContent: '"content"',
};

const MESSAGES: ApiRequest = {
  path: 'messages',
  body: (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      max_tokens: 256,
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true } : {}),
    }),
  firstContent: '"text_delta"',
};

const EMBEDDINGS: ApiRequest = {
  path: 'embeddings',
  body: () => JSON.stringify({ model: 'text-embedding-3-small', input: [PROMPT, PROMPT], encoding_format: 'base64' }),
  firstContent: '"embedding"',
};

const COMPLETIONS: ApiRequest = {
  path: 'completions',
  body: (stream) => JSON.stringify({ model: 'gpt-3.5-turbo-instruct', prompt: PROMPT, ...streamMembers(stream) }),
  firstContent: '"text"',
};

const responses = (model: string, store: boolean): ApiRequest => ({
  path: 'responses',
  body: (stream) => JSON.stringify({ model, input: PROMPT, store, ...(stream ? { stream: true } : {}) }),
  firstContent: '"response.output_text.delta"',
});
const RESPONSES = responses('gpt-4o-mini', false);

/** A front door: what the gateway is sent, what the upstream is sent directly to compare, whether it streams. */
interface FrontDoor {
  gateway: ApiRequest;
  direct: ApiRequest;
  streams: boolean;
}

const FRONT_DOORS: Record<string, FrontDoor> = {
  chat: { gateway: CHAT, direct: CHAT, streams: true },
  // Translated to the upstream's chat completions: compared with those.
  messages: { gateway: MESSAGES, direct: CHAT, streams: true },
  embeddings: { gateway: EMBEDDINGS, direct: EMBEDDINGS, streams: false },
  completions: { gateway: COMPLETIONS, direct: COMPLETIONS, streams: true },
  responses: { gateway: RESPONSES, direct: RESPONSES, streams: true },
  'responses-stored': { gateway: responses('gpt-4o-mini', true), direct: RESPONSES, streams: true },
  'responses-translated': { gateway: responses('responses-via-chat', false), direct: CHAT, streams: true },
};

const KEY_KINDS = ['master', 'plain', 'limited'] as const;
type KeyKind = (typeof KEY_KINDS)[number];

interface Args {
  keys: KeyKind[];
  rates: number[];
  seconds: number;
  warmup: number;
  upstreamLatency: number;
  frontDoor: string;
  door: FrontDoor;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const rates = get('rates', '200,1000').split(',').map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0))
    throw new Error('--rates takes positive numbers, e.g. --rates 200,1000');
  const frontDoor = get('front-door', 'chat');
  const door = Object.hasOwn(FRONT_DOORS, frontDoor) ? FRONT_DOORS[frontDoor] : undefined;
  if (door === undefined) throw new Error(`--front-door takes one of ${Object.keys(FRONT_DOORS).join(', ')}`);
  const keys = get('keys', 'master').split(',') as KeyKind[];
  if (keys.some((k) => !KEY_KINDS.includes(k))) throw new Error(`--keys takes ${KEY_KINDS.join(', ')}`);
  return {
    keys,
    rates,
    seconds: Number(get('seconds', '10')),
    warmup: Number(get('warmup', '2')),
    upstreamLatency: Number(get('upstream-latency', '0')),
    frontDoor,
    door,
  };
}

const once = (pool: Pool, base: string, auth: string, stream: boolean, req: ApiRequest) =>
  onceWith(pool, `${base}/${req.path}`, auth, stream, req.body(stream), {}, req.firstContent);

function peakMemoryMiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time (user + system) a process has used so far, in ms; NaN if it is gone. */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of /proc/<pid>/stat, counted in clock ticks (100 per second here).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

/**
 * The infrastructure servers share the machine's cores with the services, so their CPU is part of where
 * the time goes. Found by executable name; Postgres runs a process per connection, summed under one name.
 */
function infraCpuMs(): Record<string, number> {
  const wanted: Record<string, string> = {
    'nats-server': 'nats',
    'clickhouse-serv': 'clickhouse',
    postgres: 'postgres',
    'redis-server': 'redis',
  };
  const out: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const name = wanted[readFileSync(`/proc/${entry}/comm`, 'utf8').trim()];
      const ms = name ? cpuMs(Number(entry)) : NaN;
      if (name && Number.isFinite(ms)) out[name] = (out[name] ?? 0) + ms;
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

function cpuSnapshot(pids: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(pids).map(([svc, pid]) => [svc, cpuMs(pid)]));
}

const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2).padStart(8) : '     n/a');

/** Starts tools/bench/fake-upstream in its own process and returns its base URL. */
async function spawnUpstream(latencyMs: number): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(__dirname, 'fake-upstream.js'), String(latencyMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`fake upstream exited with code ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, proc };
}

/** The credential of a gateway run (see --keys). */
async function benchKey(stack: Stack, kind: KeyKind): Promise<string> {
  if (kind === 'master') return stack.masterKey;
  const limits =
    kind === 'limited'
      ? {
          max_budget: 1_000_000,
          rpm_limit: 100_000_000,
          tpm_limit: 1_000_000_000_000,
          max_parallel_requests: 1_000_000,
        }
      : {};
  const res = await fetch(`${stack.adminUrl}/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ key_alias: `bench-${kind}`, ...limits }),
  });
  if (res.status !== 201) throw new Error(`creating the ${kind} bench key answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`==> starting fake upstream (latency ${args.upstreamLatency} ms) and the full stack`);
  const upstream = await spawnUpstream(args.upstreamLatency);
  let stack: Stack | undefined;
  try {
    stack = await startStack({
      env: {
        BENCH_UPSTREAM_KEY: 'sk-bench-upstream',
        // The bench is one client address with a pool of 256 connections, plus its probes.
        SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT: '0',
        ...(process.env.BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_SERVICE_NODE_OPTIONS } : {}),
      },
      configYaml:
        'model_list:\n' +
        ['gpt-4o-mini', 'text-embedding-3-small', 'gpt-3.5-turbo-instruct']
          .map(
            (m) =>
              `  - model_name: ${m}\n    litellm_params: { model: openai/${m}, api_base: ${upstream.url}, api_key: os.environ/BENCH_UPSTREAM_KEY }\n`,
          )
          .join('') +
        `  - model_name: responses-via-chat\n    litellm_params: { model: hosted_vllm/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/BENCH_UPSTREAM_KEY }\n`,
    });
    const up = new URL(upstream.url);
    const direct = new Pool(up.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
    const gateway = new Pool(stack.gatewayUrl, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
    const upBase = up.pathname.replace(/\/$/, '');
    const { door } = args;
    const directAuth = 'Bearer sk-bench-upstream';
    const auths: { kind: KeyKind; auth: string }[] = [];
    for (const kind of args.keys) auths.push({ kind, auth: `Bearer ${await benchKey(stack, kind)}` });

    const rows: Row[] = [];
    const cpuRows: string[] = [];
    let cpuColumns: string[] = [];
    for (const stream of door.streams ? [false, true] : [false]) {
      for (const rate of args.rates) {
        const kind = `${args.frontDoor} ${stream ? 'stream TTFT' : 'non-stream'}`;
        console.log(
          `==> ${kind} at ${rate} req/s: warming up ${args.warmup} s, measuring ${args.seconds} s each for direct and gateway`,
        );
        await openLoop(rate, args.warmup, () => once(direct, upBase, directAuth, stream, door.direct));
        const d = summarise(
          `direct   ${kind} @${rate}/s`,
          await openLoop(rate, args.seconds, () => once(direct, upBase, directAuth, stream, door.direct)),
        );
        rows.push(d);
        for (const { kind: keyKind, auth: gatewayAuth } of auths) {
          const label = `${kind} @${rate}/s${auths.length > 1 || keyKind !== 'master' ? ` ${keyKind}` : ''}`;
          await openLoop(rate, args.warmup, () => once(gateway, '/v1', gatewayAuth, stream, door.gateway));
          const before = { ...cpuSnapshot(stack.pids), ...infraCpuMs() };
          const run = await openLoop(rate, args.seconds, () => once(gateway, '/v1', gatewayAuth, stream, door.gateway));
          const after = { ...cpuSnapshot(stack.pids), ...infraCpuMs() };
          cpuColumns = Object.keys(after);
          const g = summarise(`gateway  ${label}`, run);
          cpuRows.push(
            `${label.padEnd(40)}` +
              cpuColumns
                .map((svc) =>
                  ((((after[svc] ?? NaN) - (before[svc] ?? NaN)) * 1000) / run.samples.length).toFixed(0).padStart(11),
                )
                .join(''),
          );
          rows.push(g, {
            label: `added    ${label}`,
            p50: g.p50 - d.p50,
            p95: g.p95 - d.p95,
            p99: g.p99 - d.p99,
            achieved: NaN,
            errors: NaN,
          });
        }
      }
    }
    console.log('\nlatency in ms (stream rows: time to first token)');
    console.log(`${'run'.padEnd(50)}     p50      p95      p99   req/s  errors`);
    for (const r of rows) {
      console.log(
        `${r.label.padEnd(50)}${f(r.p50)} ${f(r.p95)} ${f(r.p99)} ${Number.isFinite(r.achieved) ? r.achieved.toFixed(0).padStart(7) : '       '} ${Number.isFinite(r.errors) ? String(r.errors).padStart(7) : ''}`,
      );
    }
    console.log(
      '\nCPU time per request through the gateway, µs, services then infrastructure (10 ms ticks: indicative)',
    );
    console.log(`${'run'.padEnd(40)}${cpuColumns.map((s) => s.padStart(11)).join('')}`);
    for (const r of cpuRows) console.log(r);
    console.log('\npeak memory (VmHWM) per service, MiB');
    console.log(
      `  ${'upstream'.padEnd(12)} ${peakMemoryMiB(upstream.proc.pid!).toFixed(1)}  (the fake provider, not Switchyard)`,
    );
    for (const [svc, pid] of Object.entries(stack.pids))
      console.log(`  ${svc.padEnd(12)} ${peakMemoryMiB(pid).toFixed(1)}`);
    await direct.close();
    await gateway.close();
  } finally {
    await stack?.stop();
    upstream.proc.kill('SIGTERM');
  }
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.message}`);
  process.exit(1);
});
