import { defineScript } from '../redis-script';

/**
 * The admission script: checks and reserves, atomically and all or nothing, every rate limit and budget of every
 * level that applies to one request. Run once per request (one round trip), by every gateway instance against the
 * same Redis, so the limits hold across instances.
 *
 * Key names are built from ARGV (full names, prefix included) because the number of levels varies per request:
 * this needs a single Redis node (or, on a cluster, one hash slot per request's levels), which is what Switchyard
 * deploys.
 *
 * Per level `<base>`:
 *   <base>:b    hash  spent (settled spend, nano-USD, loaded from Postgres), resv (sum of open reservations),
 *                     period (budget_reset_at in epoch ms, 0 without one: a total of an older period never wins)
 *   <base>:r    zset  open reservations, member `<request id>|<nanos>`, score = when it expires (epoch ms)
 *   <base>:rpm  zset  requests admitted in the last 60 s, member request id, score = admission time
 *   <base>:tpm  hash  tokens admitted per second (field: epoch second), the last 60 s summed
 *   <base>:par  zset  requests in flight, member request id, score = when the slot expires if never released
 *
 * ARGV: now, request id, reservation ttl ms, parallel-slot ttl ms, cost (nanos), tokens, reservation key, n,
 * then n × (base, max budget, rpm, tpm, max parallel, seed spend, seed period); '' for "no limit".
 *
 * Reply on refusal: {0, level index (0-based), what (1 budget, 2 rpm, 3 tpm, 4 parallel), limit, current, reset ms}.
 * Reply on admission: {1, rpm limit, rpm remaining, rpm reset ms, tpm limit, tpm remaining, tpm reset ms} for the
 * tightest level of each (-1 when no level limits it).
 */
