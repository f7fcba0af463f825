import { defineScript, Reply } from '@switchyard/redis';

/**
 * Counts one failure of a deployment across every router instance and starts (or lengthens) its cooldown when due,
 * atomically, so two routers seeing failures at once count them all and never shorten a cooldown.
 *
 * KEYS: [1] the deployment's failure counter, [2] the cooldowns hash.
 * ARGV: [1] deployment id, [2] now (epoch ms), [3] window ms, [4] allowed_fails, [5] immediate cooldown ms (0 when
 * the failure does not cool down at once), [6] cooldown_time ms, [7] the channel announcing cooldowns.
 * Returns [failures in the window, cooldown end in epoch ms or 0].
 */
export const recordFailureScript = defineScript({
  name: 'routingRecordFailure',
  keys: 2,
  lua: `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
local ms = tonumber(ARGV[5])
if ms == 0 and n > tonumber(ARGV[4]) then ms = tonumber(ARGV[6]) end
if ms <= 0 then return {n, 0} end
local untilMs = tonumber(ARGV[2]) + ms
local current = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if untilMs <= current then return {n, current} end
redis.call('HSET', KEYS[2], ARGV[1], untilMs)
redis.call('PUBLISH', ARGV[7], ARGV[1] .. ' ' .. untilMs)
return {n, untilMs}
`,
  parse: (reply) => Reply.integers(reply) as [number, number],
});

/**
 * Every cooldown still in force, removing the ended ones in the same step (a field is removed only if it is still
 * the ended value, so a cooldown another router just set survives).
 *
 * KEYS: [1] the cooldowns hash. ARGV: [1] now (epoch ms). Returns [id, until, id, until, ...].
 */
export const loadCooldownsScript = defineScript({
  name: 'routingLoadCooldowns',
  keys: 1,
  lua: `
local all = redis.call('HGETALL', KEYS[1])
local live = {}
local now = tonumber(ARGV[1])
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) > now then
    live[#live + 1] = all[i]
    live[#live + 1] = all[i + 1]
  else
    redis.call('HDEL', KEYS[1], all[i])
  end
end
return live
`,
  parse: (reply): [string, number][] => {
    if (!Array.isArray(reply)) throw new Error('routingLoadCooldowns answered a non-array.');
    const out: [string, number][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])]);
    return out;
  },
});

/**
 * Publishes this router's numbers per field (requests in flight per deployment; latency sums and counts) and sums
 * every other live router's, in one step. Each router keeps a hash of its own numbers that expires unless refreshed, and a sorted set names the live routers.
 * (The per-router hash names are built in the script from ARGV[1], which a Redis Cluster would refuse; Switchyard
 * uses one Redis node for its hot-path state.)
 *
 * KEYS: [1] the sorted set of routers. ARGV: [1] full key prefix of the per-router hashes, [2] this router's id,
 * [3] now (epoch ms), [4] time to live ms, then field and number pairs. Returns [field, sum, ...] over the others.
 */
export const syncRouterNumbersScript = defineScript({
  name: 'routingSyncRouterNumbers',
  keys: 1,
  lua: `
local prefix, me, now, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', KEYS[1], now, me)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
local own = prefix .. me
redis.call('DEL', own)
if #ARGV > 4 then
  redis.call('HSET', own, unpack(ARGV, 5))
  redis.call('PEXPIRE', own, ttl)
end
local sums = {}
for _, other in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if other ~= me then
    local all = redis.call('HGETALL', prefix .. other)
    for i = 1, #all, 2 do sums[all[i]] = (sums[all[i]] or 0) + tonumber(all[i + 1]) end
  end
end
local out = {}
for id, n in pairs(sums) do
  out[#out + 1] = id
  out[#out + 1] = n
end
return out
`,
  parse: (reply): [string, number][] => {
    if (!Array.isArray(reply)) throw new Error('routingSyncRouterNumbers answered a non-array.');
    const out: [string, number][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), Number(reply[i + 1])]);
    return out;
  },
});

/**
 * Adds to a deployment's usage in one minute (usage-based routing): requests or tokens, in the minute's hash, which
 * expires once the minute is long over.
 *
 * KEYS: [1] the minute's usage hash. ARGV: [1] field (`<deployment id>#r` or `#t`), [2] amount, [3] time to live ms.
 */
export const countUsageScript = defineScript({
  name: 'routingCountUsage',
  keys: 1,
  lua: `
redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`,
  parse: () => undefined,
});
