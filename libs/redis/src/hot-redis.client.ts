import IORedis, { type ChainableCommander, type Redis, type RedisOptions } from 'ioredis';
import type { RedisScript, ScriptArg } from './redis-script';

export interface HotRedisOptions {
  url: string;
  /** Prefix of every key and channel (`sy` → `sy:routing:cooldowns`), so stacks sharing one Redis stay apart. */
  keyPrefix: string;
  /** A command without an answer within this many ms fails (the caller decides without Redis). Default 250. */
  commandTimeoutMs?: number;
  /** A connection attempt not established within this many ms is abandoned and retried. Default 1000. */
  connectTimeoutMs?: number;
  /** Reconnect delays grow 50 ms, 100 ms, ... up to this. Default 2000. */
  maxReconnectDelayMs?: number;
  /** Stop reconnecting after this many consecutive failed attempts. Default: never stop (a service outlives an outage). */
  maxReconnectAttempts?: number;
  /** Connection name (CLIENT SETNAME), to tell the connections apart in `CLIENT LIST`. */
  name?: string;
  /** Called on every change between usable (ready) and not, with the reason when it went down. */
  onAvailabilityChange?: (available: boolean, reason?: string) => void;
}

type Handler = (message: string) => void;

/**
 * The Redis client of the hot path (routing state, rate limits, budget counters), configured to fail fast rather
 * than wait: no offline queue (a command sent while disconnected fails at once instead of running late, after
 * the request it served is over), a per-command timeout, no retry of a command whose connection dropped,
 * a ready check before the first command, and bounded reconnect delays. Callers treat a failure as "decide without
 * Redis". It is a connection of its own, never BullMQ's (whose blocking commands must wait and must queue).
 *
 * Pub/sub takes a second connection (a subscribed connection can run nothing else), opened on the first
 * `subscribe`; it queues its SUBSCRIBE until connected and resubscribes after a reconnect, since it is never on the
 * path of a request.
 */
export class HotRedis {
  readonly keyPrefix: string;
  private readonly redis: Redis;
  private subscriber?: Redis;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly scripts = new Set<string>();
  private available = false;
  private closed = false;

  constructor(private readonly opts: HotRedisOptions) {
    this.keyPrefix = opts.keyPrefix.endsWith(':') ? opts.keyPrefix : `${opts.keyPrefix}:`;
    this.redis = new IORedis(opts.url, this.options(false));
    this.redis.on('ready', () => this.setAvailable(true));
    this.redis.on('close', () => this.setAvailable(false, 'connection closed'));
    // Without a listener ioredis reports every failed reconnect as an unhandled error; availability says enough.
    this.redis.on('error', (e: Error) => this.setAvailable(false, e.message));
  }

  private options(subscriber: boolean): RedisOptions {
    const maxDelay = this.opts.maxReconnectDelayMs ?? 2_000;
    const maxAttempts = this.opts.maxReconnectAttempts ?? Number.POSITIVE_INFINITY;
    return {
      keyPrefix: subscriber ? undefined : this.keyPrefix,
      connectionName: this.opts.name ? `${this.opts.name}${subscriber ? '-sub' : ''}` : undefined,
      enableOfflineQueue: subscriber,
      enableReadyCheck: true,
      // The subscriber's SUBSCRIBE waits for a connection however long it takes; a command never retries.
      maxRetriesPerRequest: subscriber ? null : 0,
      commandTimeout: subscriber ? undefined : (this.opts.commandTimeoutMs ?? 250),
      connectTimeout: this.opts.connectTimeoutMs ?? 1_000,
      autoResubscribe: true,
      lazyConnect: false,
      retryStrategy: (times: number) => (times > maxAttempts ? null : Math.min(50 * 2 ** (times - 1), maxDelay)),
    };
  }

  private setAvailable(available: boolean, reason?: string): void {
    if (this.available === available) return;
    this.available = available;
    if (!this.closed) this.opts.onAvailabilityChange?.(available, reason);
  }

  /** Connected and past the ready check: commands may succeed (they still may fail or time out). */
  get isAvailable(): boolean {
    return this.available;
  }

