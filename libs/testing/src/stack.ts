import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect as connectNats } from '@nats-io/transport-node';
import Redis from 'ioredis';
import { Client as PgClient } from 'pg';
import { migrateAnalytics } from '@switchyard/analytics';
import { loadEnv } from '@switchyard/config';
import { subjects } from '@switchyard/contracts';
import { migrateDatabase } from '@switchyard/db';
import { waitFor } from './wait-for';

export const STACK_SERVICES = ['gateway', 'router', 'translator', 'spend', 'admin'] as const;
export type StackService = (typeof STACK_SERVICES)[number];

export interface StartStackOptions {
  /** The YAML config (LiteLLM shape) the services load; written to a temp file. */
  configYaml: string;
  /** Extra environment for the services; wins over everything the stack sets. */
  env?: Record<string, string>;
  /** Which services to run (default all five). Health is awaited for gateway and admin when included. */
  services?: string[];
  /** How many router instances to run when the router is among the services (default 1); logs `router-2.log`, ... */
  routers?: number;
}

export interface Stack {
  /** Gateway base URL without /v1, e.g. http://127.0.0.1:41234 (the OpenAI SDK wants `${gatewayUrl}/v1`). */
  gatewayUrl: string;
  adminUrl: string;
  masterKey: string;
  /** The environment the services were started with (the stack's own variables and `opts.env`; not process.env). */
  env: Record<string, string>;
  pids: Record<string, number>;
  databaseUrl: string;
  clickhouse: { url: string; database: string };
  natsPrefix: string;
  redisPrefix: string;
  /** Folder holding `<service>.log` for each service. */
  logDir: string;
  /**
   * Stops one service instance (`router-2` names a second router) with `signal` (default SIGTERM; SIGKILL for a
   * crash) and resolves once it has exited. Fault tests use it with startService to restart a service.
   */
  stopService(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service instance stopped by stopService again, with the same environment and log file (appended). */
  startService(name: string): Promise<void>;
  /** Stops the services (SIGTERM, SIGKILL after 5 s) and drops the stack's databases, stream and Redis keys. */
  stop(): Promise<void>;
}

// Generous: on a loaded 2-core machine five Node services can take more than 30 s to boot together.
const HEALTH_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 40;

/** The repository root: the folder with Switchyard's package.json above this file (from source or from dist). */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'switchyard') return dir;
      } catch {
        // Not ours or unreadable: keep climbing.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the Switchyard repository root above ${__dirname}.`);
    dir = parent;
  }
}

/**
 * Listening ports are taken from a band below the kernel's ephemeral range (32768-60999 on Linux): a port
 * found by binding port 0 comes from that range, and between its probe closing and a service binding it,
 * an outgoing connection of any test (to Postgres, Redis, a fake upstream) may take it as its local port.
 */
const PORT_BAND = { first: 20_000, last: 32_700 };
/** Ports this process handed out already: never handed out twice (services free them only when they stop). */
const handedOut = new Set<number>();

function bindable(port: number): Promise<import('node:net').Server | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(undefined));
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

/** `count` free TCP ports on loopback, below the ephemeral range, each probed by binding it. */
export async function freePorts(count: number): Promise<number[]> {
  const held: import('node:net').Server[] = [];
  const ports: number[] = [];
  const span = PORT_BAND.last - PORT_BAND.first;
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 2_000) throw new Error(`No free port between ${PORT_BAND.first} and ${PORT_BAND.last} on 127.0.0.1.`);
    const port = PORT_BAND.first + Math.floor(Math.random() * span);
    if (handedOut.has(port)) continue;
    const server = await bindable(port);
    if (server === undefined) continue;
    // Held open until every port is known, so one call never gets the same port twice.
    held.push(server);
    ports.push(port);
    handedOut.add(port);
  }
  await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