export const admitScript = defineScript<AdmitReply>({
  name: 'syLimitsAdmit',
  keys: 0,
  lua: `
local now = tonumber(ARGV[1])
local req = ARGV[2]
local resvTtl = tonumber(ARGV[3])
local parTtl = tonumber(ARGV[4])
local costS = ARGV[5]
local cost = tonumber(costS)
local tokens = tonumber(ARGV[6])
local resvKey = ARGV[7]
local n = tonumber(ARGV[8])
local W = 60000
local BUDGET_TTL = 8 * 86400000
local sec = math.floor(now / 1000)

local rpmL, rpmRem, rpmReset, rpmZ = -1, -1, -1, nil
local tpmL, tpmRem, tpmReset = -1, -1, -1

-- ms until the oldest request of a rate window leaves it (a full window when it is empty).
local function windowReset(z)
  local oldest = redis.call('ZRANGE', z, 0, 0, 'WITHSCORES')
  if oldest[2] then return tonumber(oldest[2]) + W - now end
  return W
end

-- Pass 1: bring each level's state up to date (seed, expired reservations and window entries) and check.
for i = 0, n - 1 do
  local o = 9 + i * 7
  local base = ARGV[o]
  local maxB, rpm, tpm, par = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4]
  if maxB ~= '' then
    local b = base .. ':b'
    local seed, seedPeriod = ARGV[o + 5], ARGV[o + 6]
    -- One read of the counter (spent, resv, period), one of the expired reservations, writes only when needed.
    local h = redis.call('HMGET', b, 'spent', 'resv', 'period')
    local spentS, resv = h[1] or '0', tonumber(h[2] or '0')
    if (not h[3]) or tonumber(seedPeriod) > tonumber(h[3]) then
      redis.call('HSET', b, 'spent', seed, 'period', seedPeriod)
      spentS = seed
    end
    local r = base .. ':r'
    local expired = redis.call('ZRANGEBYSCORE', r, '-inf', now)
    if #expired > 0 then
      local freed = 0
      for _, m in ipairs(expired) do
        local amt = string.match(m, '|(%d+)$')
        if amt then freed = freed + tonumber(amt) end
      end
      -- In slices: unpack takes a few thousand values at most.
      for j = 1, #expired, 1000 do redis.call('ZREM', r, unpack(expired, j, math.min(j + 999, #expired))) end
      if freed > 0 then resv = redis.call('HINCRBY', b, 'resv', -freed) end
    end
    local spent = tonumber(spentS)
    local max = tonumber(maxB)
    if spent >= max or spent + resv + cost > max then
      return {0, i, 1, maxB, spentS, resv}
    end
  end
  if rpm ~= '' then
    local z = base .. ':rpm'
    redis.call('ZREMRANGEBYSCORE', z, '-inf', now - W)
    local count = redis.call('ZCARD', z)
    local limit = tonumber(rpm)
    if count >= limit then
      return {0, i, 2, rpm, count, windowReset(z)}
    end
    -- When the window frees is read once, for the tightest level only (after the loop).
    local rem = limit - count - 1
    if rpmRem == -1 or rem < rpmRem then rpmL, rpmRem, rpmZ = limit, rem, z end
  end
  if tpm ~= '' then
    local h = base .. ':tpm'
    local buckets = redis.call('HGETALL', h)
    local used, first, old = 0, sec, {}
    for j = 1, #buckets, 2 do
      local s = tonumber(buckets[j])
      if s <= sec - 60 then
        old[#old + 1] = buckets[j]
      else
        used = used + tonumber(buckets[j + 1])
        if s < first then first = s end
      end
    end
    if #old > 0 then redis.call('HDEL', h, unpack(old)) end
    local limit = tonumber(tpm)
    local reset = (first + 60) * 1000 - now
    if used >= limit or (used > 0 and used + tokens > limit) then
      return {0, i, 3, tpm, used, reset}
    end
    local rem = limit - used - tokens
    if rem < 0 then rem = 0 end
    if tpmRem == -1 or rem < tpmRem then tpmL, tpmRem, tpmReset = limit, rem, reset end
  end
  if par ~= '' then
    local z = base .. ':par'
    redis.call('ZREMRANGEBYSCORE', z, '-inf', now)
    local count = redis.call('ZCARD', z)
    if count >= tonumber(par) then
      return {0, i, 4, par, count, 1000}
    end
  end
end

if rpmZ then rpmReset = windowReset(rpmZ) end

-- Pass 2: everything fits; take it all.
local budgetBases, tpmBases = {}, {}
for i = 0, n - 1 do
  local o = 9 + i * 7
  local base = ARGV[o]
  local maxB, rpm, tpm, par = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3], ARGV[o + 4]
  if maxB ~= '' then
    local b = base .. ':b'
    if cost > 0 then
      redis.call('HINCRBY', b, 'resv', costS)
      redis.call('ZADD', base .. ':r', now + resvTtl, req .. '|' .. costS)
      redis.call('PEXPIRE', base .. ':r', resvTtl + W)
      table.insert(budgetBases, base)
    end
    redis.call('PEXPIRE', b, BUDGET_TTL)
  end
  if rpm ~= '' then
    redis.call('ZADD', base .. ':rpm', now, req)
    redis.call('PEXPIRE', base .. ':rpm', W)
  end
  if tpm ~= '' and tokens > 0 then
    redis.call('HINCRBY', base .. ':tpm', sec, tokens)
    redis.call('PEXPIRE', base .. ':tpm', 2 * W)
    table.insert(tpmBases, base)
  end
  if par ~= '' then
    redis.call('ZADD', base .. ':par', now + parTtl, req)
    redis.call('PEXPIRE', base .. ':par', parTtl)
  end
end
if #budgetBases > 0 or #tpmBases > 0 then
  redis.call('HSET', resvKey, 'cost', costS, 'sec', sec, 'tokens', tokens,
    'bases', table.concat(budgetBases, '\\n'), 'tbases', table.concat(tpmBases, '\\n'))
  redis.call('PEXPIRE', resvKey, resvTtl + W)
end
return {1, rpmL, rpmRem, rpmReset, tpmL, tpmRem, tpmReset}
`,
  parse: (reply) => parseAdmit(reply),
});

