/**
 * A Lua script run atomically by Redis (EVALSHA, falling back to EVAL once when the server does not know it yet).
 * `keys` KEYS come first, prefixed like every key of the client; ARGV follow, never prefixed (a channel name in
 * ARGV must be passed through `HotRedis.channel`).
 */
export interface RedisScript<R> {
  /** A name unique per client: the script is registered under it. */
  readonly name: string;
  /** How many of the arguments are keys (KEYS[1..keys]). */
  readonly keys: number;
  readonly lua: string;
  /** Turns Redis's reply (integers, bulk strings, arrays of them) into the typed result. */
  readonly parse: (reply: unknown) => R;
}

export type ScriptArg = string | number;

/** Defines a script; the name must be a valid JavaScript identifier (ioredis registers it as a method). */
export function defineScript<R>(script: RedisScript<R>): RedisScript<R> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(script.name)) {
    throw new Error(`Redis script name "${script.name}" must be letters, digits and underscores.`);
  }
  return script;
}

/** Common reply parsers. */
export const Reply = {
  integer: (reply: unknown): number => {
    const n = typeof reply === 'number' ? reply : Number(reply);
    if (!Number.isFinite(n)) throw new Error(`Redis script answered ${String(reply)}, expected an integer.`);
    return n;
  },
  integers: (reply: unknown): number[] => {
    if (!Array.isArray(reply)) throw new Error('Redis script answered a non-array, expected integers.');
    return reply.map((x) => Reply.integer(x));
  },
} as const;
