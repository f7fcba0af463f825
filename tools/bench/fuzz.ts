/**
 * Sends malformed and hostile requests at a private stack and reports what came back.
 *
 *   node dist/tools/bench/fuzz.js [--requests 20000] [--concurrency 64] [--seed 1]
 *
 * Starts a stack on the demo config (the built-in fake provider), then fires seeded random mutations of a
 * valid chat request: broken JSON, wrong types, huge and deeply nested values, lone surrogates and NUL in
 * every string, odd headers and keys, unknown paths and methods. Prints the statuses, then checks that the
 * gateway still answers a valid request and that every request got the OpenAI envelope. Exits 1 on any 500
 * (a status the gateway must never answer) or when the gateway stops answering. Traffic goes to loopback only.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { repoRoot, startStack, type Stack } from '@switchyard/testing';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} takes a positive number`);
  return v;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NASTY_STRINGS = [
  '\ud800',
  '\udfff tail',
  'a\u0000b',
  '\u202e reversed',
  'x'.repeat(70_000),
  '😀'.repeat(5000),
  "'; DROP TABLE keys; --",
  "') OR 1=1 FORMAT JSON --",
  '{{7*7}}',
  '../../etc/passwd',
  '%00%ff',
  '',
];

/** A placeholder for `depth` levels of nested objects, expanded in the JSON text (JSON.stringify would overflow). */
function nested(depth: number): string {
  return `__NEST_${depth}__`;
}

function expandNesting(json: string): string {
  return json.replace(
    /"__NEST_(\d+)__"/g,
    (_, d: string) => `${'{"v":'.repeat(Number(d))}"leaf"${'}'.repeat(Number(d))}`,
  );
}

interface Case {
  method: 'POST' | 'GET' | 'PUT' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

function mutate(next: () => number, key: string): Case {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const body: Record<string, unknown> = {
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hello' }],
  };
  const headers: Record<string, string> = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  let raw: string | undefined;
  let path = '/v1/chat/completions';
  let method: Case['method'] = 'POST';
  switch (Math.floor(next() * 14)) {
    case 0:
      raw = JSON.stringify(body).slice(0, Math.floor(next() * 40));
      break;
    case 1:
      body[pick(['model', 'messages', 'stream', 'temperature', 'n', 'max_tokens', 'stop', 'user', 'tools'])] = pick([
        null,
        42,
        -1,
        1e308,
        'text',
        [],
        {},
        true,
        [1, 2],
      ]);
      break;
    case 2:
      body[pick(['user', 'model'])] = pick(NASTY_STRINGS);
      break;
    case 3:
      body.metadata = pick([nested(10_000), { tags: [pick(NASTY_STRINGS), 7, null] }, 'x', [nested(50)]]);
      break;
    case 4:
      body.messages = pick([[], [{ role: 'wizard', content: 'x' }], [{ role: 'user', content: nested(5000) }], 'hi']);
      break;
    case 5:
      headers.authorization = pick([
        '',
        'Bearer',
        'Basic Zm9vOmJhcg==',
        `Bearer ${key} junk`,
        'Bearer sk-nope',
        'x'.repeat(9000),
      ]);
      break;
    case 6:
      headers['content-type'] = pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'application/json; charset=latin1',
        '',
      ]);
      break;
    case 7:
      path = pick([
        '/v1/chat/completions/../admin',
        '/v1/%zz',
        '/v1/embeddings',
        '/v1/messages',
        '/%00',
        `/v1/${'a'.repeat(5000)}`,
        '/key/generate',
      ]);
      break;
    case 8:
      method = pick(['GET', 'PUT', 'DELETE'] as const);
      break;
    case 9:
      body.stream = true;
      body.stream_options = pick([{ include_usage: true }, 'yes', nested(100)]);
      break;
    case 10:
      raw = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"${pick(['\\ud800', '\\u0000', '\\x41', '\\'])}"}]}`;
      break;
    case 11:
      body.models = pick([['a', 'b'], 'a', [1], Array.from({ length: 40 }, (_, i) => `m${i}`)]);
      body.provider = pick([{ order: ['x'] }, 'x', nested(3000)]);
      break;
    case 12:
      body[pick(['__proto__', 'constructor', 'prototype'])] = { polluted: true };
      break;
    default:
      raw = Buffer.from(Array.from({ length: 64 }, () => Math.floor(next() * 256))).toString('latin1');
  }
  return { method, path, headers, body: method === 'GET' ? undefined : (raw ?? expandNesting(JSON.stringify(body))) };
}

async function main(): Promise<void> {
  const total = arg('requests', 20_000);
  const concurrency = arg('concurrency', 64);
  const next = rng(arg('seed', 1));
  console.log(
    `==> starting a private stack on the demo config, then ${total} hostile requests (${concurrency} at a time)`,
  );
  const stack: Stack = await startStack({
    env: { SWITCHYARD_MAX_CONNECTIONS_PER_CLIENT: '0' },
    configYaml: readFileSync(join(repoRoot(), 'infra/config/demo.yaml'), 'utf8'),
  });
  const pool = new Pool(stack.gatewayUrl, { connections: concurrency, keepAliveTimeout: 30_000 });
  const statuses = new Map<string, number>();
  let sent = 0;
  let notEnvelope = 0;
  const started = Date.now();
  try {
    const worker = async () => {
      while (sent < total) {
        const n = ++sent;
        const c = mutate(next, stack.masterKey);
        let label: string;
        try {
          const res = await pool.request({ ...c, headersTimeout: 30_000, bodyTimeout: 30_000 });
          const text = await res.body.text();
          label = String(res.statusCode);
          if (res.statusCode >= 400 && !/"error"\s*:/.test(text)) notEnvelope++;
        } catch (e) {
          label = `connection ${(e as { code?: string }).code ?? (e as Error).message}`;
        }
        statuses.set(label, (statuses.get(label) ?? 0) + 1);
        if (n % 5000 === 0) console.log(`    ${n}/${total} sent (${Math.round((Date.now() - started) / 1000)} s)`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const alive = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${stack.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still there?' }] }),
    });
    await alive.body.text();
    console.log(`\n${total} requests in ${Math.round((Date.now() - started) / 1000)} s; statuses:`);
    for (const [s, n] of [...statuses].sort()) console.log(`  ${s.padEnd(28)} ${n}`);
    console.log(`error responses without an error envelope: ${notEnvelope}`);
    console.log(`a valid request afterwards: ${alive.statusCode}`);
    const fiveHundred = statuses.get('500') ?? 0;
    if (fiveHundred > 0 || alive.statusCode !== 200) {
      console.error(`FAILED: ${fiveHundred} answers were 500, and the gateway answered ${alive.statusCode} afterwards`);
      process.exitCode = 1;
    }
  } finally {
    await pool.close();
    await stack.stop();
  }
}

main().catch((e: Error) => {
  console.error(`fuzz failed: ${e.message}`);
  process.exit(1);
});
