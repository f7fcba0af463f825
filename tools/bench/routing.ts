/**
 * Measures what routing decisions cost a request: a retry on another deployment, a fallback to another group, and
 * the shared deployment state of usage-based routing, each against a plain request through the same stack.
 *
 *   node dist/tools/bench/routing.js [--requests 1000] [--concurrency 4] [--rounds 5] [--second-strategy NAME]
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
  const rounds = arg('rounds', 5);
  const upstream = await spawnUpstream();
  const stacks: Stack[] = [];
  const pools: Pool[] = [];
  try {
    // Both stacks stay up and the scenarios take turns, round after round, so a machine that gets busier or quieter
    // during the run weighs on every scenario alike.
    // --second-strategy simple-shuffle runs the second stack like the first: the spread between two equal stacks.
    const second = process.argv.includes('--second-strategy')
      ? process.argv[process.argv.indexOf('--second-strategy') + 1]!
      : 'usage-based-routing-v2';
    for (const strategy of ['simple-shuffle', second]) {
      console.log(`==> ${strategy}: starting a stack`);
      stacks.push(await startStack({ configYaml: config(upstream.url, strategy) }));
      pools.push(new Pool(stacks.at(-1)!.gatewayUrl, { connections: 64, keepAliveTimeout: 60_000 }));
    }
    const scenarios: { label: string; stack: number; model: string }[] = [
      { label: 'simple-shuffle           plain', stack: 0, model: 'plain' },
      { label: 'simple-shuffle           retry', stack: 0, model: 'retry' },
      { label: 'simple-shuffle           fallback', stack: 0, model: 'falls-back' },
      { label: `${second.padEnd(24)} plain`, stack: 1, model: 'plain' },
    ];
    const per = Math.ceil(requests / rounds);
    const ms = scenarios.map(() => [] as number[]);
    for (const s of scenarios)
      await closedLoop(pools[s.stack]!, `Bearer ${stacks[s.stack]!.masterKey}`, s.model, 200, concurrency);
    for (let round = 1; round <= rounds; round++) {
      console.log(`==> round ${round}/${rounds}: ${per} requests per scenario, ${concurrency} at a time`);
      // Each round starts with another scenario, so no scenario always runs right after the same one.
      for (let k = 0; k < scenarios.length; k++) {
        const i = (round + k) % scenarios.length;
        const s = scenarios[i]!;
        ms[i]!.push(
          ...(await closedLoop(pools[s.stack]!, `Bearer ${stacks[s.stack]!.masterKey}`, s.model, per, concurrency)),
        );
      }
    }
    const f = (n: number) => n.toFixed(2).padStart(8);
    console.log(
      `\nnon-streamed latency through the gateway, ms (${per * rounds} requests each, ${concurrency} at a time)`,
    );
    console.log(`${'strategy / scenario'.padEnd(40)}     p50      p95      p99   +p50 vs plain`);
    scenarios.forEach((s, i) =>
      console.log(
        `${s.label.padEnd(40)}${f(pct(ms[i]!, 50))} ${f(pct(ms[i]!, 95))} ${f(pct(ms[i]!, 99))} ${f(pct(ms[i]!, 50) - pct(ms[0]!, 50))}`,
      ),
    );
  } finally {
    await Promise.all(pools.map((p) => p.close()));
    for (const stack of stacks) await stack.stop();
    upstream.proc.kill('SIGTERM');
  }
}

main().catch((e: Error) => {
  console.error(`routing bench failed: ${e.message}`);
  process.exit(1);
});
