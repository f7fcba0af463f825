/**
 * Measures the latency Switchyard adds over calling the same fake upstream directly.
 *
 *   node dist/tools/bench/bench.js [--rates 200,1000] [--seconds 10] [--warmup 2] [--upstream-latency 0]
 *                                  [--front-door chat|messages]
 *
 * Starts a fake OpenAI upstream and a complete stack (five services on their own databases, NATS
 * prefix and ports; Postgres, Redis, NATS and ClickHouse must answer, as `tools/start.sh` ensures),
 * then for each rate sends an open-loop load (requests start on a fixed schedule, whatever the
 * latency, so queueing shows up in the tail): first straight to the upstream, then through the
 * gateway. Non-streaming requests report total latency; streaming requests report time to first
 * token. Prints p50/p95/p99, achieved throughput and each service's peak memory (VmHWM).
 * `--front-door messages` sends the gateway Anthropic Messages requests instead (translated to the same
 * OpenAI-compatible upstream and back): the added latency is then that of the Messages front door.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { startStack, type Stack } from '@switchyard/testing';
import { once as onceWith, openLoop, summarise, type Row } from './load';

interface Args {
  rates: number[];
  seconds: number;
  warmup: number;
  upstreamLatency: number;
  frontDoor: 'chat' | 'messages';
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
  if (frontDoor !== 'chat' && frontDoor !== 'messages') throw new Error('--front-door takes chat or messages');
  return {
    rates,
    seconds: Number(get('seconds', '10')),
    warmup: Number(get('warmup', '2')),
    upstreamLatency: Number(get('upstream-latency', '0')),
    frontDoor,
  };
}

const PROMPT = 'Say hello in one short sentence, please.';

/** A front door's request: path, body, and what its first content chunk contains. */
interface FrontDoor {
  path: string;
  body(stream: boolean): string;
  firstContent: string;
}

const CHAT: FrontDoor = {
  path: '/v1/chat/completions',
  body: (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    }),
  firstContent: '"content"',
};

const MESSAGES: FrontDoor = {
  path: '/v1/messages',
  body: (stream) =>
    JSON.stringify({
      model: 'gpt-4o-mini',
      max_tokens: 256,
      messages: [{ role: 'user', content: PROMPT }],
      ...(stream ? { stream: true } : {}),
    }),
  firstContent: '"text_delta"',
};

const once = (pool: Pool, path: string, auth: string, stream: boolean, door: FrontDoor = CHAT) =>
  onceWith(pool, path, auth, stream, door.body(stream), {}, door.firstContent);

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
      configYaml: `model_list:\n  - model_name: gpt-4o-mini\n    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream.url}, api_key: os.environ/BENCH_UPSTREAM_KEY }\n`,
    });
    const up = new URL(upstream.url);
    const direct = new Pool(up.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
    const gateway = new Pool(stack.gatewayUrl, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
    const upPath = `${up.pathname.replace(/\/$/, '')}/chat/completions`;
    const directAuth = 'Bearer sk-bench-upstream';
    const gatewayAuth = `Bearer ${stack.masterKey}`;

    const rows: Row[] = [];
    const cpuRows: string[] = [];
    let cpuColumns: string[] = [];
    for (const stream of [false, true]) {
      for (const rate of args.rates) {
        const kind = stream ? 'stream TTFT' : 'non-stream';
        console.log(
          `==> ${kind} at ${rate} req/s: warming up ${args.warmup} s, measuring ${args.seconds} s each for direct and gateway`,
        );
        await openLoop(rate, args.warmup, () => once(direct, upPath, directAuth, stream));
        const d = summarise(
          `direct   ${kind} @${rate}/s`,
          await openLoop(rate, args.seconds, () => once(direct, upPath, directAuth, stream)),
        );
        const door = args.frontDoor === 'messages' ? MESSAGES : CHAT;
        await openLoop(rate, args.warmup, () => once(gateway, door.path, gatewayAuth, stream, door));
        const before = { ...cpuSnapshot(stack.pids), ...infraCpuMs() };
        const run = await openLoop(rate, args.seconds, () => once(gateway, door.path, gatewayAuth, stream, door));
        const after = { ...cpuSnapshot(stack.pids), ...infraCpuMs() };
        cpuColumns = Object.keys(after);
        const g = summarise(`gateway  ${kind} @${rate}/s`, run);
        cpuRows.push(
          `${`${kind} @${rate}/s`.padEnd(24)}` +
            cpuColumns
              .map((svc) =>
                ((((after[svc] ?? NaN) - (before[svc] ?? NaN)) * 1000) / run.samples.length).toFixed(0).padStart(11),
              )
              .join(''),
        );
        rows.push(d, g, {
          label: `added    ${kind} @${rate}/s`,
          p50: g.p50 - d.p50,
          p95: g.p95 - d.p95,
          p99: g.p99 - d.p99,
          achieved: NaN,
          errors: NaN,
        });
      }
    }
    console.log('\nlatency in ms (stream rows: time to first token)');
    console.log(`${'run'.padEnd(34)}     p50      p95      p99   req/s  errors`);
    for (const r of rows) {
      console.log(
        `${r.label.padEnd(34)}${f(r.p50)} ${f(r.p95)} ${f(r.p99)} ${Number.isFinite(r.achieved) ? r.achieved.toFixed(0).padStart(7) : '       '} ${Number.isFinite(r.errors) ? String(r.errors).padStart(7) : ''}`,
      );
    }
    console.log(
      '\nCPU time per request through the gateway, µs, services then infrastructure (10 ms ticks: indicative)',
    );
    console.log(`${'run'.padEnd(24)}${cpuColumns.map((s) => s.padStart(11)).join('')}`);
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
