/**
 * How far analytics lags behind traffic: sends an open-loop load through a private stack, and samples how
 * many of the requests already have their usage row in ClickHouse, until all do.
 *
 *   node dist/tools/bench/usage-lag.js [--rate 300] [--seconds 60]
 *
 * Prints the lag (request answered → row stored) at p50/p99/max, from the row count sampled every 250 ms,
 * and the spend log lines at warning level or above seen meanwhile (a false alarm under load shows there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { createAnalyticsClient } from '@switchyard/analytics';
import { repoRoot, startStack } from '@switchyard/testing';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

async function main(): Promise<void> {
  const rate = arg('rate', 300);
  const seconds = arg('seconds', 60);
  const total = Math.round(rate * seconds);
  console.log(`==> private stack on the demo config; ${rate} req/s for ${seconds} s (${total} requests)`);
  const stack = await startStack({
    env: { SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT: '0' },
    configYaml: readFileSync(join(repoRoot(), 'infra/config/demo.yaml'), 'utf8'),
  });
  const pool = new Pool(stack.gatewayUrl, { connections: 128, keepAliveTimeout: 30_000 });
  const ch = createAnalyticsClient({ url: stack.clickhouse.url });
  /** When each request was answered (ms since start), in order of answering. */
  const answered: number[] = [];
  /** [ms since start, rows stored]. */
  const samples: [number, number][] = [];
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const r = await ch.query({
        query: `SELECT count() AS n FROM ${stack.clickhouse.database}.usage`,
        format: 'JSONEachRow',
      });
      const [{ n }] = (await r.json()) as { n: string }[];
      samples.push([now(), Number(n)]);
      if (Number(n) >= total) break;
      await new Promise((res) => setTimeout(res, 250));
    }
  })();
  try {
    const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'lag test' }] });
    const headers = { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' };
    const pending: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = (i * 1000) / rate - now();
      if (wait > 1) await new Promise((res) => setTimeout(res, wait));
      pending.push(
        pool
          .request({ method: 'POST', path: '/v1/chat/completions', headers, body })
          .then((res) => res.body.text())
          .then(
            () => void answered.push(now()),
            () => void answered.push(now()),
          ),
      );
    }
    await Promise.all(pending);
    const deadline = now() + 120_000;
    while (now() < deadline && (samples.at(-1)?.[1] ?? 0) < total) await new Promise((res) => setTimeout(res, 250));
    sampling = false;
    await sampler;
    // The k-th answered request's row is stored by the first sample with at least k rows (rows are stored
    // roughly in order); its lag is that sample's time less its answer time.
    const lags: number[] = [];
    let s = 0;
    answered.sort((a, b) => a - b);
    for (let k = 0; k < answered.length; k++) {
      while (s < samples.length && samples[s]![1] < k + 1) s++;
      if (s === samples.length) break;
      lags.push(Math.max(0, samples[s]![0] - answered[k]!));
    }
    lags.sort((a, b) => a - b);
    const q = (p: number) => (lags.length ? lags[Math.min(lags.length - 1, Math.floor(p * lags.length))]! : NaN);
    const stored = samples.at(-1)?.[1] ?? 0;
    console.log(`\nrows stored: ${stored} of ${total}`);
    console.log(
      `usage lag (answered → row in ClickHouse, 250 ms sampling): p50 ${(q(0.5) / 1000).toFixed(2)} s, p99 ${(q(0.99) / 1000).toFixed(2)} s, max ${(q(1) / 1000).toFixed(2)} s`,
    );
    const log = readFileSync(join(stack.logDir, 'spend.log'), 'utf8')
      .split('\n')
      .filter((l) => /\b(WARN|ERROR)\b/.test(l));
    const errors = log.filter((l) => /\bERROR\b/.test(l));
    console.log(`spend log lines: ${errors.length} at ERROR (alarms), ${log.length - errors.length} at WARN`);
    for (const l of [...errors, ...log.filter((l) => !errors.includes(l))].slice(0, 5))
      console.log(`  ${l.replace(/\x1b\[[0-9;]*m/g, '').slice(0, 200)}`);
    if (stored < total || errors.length > 0) process.exitCode = 1;
  } finally {
    sampling = false;
    await pool.close();
    await ch.close();
    await stack.stop();
  }
}

main().catch((e: Error) => {
  console.error(`usage-lag failed: ${e.message}`);
  process.exit(1);
});
