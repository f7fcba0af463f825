/**
 * Measures what routing decisions cost a request: a retry on another deployment, a fallback to another group, and
 * the shared deployment state of usage-based routing, each against a plain request through the same stack.
 *
 *   node dist/tools/bench/routing.js [--requests 1000] [--concurrency 4]
 *
 * Starts the fake upstream (tools/bench/fake-upstream) in its own process and two stacks (simple-shuffle, then
 * usage-based-routing-v2). Each scenario sends `requests` non-streamed requests, `concurrency` at a time, after a
 * warm-up, and prints p50/p95/p99 and the difference to the plain request. A failing attempt is the upstream's own
 * immediate 500 (model `fake-500`), so what is measured is Switchyard's work for the extra attempt: the router
 * deciding, a second hand-off to a translator, a second upstream call on a warm connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Pool } from 'undici';
import { startStack, type Stack } from '@switchyard/testing';
import { once, pct, type Sample } from './load';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} takes a positive integer`);
  return n;
}

async function spawnUpstream(): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [join(__dirname, 'fake-upstream.js'), '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`fake upstream exited with code ${code}`)));
  });
  return { url: (JSON.parse(line) as { url: string }).url, proc };
}

/** `requests` requests for `model`, `concurrency` at a time; every one must succeed. */
async function closedLoop(pool: Pool, auth: string, model: string, requests: number, concurrency: number) {
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello in one short sentence.' }] });
  const samples: Sample[] = [];
  let left = requests;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) samples.push(await once(pool, '/v1/chat/completions', auth, false, body));
    }),
  );
  const failed = samples.filter((s) => !s.ok).length;
  if (failed > 0) throw new Error(`${failed} of ${requests} requests for ${model} failed`);
  return samples.map((s) => s.ms);
}

const config = (upstream: string, strategy: string) => `
model_list:
  - model_name: plain
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream}, api_key: sk-bench }
  # First order always fails at once; the retry goes to the second.
  - model_name: retry
    litellm_params: { model: openai/fake-500, api_base: ${upstream}, api_key: sk-bench, order: 1 }
    model_info: { id: retry-failing }
  - model_name: retry
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream}, api_key: sk-bench, order: 2 }
    model_info: { id: retry-ok }
  # A group whose only deployment always fails, falling back to another group.
  - model_name: falls-back
    litellm_params: { model: openai/fake-500, api_base: ${upstream}, api_key: sk-bench }
  - model_name: fallback-target
    litellm_params: { model: openai/gpt-4o-mini, api_base: ${upstream}, api_key: sk-bench }
router_settings:
  routing_strategy: ${strategy}
  num_retries: 1
  disable_cooldowns: true
  fallbacks: [{ falls-back: [fallback-target] }]
  model_group_retry_policy: { falls-back: { InternalServerErrorRetries: 0 } }
`;

async function main(): Promise<void> {
  const requests = arg('requests', 1000);
  const concurrency = arg('concurrency', 4);
  const upstream = await spawnUpstream();
  const rows: [string, number[]][] = [];
  try {
    for (const strategy of ['simple-shuffle', 'usage-based-routing-v2']) {
      console.log(`==> ${strategy}: starting a stack`);
      let stack: Stack | undefined;
      try {
        stack = await startStack({ configYaml: config(upstream.url, strategy) });
        const pool = new Pool(stack.gatewayUrl, { connections: 64, keepAliveTimeout: 60_000 });
        const auth = `Bearer ${stack.masterKey}`;
        const scenarios = strategy === 'simple-shuffle' ? ['plain', 'retry', 'falls-back'] : ['plain'];
        for (const model of scenarios) {
          console.log(`==> ${strategy} / ${model}: warming up, then ${requests} requests, ${concurrency} at a time`);
          await closedLoop(pool, auth, model, Math.min(200, requests), concurrency);
          rows.push([`${strategy.padEnd(24)} ${model}`, await closedLoop(pool, auth, model, requests, concurrency)]);
        }
        await pool.close();
      } finally {
        await stack?.stop();
      }
    }
  } finally {
    upstream.proc.kill('SIGTERM');
  }
  const base = rows[0]![1];
  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`\nnon-streamed latency through the gateway, ms (${requests} requests, ${concurrency} at a time)`);
  console.log(`${'strategy / scenario'.padEnd(40)}     p50      p95      p99   +p50 vs plain`);
  for (const [label, ms] of rows) {
    console.log(
      `${label.padEnd(40)}${f(pct(ms, 50))} ${f(pct(ms, 95))} ${f(pct(ms, 99))} ${f(pct(ms, 50) - pct(base, 50))}`,
    );
  }
}

main().catch((e: Error) => {
  console.error(`routing bench failed: ${e.message}`);
  process.exit(1);
});