  /** Resolves when the client is ready; rejects after `timeoutMs` (the client keeps reconnecting in the background). */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    if (this.redis.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error(`Redis at ${redactUrl(this.opts.url)} is not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  /** The full name of a key (what Redis stores), for tools and tests: commands add the prefix themselves. */
  key(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /** The full name of a channel: channels are not keys, so the prefix is added here. */
  channel(name: string): string {
    return `${this.keyPrefix}${name}`;
  }

  /** The plain commands, keys prefixed, fail-fast as configured. */
  get commands(): Redis {
    return this.redis;
  }

  /** Runs `script` atomically with its KEYS (prefixed) and ARGV. */
  async eval<R>(script: RedisScript<R>, keys: readonly string[], args: readonly ScriptArg[] = []): Promise<R> {
    this.register(script);
    const call = (this.redis as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[script.name]!;
    return script.parse(await call.call(this.redis, ...keys, ...args));
  }

  /**
   * Sends the commands `build` queues in one round trip (no MULTI: each command is atomic on its own, a script for
   * more). Resolves with each command's error or result, in order; rejects only when the pipeline could not be sent.
   */
  async pipeline(build: (p: HotPipeline) => void): Promise<Array<[Error | null, unknown]>> {
    // ioredis would answer each queued command with the offline error; one rejection says it more plainly.
    if (this.redis.status !== 'ready')
      throw new Error(`Redis is not connected (${this.redis.status}); nothing was sent.`);
    const p = this.redis.pipeline();
    build(new HotPipeline(p, this.scripts));
    return (await p.exec()) ?? [];
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.redis.publish(this.channel(channel), message);
  }

  /** Calls `handler` with each message published on `channel` (unprefixed name); returns the unsubscribe. */
  async subscribe(channel: string, handler: Handler): Promise<() => Promise<void>> {
    const full = this.channel(channel);
    if (!this.subscriber) {
      this.subscriber = new IORedis(this.opts.url, this.options(true));
      this.subscriber.on('error', () => undefined); // the command connection reports availability
      this.subscriber.on('message', (ch: string, message: string) => {
        for (const h of this.handlers.get(ch) ?? []) h(message);
      });
    }
    let set = this.handlers.get(full);
    if (!set) {
      set = new Set();
      this.handlers.set(full, set);
      await this.subscriber.subscribe(full);
    }
    set.add(handler);
    return async () => {
      set.delete(handler);
      if (set.size === 0 && this.handlers.get(full) === set) {
        this.handlers.delete(full);
        await this.subscriber?.unsubscribe(full).catch(() => undefined);
      }
    };
  }

  /** Closes both connections; commands after this fail. */
  async close(): Promise<void> {
    this.closed = true;
    const quit = async (r: Redis | undefined) => {
      if (!r) return;
      if (r.status === 'ready') await r.quit().catch(() => r.disconnect());
      else r.disconnect();
    };
    await Promise.all([quit(this.redis), quit(this.subscriber)]);
  }

  /** Registers scripts, which a pipeline can run only once registered (a pipeline takes the client's scripts when made). */
  define(...scripts: RedisScript<unknown>[]): void {
    for (const s of scripts) this.register(s);
  }

  private register(script: RedisScript<unknown>): void {
    if (this.scripts.has(script.name)) return;
    this.redis.defineCommand(script.name, { numberOfKeys: script.keys, lua: script.lua });
    this.scripts.add(script.name);
  }
}

/** Commands queued for one round trip. */
export class HotPipeline {
  constructor(
    /** The plain commands of the pipeline, keys prefixed. */
    readonly commands: ChainableCommander,
    private readonly defined: ReadonlySet<string>,
  ) {}

  /** Queues `script`, which must have been registered with `HotRedis.define` before the pipeline was made. */
  eval(script: RedisScript<unknown>, keys: readonly string[], args: readonly ScriptArg[] = []): this {
    if (!this.defined.has(script.name)) {
      throw new Error(`Redis script ${script.name} is not defined: call HotRedis.define(script) before pipeline().`);
    }
    (this.commands as unknown as Record<string, (...a: ScriptArg[]) => unknown>)[script.name]!.call(
      this.commands,
      ...keys,
      ...args,
    );
    return this;
  }
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable Redis URL)';
  }
}
