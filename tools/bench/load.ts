/** The benchmarks' load: one request at a time or on an open-loop schedule, and percentiles of what came back. */
import type { Pool } from 'undici';

export interface Sample {
  ms: number;
  ok: boolean;
}

/** One request; resolves with total latency, or with time to the first content chunk for a stream. */
export async function once(
  pool: Pool,
  path: string,
  auth: string,
  stream: boolean,
  body: string,
  headers: Record<string, string> = {},
  /** What a stream's first content chunk contains (its time is the stream's time to first token). */
  firstContent = '"content"',
): Promise<Sample> {
  const started = process.hrtime.bigint();
  try {
    const res = await pool.request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth, ...headers },
      body,
    });
    let firstAt: bigint | undefined;
    for await (const chunk of res.body) {
      if (stream && firstAt === undefined && (chunk as Buffer).includes(firstContent))
        firstAt = process.hrtime.bigint();
    }
    const end = stream ? (firstAt ?? process.hrtime.bigint()) : process.hrtime.bigint();
    return { ms: Number(end - started) / 1e6, ok: res.statusCode === 200 };
  } catch {
    return { ms: Number(process.hrtime.bigint() - started) / 1e6, ok: false };
  }
}

/** Fires requests at `rate` per second for `seconds`, on schedule, and collects every outcome. */
export async function openLoop(
  rate: number,
  seconds: number,
  fire: () => Promise<Sample>,
): Promise<{ samples: Sample[]; achieved: number }> {
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const samples: Sample[] = [];
  const pending: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(fire().then((s) => void samples.push(s)));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  return { samples, achieved: samples.filter((s) => s.ok).length / elapsed };
}

export function pct(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface Row {
  label: string;
  p50: number;
  p95: number;
  p99: number;
  achieved: number;
  errors: number;
}

export function summarise(label: string, run: { samples: Sample[]; achieved: number }): Row {
  const ok = run.samples.filter((s) => s.ok).map((s) => s.ms);
  return {
    label,
    p50: pct(ok, 50),
    p95: pct(ok, 95),
    p99: pct(ok, 99),
    achieved: run.achieved,
    errors: run.samples.length - ok.length,
  };
}
