import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { loadEnv } from '@switchyard/config';
import { subjects, type UsageRecordedEvent } from '@switchyard/contracts';
import { waitFor } from '@switchyard/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { UsagePublisherService } from './usage-publisher.service';

/**
 * The ledger loses nothing while NATS is down: a private nats-server (its own port and store, so no other
 * test's NATS is touched) is stopped while events keep coming; they are spooled to disk and replayed, in
 * order, when it is back.
 */
const dir = mkdtempSync(join(tmpdir(), 'sy-spool-'));
let server: ChildProcess | undefined;
let nc: NatsConnection | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startNats(port: number): Promise<ChildProcess> {
  const p = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', join(dir, 'js')], {
    stdio: 'ignore',
  });
  await waitFor(
    async () => {
      try {
        const probe = await connect({ servers: `nats://127.0.0.1:${port}`, reconnect: false });
        await probe.close();
        return true;
      } catch {
        return undefined;
      }
    },
    { timeoutMs: 10_000, what: 'nats-server to listen' },
  );
  return p;
}

async function stop(p: ChildProcess | undefined): Promise<void> {
  if (!p || p.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    p.once('exit', () => resolve());
    p.kill('SIGKILL');
  });
}

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await stop(server);
  rmSync(dir, { recursive: true, force: true });
});

const event = (i: number): UsageRecordedEvent =>
  ({
    requestId: `req-spool-${String(i).padStart(4, '0')}`,
    ts: Date.UTC(2026, 0, 1) + i,
    keyId: null,
    teamId: null,
    userId: null,
    orgId: null,
    endUser: null,
    requestedModel: 'gpt-4o',
    deploymentId: 'd',
    provider: 'openai',
    upstreamModel: 'gpt-4o',
    status: 200,
    errorType: null,
    promptTokens: 1,
    completionTokens: 1,
    cachedTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    providerCostNanos: null,
    latencyMs: 1,
    ttftMs: null,
    stream: false,
    cacheHit: false,
    fallbackDepth: 0,
    tags: [],
    finishReason: null,
    usageEstimated: false,
    usageClamped: false,
    attempts: [],
  }) as UsageRecordedEvent;

describe('usage publisher spool', () => {
  it('spools events while NATS is down and replays them in order when it returns', async () => {
    const port = await freePort();
    server = await startNats(port);
    nc = await connect({ servers: `nats://127.0.0.1:${port}`, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const env = loadEnv({ SWITCHYARD_NATS_PREFIX: 'spooltest', SWITCHYARD_USAGE_SPOOL_DIR: join(dir, 'spool') });
    const s = subjects('spooltest');
    const publisher = new UsagePublisherService(nc, s, env);
    await publisher.onApplicationBootstrap();

    for (let i = 0; i < 20; i++) publisher.publish(event(i));
    await waitFor(() => (publisher.pending === 0 ? true : undefined), { what: 'the first events acknowledged' });

    await stop(server);
    for (let i = 20; i < 120; i++) publisher.publish(event(i));
    await waitFor(() => (publisher.pending === 0 && publisher.spooled === 100 ? true : undefined), {
      timeoutMs: 40_000,
      what: 'the events published while NATS is down to reach the spool',
    });
    expect(publisher.dropped).toBe(0);
    const spooledIds = readFileSync(join(dir, 'spool', 'usage-spooltest-gateway.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as UsageRecordedEvent).requestId);
    expect(new Set(spooledIds).size).toBe(100);

    server = await startNats(port);
    await waitFor(() => (publisher.spooledBytes === 0 ? true : undefined), {
      timeoutMs: 40_000,
      what: 'the spool to be replayed',
    });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(s.usageStream);
    expect(info.state.messages).toBe(120);
    // Replayed in the order they were spooled: stream order after the first 20 equals the spool's order.
    const got: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(s.usageStream, { seq });
      got.push((m!.json() as UsageRecordedEvent).requestId);
    }
    expect(got.slice(20)).toEqual(spooledIds);
    await publisher.onApplicationShutdown();
  }, 120_000);
});
