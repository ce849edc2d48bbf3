package redis

import goredis "github.com/redis/go-redis/v9"

// takeScript decides every limit of a request atomically: a first pass
// computes each decision, and only when all allow does a second pass write
// the new state. Times are microseconds on the caller's clock (so replays
// and tests control time); a clock that jumps backwards is treated as in
// ratelimit's memory table.
//
// KEYS[i]: the state key of op i. ARGV[1]: now (µs). Then per op, 6
// values: algorithm (g|w|c|q), limit, burst, window (µs), ttl (ms), member.
// Returns per op: allowed (0|1), remaining, retry after (µs), reset (µs).
var takeScript = goredis.NewScript(`
local now = tonumber(ARGV[1])
local n = #KEYS
local out, next = {}, {}
local all = true
for i = 1, n do
  local b = 1 + (i - 1) * 6
  local algo, limit, burst = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
  local window, ttl = tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local key = KEYS[i]
  local ok, rem, retry, reset = 0, 0, 0, 0
  if algo == 'g' then
    local interval = math.max(math.floor(window / limit), 1)
    local tat = tonumber(redis.call('GET', key) or '0')
    if tat < now then tat = now end
    local newtat = tat + interval
    local allowat = newtat - burst * interval
    if now < allowat then
      retry, reset = allowat - now, tat - now
    else
      ok, rem, reset = 1, math.floor((burst * interval - (newtat - now)) / interval), newtat - now
      next[i] = newtat
    end
  elseif algo == 'w' then
    local ws = now - (now % window)
    local h = redis.call('HMGET', key, 's', 'c', 'p')
    local start, cur, prev = tonumber(h[1] or '0'), tonumber(h[2] or '0'), tonumber(h[3] or '0')
    local t = now
    if start == 0 and cur == 0 and prev == 0 then
      start = ws
    elseif ws <= start then
      t = math.max(now, start)
    elseif ws == start + window then
      start, prev, cur = ws, cur, 0
    else
      start, prev, cur = ws, 0, 0
    end
    local weighted = prev * (window - (t - start))
    reset = start + window - t
    if cur >= limit or weighted > (limit - 1 - cur) * window then
      local at
      if cur < limit then
        at = start + window - math.floor((limit - 1 - cur) * window / prev)
      else
        at = start + 2 * window - math.floor((limit - 1) * window / cur)
      end
      retry = math.max(at - t, 1)
    else
      ok, rem = 1, math.max(limit - 1 - cur - math.ceil(weighted / window), 0)
      next[i] = {start, cur + 1, prev}
    end
  elseif algo == 'c' then
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    local count = redis.call('ZCARD', key)
    if count >= limit then
      retry = 1000000
    else
      ok, rem = 1, limit - count - 1
    end
  else
    local used = tonumber(redis.call('GET', key) or '0')
    if used >= limit then
      retry = 31622400000000
    else
      ok, rem = 1, limit - used - 1
    end
  end
  if ok == 0 then all = false end
  out[#out + 1], out[#out + 2], out[#out + 3], out[#out + 4] = ok, rem, retry, reset
end
if all then
  for i = 1, n do
    local b = 1 + (i - 1) * 6
    local algo, ttl, key = ARGV[b + 1], tonumber(ARGV[b + 5]), KEYS[i]
    if algo == 'g' then
      redis.call('SET', key, next[i], 'PX', ttl)
    elseif algo == 'w' then
      redis.call('HSET', key, 's', next[i][1], 'c', next[i][2], 'p', next[i][3])
      redis.call('PEXPIRE', key, ttl)
    elseif algo == 'c' then
      redis.call('ZADD', key, now + ttl * 1000, ARGV[b + 6])
      redis.call('PEXPIRE', key, ttl)
    else
      redis.call('INCR', key)
      redis.call('PEXPIRE', key, ttl)
    end
  end
end
return out
`)

// tallyScript adds one violation to a subject's scores and log.
// KEYS: scores hash, log list. ARGV: score, type, ttl (ms), log size, entry.
// Returns {previous total, new total}.
var tallyScript = goredis.NewScript(`
local prev = tonumber(redis.call('HGET', KEYS[1], 'total') or '0')
local total = redis.call('HINCRBY', KEYS[1], 'total', ARGV[1])
redis.call('HINCRBY', KEYS[1], 's:' .. ARGV[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[2], 1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local size = tonumber(ARGV[4])
if size > 0 then
  redis.call('LPUSH', KEYS[2], ARGV[5])
  redis.call('LTRIM', KEYS[2], 0, size - 1)
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return {prev, total}
`)

// storeBan is the Lua that stores a ban and indexes it, shared by
// banScript and claimScript. KEYS: ban key, index zset. ARGV: ban JSON,
// target, until (unix ms), ttl (ms), now (unix ms). The index keeps its
// TTL at least as long as its longest ban.
const storeBan = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[5])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[2], tonumber(last[2]) + 1000)
end
`

// banScript stores a ban and indexes it (storeBan).
var banScript = goredis.NewScript(storeBan + "return 1\n")

// claimScript is banScript unless a ban on the target is in force: it
// returns the stored ban's JSON and writes nothing when the ban key
// exists and its indexed end is after now, else stores the ban as
// banScript does and returns false. KEYS and ARGV as banScript's.
var claimScript = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if cur then
  local u = redis.call('ZSCORE', KEYS[2], ARGV[2])
  if not u or tonumber(u) > tonumber(ARGV[5]) then
    return cur
  end
end
` + storeBan + "return false\n")