function tail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function dropPostgres(databaseUrl: string, name: string): Promise<void> {
  const client = new PgClient({ connectionString: withDatabase(databaseUrl, 'postgres') });
  client.on('error', () => undefined);
  await client.connect();
  try {
    // The name is one we generated (sy_test_[a-z0-9]+), so quoting it is safe.
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropClickHouse(url: string, database: string, user: string, password: string): Promise<void> {
  // Plain HTTP interface: works the same on ClickHouse 18.16 and current versions.
  const params = new URLSearchParams({ user, password });
  const res = await fetch(`${url.replace(/\/+$/, '')}/?${params.toString()}`, {
    method: 'POST',
    body: `DROP DATABASE IF EXISTS ${database}`,
  });
  if (!res.ok) throw new Error(`ClickHouse DROP DATABASE ${database}: HTTP ${res.status} ${(await res.text()).trim()}`);
}

async function dropNatsStream(natsUrl: string, prefix: string): Promise<void> {
  const nc = await connectNats({ servers: natsUrl, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.streams.delete(subjects(prefix).usageStream);
    } catch (e) {
      if (!/not found/i.test((e as Error).message)) throw e;
    }
  } finally {
    await nc.close();
  }
}

async function dropRedisKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

/**
 * Children still running when the test process ends are killed, so a crashed or interrupted test leaves no strays:
 * on 'exit', and on SIGTERM/SIGINT (which skip 'exit' hooks). SIGKILL runs no code at all; for that case every service
 * is started through tools/lib/child-guard.js, which stops it when its stdin pipe from this process closes.
 */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function killLiveChildren(): void {
  for (const c of liveChildren) if (!exited(c)) c.kill('SIGKILL');
}
function onSignal(signal: NodeJS.Signals): void {
  killLiveChildren();
  // With no other handler left, end the way the signal would have without ours.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}
export function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killLiveChildren);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/**
 * Starts the built services (dist/) against resources of their own: a fresh Postgres database and ClickHouse
 * database, a NATS subject prefix, a Redis key prefix and free ports, so stacks run in parallel and beside a
 * dev stack. Run `npm run build` first. Throws with the tail of every service log when the stack is not healthy.
 */
export async function startStack(opts: StartStackOptions): Promise<Stack> {
  const root = repoRoot();
  const services = (opts.services ?? [...STACK_SERVICES]) as string[];
  for (const svc of services) {
    if (!(STACK_SERVICES as readonly string[]).includes(svc)) {
      throw new Error(`Unknown service "${svc}"; choose from ${STACK_SERVICES.join(', ')}.`);
    }
    const entry = join(root, 'dist/apps', svc, 'src/main.js');
    if (!existsSync(entry)) {
      throw new Error(
        `${entry} does not exist: run \`npm run build\` first (and check that apps/${svc}/src/main.ts exists).`,
      );
    }
  }

  const suffix = `${Date.now().toString(36).slice(-4)}${randomBytes(4).toString('hex')}`;
  const base = loadEnv({ ...process.env, ...opts.env });
  const dbName = `sy_test_${suffix}`;
  const prefix = `t${suffix}`;
  const masterKey = `sk-master-${randomBytes(16).toString('hex')}`;
  const [gatewayPort, adminPort] = await freePorts(2);

  const logDir = join(root, '.data/logs', `test-${suffix}`);
  mkdirSync(logDir, { recursive: true });
  const configDir = mkdtempSync(join(tmpdir(), `switchyard-${suffix}-`));
  const configPath = join(configDir, 'config.yaml');
  writeFileSync(configPath, opts.configYaml);

  const env: Record<string, string> = {
    SWITCHYARD_CONFIG: configPath,
    SWITCHYARD_MASTER_KEY: masterKey,
    GATEWAY_PORT: String(gatewayPort),
    ADMIN_PORT: String(adminPort),
    GATEWAY_HOST: '127.0.0.1',
    ADMIN_HOST: '127.0.0.1',
    // The gateway forwards the admin routes it answers on its own port to this stack's admin.
    SWITCHYARD_ADMIN_URL: `http://127.0.0.1:${adminPort}`,
    DATABASE_URL: withDatabase(base.DATABASE_URL, dbName),
    REDIS_URL: base.REDIS_URL,
    NATS_URL: base.NATS_URL,
    CLICKHOUSE_URL: base.CLICKHOUSE_URL,
    CLICKHOUSE_DATABASE: dbName,
    CLICKHOUSE_USER: base.CLICKHOUSE_USER,
    CLICKHOUSE_PASSWORD: base.CLICKHOUSE_PASSWORD,
    SWITCHYARD_NATS_PREFIX: prefix,
    SWITCHYARD_REDIS_PREFIX: prefix,
    // JetStream reserves a stream's max_bytes on disk; stacks run in parallel, so each reserves little.
    SWITCHYARD_USAGE_STREAM_MAX_BYTES: String(256 * 1024 ** 2),
    ...opts.env,
  };
  const databaseUrl = env.DATABASE_URL;
  const clickhouse = { url: env.CLICKHOUSE_URL, database: env.CLICKHOUSE_DATABASE };

  const children = new Map<string, ChildProcess>();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...children.values()].map(terminate));
    rmSync(configDir, { recursive: true, force: true });
    // Only what this stack created is dropped, never a database named through opts.env.
    const cleanups: Promise<void>[] = [];
    if (env.DATABASE_URL === withDatabase(base.DATABASE_URL, dbName)) cleanups.push(dropPostgres(databaseUrl, dbName));
    if (env.CLICKHOUSE_DATABASE === dbName) {
      cleanups.push(dropClickHouse(clickhouse.url, dbName, env.CLICKHOUSE_USER, env.CLICKHOUSE_PASSWORD));
    }
    if (env.SWITCHYARD_NATS_PREFIX === prefix) cleanups.push(dropNatsStream(env.NATS_URL, prefix));
    if (env.SWITCHYARD_REDIS_PREFIX === prefix) cleanups.push(dropRedisKeys(env.REDIS_URL, prefix));
    const failures = (await Promise.allSettled(cleanups)).filter(
      (r): r is PromiseRejectedResult => r.status === 'rejected',
    );
    if (failures.length > 0) {
      const reasons = failures.map((f) => (f.reason instanceof Error ? f.reason.message : String(f.reason)));
      throw new Error(`Stack ${suffix} stopped, but cleaning up failed:\n  ${reasons.join('\n  ')}`);
    }
  };

  const logs = (): string =>
    [...children.keys()]
      .map((svc) => `----- ${svc} (${join(logDir, `${svc}.log`)}) -----\n${tail(join(logDir, `${svc}.log`))}`)
      .join('\n');
  const fail = async (message: string): Promise<never> => {
    const detail = logs();
    await stop().catch(() => undefined);
    throw new Error(`${message}\n${detail}`);
  };

  try {
    await Promise.all([
      migrateDatabase(databaseUrl),
      migrateAnalytics({
        url: clickhouse.url,
        database: clickhouse.database,
        username: env.CLICKHOUSE_USER,
        password: env.CLICKHOUSE_PASSWORD,
      }),
    ]);
  } catch (e) {
    await stop().catch(() => undefined);
    throw new Error(`startStack: migrations failed: ${(e as Error).message}`);
  }

  // The services get the stack's env over the parent's, minus vitest's own worker settings.
  // NO_COLOR keeps Nest's ANSI colours out of the log files.
  const childEnv: NodeJS.ProcessEnv = { NO_COLOR: '1', ...process.env, ...env };
  if (childEnv.NODE_OPTIONS?.includes('vitest')) delete childEnv.NODE_OPTIONS;
  const pids: Record<string, number> = {};
  const gatewayUrl = `http://127.0.0.1:${env.GATEWAY_PORT}`;
  const adminUrl = `http://127.0.0.1:${env.ADMIN_PORT}`;
  const guard = join(root, 'tools/lib/child-guard.js');
  // Extra router instances share the router's queue group, as replicas do in production.
  const instances = services.flatMap((svc) =>
    svc === 'router'
      ? Array.from({ length: Math.max(1, opts.routers ?? 1) }, (_, i) => ({
          name: i === 0 ? svc : `${svc}-${i + 1}`,
          svc,
        }))
      : [{ name: svc, svc }],
  );
  const spawnService = (name: string, svc: string): ChildProcess => {
    const fd = openSync(join(logDir, `${name}.log`), 'a');
    try {
      // stdin is a pipe this process never writes to: child-guard.js stops the service when it closes.
      const child = spawn(process.execPath, ['-r', guard, join(root, 'dist/apps', svc, 'src/main.js')], {
        cwd: root,
        env: childEnv,
        stdio: ['pipe', fd, fd],
      });
      child.stdin?.on('error', () => undefined);
      children.set(name, child);
      trackChild(child);
      if (child.pid !== undefined) pids[name] = child.pid;
      return child;
    } finally {
      closeSync(fd);
    }
  };
  for (const { name, svc } of instances) {
    if (spawnService(name, svc).pid === undefined) return await fail(`startStack: could not spawn ${name}.`);
  }
  const serviceOf = (name: string): string => {
    const svc = instances.find((i) => i.name === name)?.svc;
    if (svc === undefined)
      throw new Error(`No service instance "${name}" in this stack: ${[...children.keys()].join(', ')}.`);
    return svc;
  };
  const stopService = async (name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
    serviceOf(name);
    const child = children.get(name);
    if (!child || exited(child)) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => {
      if (!exited(child)) child.kill('SIGKILL');
    }, STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
  };
  const startService = async (name: string): Promise<void> => {
    const svc = serviceOf(name);
    const current = children.get(name);
    if (current && !exited(current)) throw new Error(`${name} is running: stopService it first.`);
    const child = spawnService(name, svc);
    if (child.pid === undefined) throw new Error(`startService: could not spawn ${name}.`);
    const url = svc === 'gateway' ? gatewayUrl : svc === 'admin' ? adminUrl : undefined;
    if (url === undefined) return;
    await waitFor(
      async () => {
        if (exited(child)) throw new Error(`${name} exited at start; see ${join(logDir, `${name}.log`)}`);
        const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
        return r?.status === 200;
      },
      { timeoutMs: HEALTH_TIMEOUT_MS, what: `${name} to answer GET /health` },
    );
  };

  const healthUrls = [
    ...(services.includes('gateway') ? [gatewayUrl] : []),
    ...(services.includes('admin') ? [adminUrl] : []),
  ];
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  for (;;) {
    // A service that died at boot fails the stack at once, not at the deadline.
    for (const [svc, child] of children) {
      if (exited(child)) {
        return await fail(
          `startStack: ${svc} exited during startup (code ${child.exitCode}, signal ${child.signalCode}).`,
        );
      }
    }
    const statuses = await Promise.all(
      healthUrls.map((u) =>
        fetch(`${u}/health`, { signal: AbortSignal.timeout(2_000) }).then(
          (r) => r.status,
          () => 0,
        ),
      ),
    );
    if (statuses.every((s) => s === 200)) break;
    if (Date.now() >= deadline) {
      const which = healthUrls.filter((_, i) => statuses[i] !== 200).join(' and ');
      return await fail(`startStack: GET /health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s on ${which}.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    gatewayUrl,
    adminUrl,
    masterKey,
    env,
    pids,
    databaseUrl,
    clickhouse,
    natsPrefix: prefix,
    redisPrefix: prefix,
    logDir,
    stopService,
    startService,
    stop,
  };
}

/** A virtual key's spend in Postgres, in nano-dollars (what spend has billed to it so far). */
export async function keySpendNanos(databaseUrl: string, keyId: string): Promise<bigint> {
  const pg = new PgClient({ connectionString: databaseUrl });
  await pg.connect();
  try {
    const r = await pg.query<{ spend_nanos: string }>('SELECT spend_nanos FROM api_keys WHERE id = $1', [keyId]);
    if (!r.rows[0]) throw new Error(`no key ${keyId} in ${databaseUrl}`);
    return BigInt(r.rows[0].spend_nanos);
  } finally {
    await pg.end();
  }
}