export type AdmitReply =
  | {
      ok: true;
      requests?: { limit: number; remaining: number; resetMs: number };
      tokens?: { limit: number; remaining: number; resetMs: number };
    }
  | {
      ok: false;
      scopeIndex: number;
      what: 'budget' | 'rpm' | 'tpm' | 'parallel';
      /** Strings: budgets are nano-USD and may pass 2^53. */
      limit: string;
      current: string;
      /** Budget refusals: nano-USD reserved by requests in flight. Others: ms until the limit frees. */
      extra: number;
    };

const WHAT = { 1: 'budget', 2: 'rpm', 3: 'tpm', 4: 'parallel' } as const;

function parseAdmit(reply: unknown): AdmitReply {
  if (!Array.isArray(reply)) throw new Error('limits admission script answered a non-array');
  const v = reply as (number | string)[];
  if (Number(v[0]) === 1) {
    const window = (l: number, r: number, t: number) =>
      l < 0 ? undefined : { limit: l, remaining: Math.max(0, r), resetMs: Math.max(0, t) };
    return {
      ok: true,
      requests: window(Number(v[1]), Number(v[2]), Number(v[3])),
      tokens: window(Number(v[4]), Number(v[5]), Number(v[6])),
    };
  }
  const what = WHAT[Number(v[2]) as 1 | 2 | 3 | 4];
  if (!what) throw new Error(`limits admission script answered an unknown refusal ${String(v[2])}`);
  return {
    ok: false,
    scopeIndex: Number(v[1]),
    what,
    limit: String(v[3]),
    current: String(v[4]),
    extra: Number(v[5]),
  };
}

/**
 * Settles requests and spend totals, atomically: each request's reservation (if still open) is released at every
 * level it was taken, its token estimate corrected by what it really used, and each level's spend set to the total
 * Postgres committed (the greater of the two within one budget period; a newer period replaces an older one).
 *
 * ARGV: reservation key prefix (full), n requests, then n × (request id, real tokens), then m totals ×
 * (base, spend nanos, period ms). Reply: the number of reservations released.
 */
export const settleScript = defineScript<number>({
  name: 'syLimitsSettle',
  keys: 0,
  lua: `
local resvPrefix = ARGV[1]
local n = tonumber(ARGV[2])
local released = 0
for i = 0, n - 1 do
  local req = ARGV[3 + i * 2]
  local realTokens = tonumber(ARGV[4 + i * 2])
  local rk = resvPrefix .. req
  local h = redis.call('HMGET', rk, 'cost', 'sec', 'tokens', 'bases', 'tbases')
  if h[1] then
    for base in string.gmatch(h[4], '[^\\n]+') do
      if redis.call('ZREM', base .. ':r', req .. '|' .. h[1]) == 1 then
        redis.call('HINCRBY', base .. ':b', 'resv', '-' .. h[1])
        released = released + 1
      end
    end
    local delta = realTokens - tonumber(h[3])
    if delta ~= 0 then
      for base in string.gmatch(h[5], '[^\\n]+') do
        if redis.call('HEXISTS', base .. ':tpm', h[2]) == 1 then
          redis.call('HINCRBY', base .. ':tpm', h[2], delta)
        end
      end
    end
    redis.call('DEL', rk)
  end
end
local o = 3 + n * 2
while ARGV[o] do
  local b = ARGV[o] .. ':b'
  local spent, period = ARGV[o + 1], ARGV[o + 2]
  local have = redis.call('HGET', b, 'period')
  if (not have) or tonumber(period) > tonumber(have) then
    redis.call('HSET', b, 'spent', spent, 'period', period)
  elseif tonumber(period) == tonumber(have) then
    local cur = redis.call('HGET', b, 'spent')
    if (not cur) or tonumber(spent) > tonumber(cur) then redis.call('HSET', b, 'spent', spent) end
  end
  redis.call('PEXPIRE', b, 8 * 86400000)
  o = o + 3
end
return released
`,
  parse: (reply) => Number(reply),
});
