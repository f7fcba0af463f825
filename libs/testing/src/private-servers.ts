import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, mkdirSync, openSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePorts, repoRoot, trackChild } from './stack';
import { waitFor } from './wait-for';

/**
 * Servers a fault test owns alone, so it can stop and start them without touching the shared ones every other
 * test uses: a nats-server with JetStream, a clickhouse-server. Each runs from the binaries tools/lib/infra.sh
 * installs (the Debian packages nats-server and clickhouse-server; tools/test.sh installs them on a fresh
 * machine), on free loopback ports, with its data under .data/ in a folder of its own that close() removes.
 */
export interface PrivateServer {
  /** nats://127.0.0.1:<port> or http://127.0.0.1:<port>: give it to startStack as NATS_URL / CLICKHOUSE_URL. */
  readonly url: string;
  /** Stops the server (SIGTERM, SIGKILL after 10 s); its data stays for start(). */
  stop(): Promise<void>;
  /** Starts it again on the same ports and data, and waits until it answers. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  close(): Promise<void>;
  readonly running: boolean;
}

const READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;

/** The first of `candidates` that exists and is executable; the error names what to install. */
function binary(envVar: string, candidates: string[], pkg: string): string {
  const given = process.env[envVar];
  for (const c of given ? [given] : candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // try the next one
    }
  }
  throw new Error(
    `${pkg} is not installed (looked for ${(given ? [given] : candidates).join(', ')}). ` +
      `Run tools/test.sh (it installs the Debian package ${pkg}), or set ${envVar} to the binary.`,
  );
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function exited(c: ChildProcess): boolean {
  return c.exitCode !== null || c.signalCode !== null;
}

/** A server process started by `command` and made ready by `ready`; stop/start keep ports and data. */
function managed(
  name: string,
  dataDir: string,
  url: string,
  command: () => { bin: string; args: string[] },
  ready: () => Promise<boolean>,
): PrivateServer & { boot(): Promise<void> } {
  let child: ChildProcess | undefined;
  const log = join(dataDir, `${name}.stdout.log`);
  const start = async (): Promise<void> => {
    if (child && !exited(child)) return;
    const { bin, args } = command();
    const fd = openSync(log, 'a');
    try {
      child = spawn(bin, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    trackChild(child);
    const c = child;
    await waitFor(
      async () => {
        if (exited(c)) throw new Error(`${name} exited at start (code ${c.exitCode}); see ${log}`);
        return ready();
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100, what: `${name} on ${url} to answer (log ${log})` },
    );
  };
  const stop = async (): Promise<void> => {
    const c = child;
    if (!c || exited(c)) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
  };
  return {
    url,
    boot: start,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    get running() {
      return child !== undefined && !exited(child);
    },
  };
}

function dataDir(kind: string): string {
  const dir = join(repoRoot(), '.data', `test-${kind}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A nats-server with JetStream (file storage under its own folder) on a free port. */
export async function startPrivateNats(): Promise<PrivateServer> {
  const bin = binary(
    'NATS_SERVER_BIN',
    ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'],
    'nats-server',
  );
  const [port] = await freePorts(1);
  const dir = dataDir('nats');
  const server = managed(
    'nats-server',
    dir,
    `nats://127.0.0.1:${port}`,
    () => ({ bin, args: ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'store')] }),
    () => portOpen(port!),
  );
  await server.boot();
  return server;
}

/** A clickhouse-server (the system's config, every path and port its own) on free ports. */
export async function startPrivateClickHouse(): Promise<PrivateServer> {
  const bin = binary(
    'CLICKHOUSE_SERVER_BIN',
    ['/usr/sbin/clickhouse-server', '/usr/bin/clickhouse-server'],
    'clickhouse-server',
  );
  const [http, tcp, interserver] = await freePorts(3);
  const dir = dataDir('clickhouse');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const url = `http://127.0.0.1:${http}`;
  const server = managed(
    'clickhouse-server',
    dir,
    url,
    () => ({
      bin,
      args: [
        '--config-file=/etc/clickhouse-server/config.xml',
        '--',
        `--path=${dir}/`,
        `--tmp_path=${dir}/tmp/`,
        `--http_port=${http}`,
        `--tcp_port=${tcp}`,
        `--interserver_http_port=${interserver}`,
        `--logger.log=${dir}/clickhouse.log`,
        `--logger.errorlog=${dir}/clickhouse.err.log`,
      ],
    }),
    async () => {
      try {
        const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) });
        return res.ok && (await res.text()).startsWith('Ok');
      } catch {
        return false;
      }
    },
  );
  await server.boot();
  return server;
}
