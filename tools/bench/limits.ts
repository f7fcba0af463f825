/**
 * Measures the hot-path cost of limits and budgets in Redis: the admission script (one EVALSHA per request) and
 * the settlement spend runs per batch, for a key with one budget and for a key whose four levels (key, user, team,
 * organisation) each have max_budget, rpm_limit, tpm_limit and max_parallel_requests (plus a per-model budget).
 *
 *   node dist/tools/bench/limits.js [--requests 5000] [--batch 50] [--redis-url redis://127.0.0.1:6379]
 *
 * Without --redis-url it starts a private redis-server on a free loopback port (no persistence) and stops it at
 * the end, so Redis's own per-call CPU time (INFO commandstats, usec_per_call) counts only these scripts. It
 * prints, per configuration, the server time per admission and per settled request (µs) and the client round
 * trip p50/p99 (µs, what a gateway waits; includes the loopback network and this process's event loop).
 * A key with no limit anywhere runs no script at all (LimitsCheck returns before Redis).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { HotRedis, LimitsStore, limitsBase, type LevelLimits } from '@switchyard/redis';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function privateRedis(): Promise<{ url: string; proc: ChildProcess }> {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return { url, proc };
    await new Promise((r) => setTimeout(r, 50));
  }
  proc.kill();
  throw new Error('redis-server did not start: is it installed (apt-get install redis-server)?');
}

/** Total EVALSHA calls and µs Redis spent in them, from INFO commandstats. */
async function evalshaStats(redis: HotRedis): Promise<{ calls: number; usec: number }> {
  const info = (await redis.commands.info('commandstats')) as string;
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(info);
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
}

const pct = (xs: number[], p: number) =>
  xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))]!;

function levels(kind: 'one-budget' | 'four-levels-all-limits', run: string): LevelLimits[] {
  const big = 10n ** 15n;
  const level = (name: string, all: boolean): LevelLimits => ({
    base: limitsBase(name, `${run}-${name}`),
    maxBudgetNanos: big,
    rpmLimit: all ? 1_000_000 : null,
    tpmLimit: all ? 1_000_000_000 : null,
    maxParallelRequests: all ? 1_000_000 : null,
    seedSpendNanos: 0n,
    seedPeriodMs: 0,
  });
  if (kind === 'one-budget') return [level('key', false)];
  return [
    level('key', true),
    { ...level('key_model', false), base: limitsBase('key_model', `${run}-key/gpt-4o-mini`) },
    level('user', true),
    level('team', true),
    level('organization', true),
  ];
}

async function measure(
  store: LimitsStore,
  redis: HotRedis,
  kind: 'one-budget' | 'four-levels-all-limits',
  requests: number,
  batch: number,
): Promise<void> {
  const run = `${kind}-${Date.now()}`;
  const lv = levels(kind, run);
  const rtt: number[] = [];
  let admitUs = 0;
  let admitCalls = 0;
  let settleUs = 0;
  let settled = 0;
  // Warm up: the script loaded, the keys created.
  for (let i = 0; i < 200; i++) await store.admit(`${run}-w${i}`, lv, 9_750n, 35);
  for (let b = 0; b < requests / batch; b++) {
    const ids: string[] = [];
    const s0 = await evalshaStats(redis);
    for (let i = 0; i < batch; i++) {
      const id = `${run}-${b}-${i}`;
      const t = process.hrtime.bigint();
      const r = await store.admit(id, lv, 9_750n, 35);
      rtt.push(Number(process.hrtime.bigint() - t) / 1000);
      if (!r.ok) throw new Error(`refused: ${JSON.stringify(r)}`);
      ids.push(id);
    }
    const s1 = await evalshaStats(redis);
    await store.settle(
      ids.map((requestId) => ({ requestId, tokens: 30 })),
      lv
        .filter((l) => l.maxBudgetNanos !== null)
        .map((l) => ({ base: l.base, spendNanos: BigInt(b * batch * 6_750), periodMs: 0 })),
    );
    const parallel = lv.filter((l) => l.maxParallelRequests !== null).map((l) => l.base);
    for (const id of ids) await store.release(id, parallel);
    const s2 = await evalshaStats(redis);
    admitUs += s1.usec - s0.usec;
    admitCalls += s1.calls - s0.calls;
    settleUs += s2.usec - s1.usec;
    settled += batch;
  }
  console.log(
    `${kind.padEnd(24)} admission: ${(admitUs / admitCalls).toFixed(1)} µs in Redis per request, round trip p50 ${pct(rtt, 50).toFixed(0)} µs p99 ${pct(rtt, 99).toFixed(0)} µs; settlement: ${(settleUs / settled).toFixed(1)} µs in Redis per request (batches of ${batch})`,
  );
}

async function main(): Promise<void> {
  const requests = Number(arg('requests', '5000'));
  const batch = Number(arg('batch', '50'));
  const given = process.argv.includes('--redis-url') ? arg('redis-url', '') : undefined;
  const priv = given === undefined ? await privateRedis() : undefined;
  const redis = new HotRedis({
    url: given ?? priv!.url,
    keyPrefix: `bench-limits-${process.pid}`,
    commandTimeoutMs: 5_000,
  });
  const store = new LimitsStore(redis, { reservationTtlMs: 600_000, parallelSlotTtlMs: 600_000 });
  try {
    await new Promise((r) => setTimeout(r, 100));
    console.log(
      `limits in Redis: ${requests} requests per configuration${given ? ` on ${given}` : ' on a private redis-server'}`,
    );
    await measure(store, redis, 'one-budget', requests, batch);
    await measure(store, redis, 'four-levels-all-limits', requests, batch);
  } finally {
    await redis.close();
    priv?.proc.kill('SIGTERM');
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
