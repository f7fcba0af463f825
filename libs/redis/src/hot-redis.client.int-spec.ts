import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import IORedis from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HotRedis } from './hot-redis.client';
import { defineScript, Reply } from './redis-script';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const upstream = new URL(REDIS_URL);
const prefix = `test-hot-${randomBytes(4).toString('hex')}`;

/**
 * A TCP proxy in front of the real Redis that can stop forwarding (a Redis that hangs) or drop every connection
 * and refuse new ones (a Redis that is down), to test what the client does then.
 */
async function startProxy(): Promise<{
  url: string;
  freeze(): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}> {
  let frozen = false;
  const sockets = new Set<Socket>();
  let server: Server;
  let port = 0;
  const listen = async () => {
    server = createServer((client) => {
      const target = connect(Number(upstream.port || 6379), upstream.hostname);
      sockets.add(client).add(target);
      client.on('data', (d) => !frozen && target.write(d));
      target.on('data', (d) => !frozen && client.write(d));
      const end = () => {
        client.destroy();
        target.destroy();
        sockets.delete(client);
        sockets.delete(target);
      };
      client.on('close', end).on('error', end);
      target.on('close', end).on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const down = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  await listen();
  return {
    url: `redis://127.0.0.1:${port}`,
    freeze: () => (frozen = true),
    down,
    up: async () => {
      frozen = false;
      await listen();
    },
    close: down,
  };
}

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const clients: HotRedis[] = [];
function client(url = REDIS_URL, extra: Partial<ConstructorParameters<typeof HotRedis>[0]> = {}): HotRedis {
  const c = new HotRedis({ url, keyPrefix: prefix, commandTimeoutMs: 150, connectTimeoutMs: 300, ...extra });
  clients.push(c);
  return c;
}

async function waitFor(cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  const raw = new IORedis(REDIS_URL);
  try {
    const keys = await raw.keys(`${prefix}:*`);
    if (keys.length > 0) await raw.del(...keys);
  } finally {
    raw.disconnect();
  }
});

const incrementSlowly = defineScript({
  name: 'testIncrementSlowly',
  keys: 1,
  // Read, compute, write: racy if it were not atomic.
  lua: `local v = tonumber(redis.call('GET', KEYS[1]) or '0'); redis.call('SET', KEYS[1], v + 1); return v + 1`,
  parse: Reply.integer,
});

const takeUnderLimit = defineScript({
  name: 'testTakeUnderLimit',
  keys: 1,
  lua: `local v = tonumber(redis.call('GET', KEYS[1]) or '0')
        if v >= tonumber(ARGV[1]) then return 0 end
        redis.call('SET', KEYS[1], v + 1)
        return 1`,
  parse: Reply.integer,
});

describe('HotRedis on an unreachable Redis', () => {
  it('fails every command at once on a closed port, long before the command timeout', async () => {
    const c = client(`redis://127.0.0.1:${await closedPort()}`);
    const started = performance.now();
    const results = await Promise.allSettled([
      c.commands.get('a'),
      c.commands.set('b', '1'),
      c.eval(incrementSlowly, ['n']),
      c.pipeline((p) => p.commands.incr('c')),
    ]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(performance.now() - started).toBeLessThan(150);
    expect(c.isAvailable).toBe(false);
  });

  it('fails a command within its timeout when Redis stops answering mid-connection', async () => {
    const proxy = await startProxy();
    try {
      const c = client(proxy.url);
      await c.waitUntilReady(2_000);
      await c.commands.set('hang', '1');
      proxy.freeze();
      const started = performance.now();
      await expect(c.commands.get('hang')).rejects.toThrow(/timed out/i);
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(140);
      expect(took).toBeLessThan(400);
    } finally {
      await proxy.close();
    }
  });

  it('queues nothing while disconnected: commands sent then never run after the reconnect', async () => {
    const proxy = await startProxy();
    const changes: boolean[] = [];
    try {
      const c = client(proxy.url, { onAvailabilityChange: (up) => changes.push(up) });
      await c.waitUntilReady(2_000);
      await proxy.down();
      await waitFor(() => !c.isAvailable);
      const sent = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => c.commands.set(`queued:${i}`, '1')));
      expect(sent.every((r) => r.status === 'rejected')).toBe(true);
      await proxy.up();
      await c.waitUntilReady(5_000);
      // Reconnected: had anything been queued, it would have run by now (commands run in order on one connection).
      expect(await c.commands.exists(...Array.from({ length: 20 }, (_, i) => `queued:${i}`))).toBe(0);
      expect(changes).toEqual([true, false, true]);
    } finally {
      await proxy.close();
    }
  });
});

describe('HotRedis pub/sub across an outage', () => {
  it('makes a subscription asked for while Redis is down once it is back, and keeps it over a reconnect', async () => {
    const proxy = await startProxy();
    try {
      const sub = client(proxy.url);
      const pub = client();
      await Promise.all([sub.waitUntilReady(2_000), pub.waitUntilReady(2_000)]);
      await proxy.down();
      await waitFor(() => !sub.isAvailable);
      const got: string[] = [];
      const subscribed = sub.subscribe('later', (m) => got.push(m));
      await new Promise((r) => setTimeout(r, 300)); // several reconnect attempts fail meanwhile
      await proxy.up();
      await subscribed;
      await pub.publish('later', 'one');
      await waitFor(() => got.length === 1);
      // A reconnect resubscribes.
      await proxy.down();
      await proxy.up();
      await sub.waitUntilReady(5_000);
      await waitFor(async () => (await pub.publish('later', 'two'), got.includes('two')), 5_000);
    } finally {
      await proxy.close();
    }
  });
});

describe('HotRedis on the real Redis', () => {
  it('prefixes keys, and runs scripts atomically under concurrency from several clients', async () => {
    const a = client();
    const b = client();
    const c = client();
    await Promise.all([a, b, c].map((x) => x.waitUntilReady(2_000)));
    const all = await Promise.all(
      Array.from({ length: 300 }, (_, i) => [a, b, c][i % 3]!.eval(incrementSlowly, ['counter'])),
    );
    expect(new Set(all).size).toBe(300);
    expect(Math.max(...all)).toBe(300);
    expect(await a.commands.get('counter')).toBe('300');
    // The key is stored under the prefix.
    const raw = new IORedis(REDIS_URL);
    try {
      expect(await raw.get(`${prefix}:counter`)).toBe('300');
    } finally {
      raw.disconnect();
    }

    const taken = await Promise.all(
      Array.from({ length: 200 }, (_, i) => [a, b, c][i % 3]!.eval(takeUnderLimit, ['limited'], [50])),
    );
    expect(taken.filter((t) => t === 1)).toHaveLength(50);
  });

  it('runs registered scripts and plain commands in one pipeline', async () => {
    const c = client();
    await c.waitUntilReady(2_000);
    c.define(incrementSlowly);
    const results = await c.pipeline((p) => {
      p.eval(incrementSlowly, ['piped']);
      p.eval(incrementSlowly, ['piped']);
      p.commands.get('piped');
    });
    expect(results.map(([e, v]) => [e, v])).toEqual([
      [null, 1],
      [null, 2],
      [null, '2'],
    ]);
    await expect(c.pipeline((p) => p.eval(takeUnderLimit, ['x']))).rejects.toThrow(/not defined/);
  });

  it('delivers published messages to subscribers of the same prefix only', async () => {
    const pub = client();
    const sub = client();
    const other = new HotRedis({ url: REDIS_URL, keyPrefix: `${prefix}-other` });
    clients.push(other);
    await Promise.all([pub, sub, other].map((x) => x.waitUntilReady(2_000)));
    const got: string[] = [];
    const otherGot: string[] = [];
    const off = await sub.subscribe('events', (m) => got.push(m));
    await other.subscribe('events', (m) => otherGot.push(m));
    await pub.publish('events', 'one');
    await waitFor(() => got.length === 1);
    await off();
    await pub.publish('events', 'two');
    await pub.commands.ping(); // the publish above has been handled by Redis by now
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual(['one']);
    expect(otherGot).toEqual([]);
  });
});
