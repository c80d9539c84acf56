/**
 * Lua scripts of the Redis backend. Each runs atomically on the server, so any number of
 * hosts can append to one account: the server assigns seqs, decides duplicates and moves
 * messages between the tiers in one step.
 *
 * Per-account keys (`{id}` is a hash tag, so an account's keys share a cluster slot):
 *   <prefix>{id}:history   stream; entry id "<seq>-0", one field "r" = the message JSON
 *   <prefix>{id}:short     list of message JSON, oldest first (short-term)
 *   <prefix>{id}:mid       list of message JSON, oldest first (mid-term)
 *   <prefix>{id}:recent    list of "<seq> <hash> <id>" for the last short+mid messages
 *   <prefix>{id}:ids       hash id → seq of the messages in :recent (idempotent retries)
 *   <prefix>{id}:dedup     hash content hash → "<seq> <timestamp>" of its latest occurrence in :recent
 *   <prefix>{id}:meta      hash: seq (last assigned), count, shape (JSON), updated (ISO)
 *   <prefix>{id}:context   hash: version, json (history context)
 *   <prefix>{id}:status    hash: component → JSON status
 *   <prefix>{id}:replay    hash: journal epoch → last journal seq replayed (failover)
 */
import { createHash } from 'node:crypto';

export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * KEYS: history short mid recent ids meta replay dedup
 * ARGV: S M N W now mode epoch n, then per message: id hash timestamp body journalSeq
 * mode 'append': a duplicate is a message whose id is in :ids (an idempotent retry), or
 *   whose content hash is in :dedup with a seq among the last N (and, if W > 0, a timestamp
 *   within W ms).
 * mode 'replay': a failover journal's records; skipped when journalSeq ≤ the epoch's cursor
 *   or when the id is already present (a write that reached Redis before the outage was noticed).
 * Returns per message {'new', seq} | {'dup', record JSON} | {'skip', ''}.
 */
export const APPEND = script(`
local S = tonumber(ARGV[1])
local M = tonumber(ARGV[2])
local N = tonumber(ARGV[3])
local W = tonumber(ARGV[4])
local now = ARGV[5]
local mode = ARGV[6]
local epoch = ARGV[7]
local n = tonumber(ARGV[8])
local R = S + M
local function each(cmd, key, list)
  for i = 1, #list, 1000 do
    redis.call(cmd, key, unpack(list, i, math.min(i + 999, #list)))
  end
end
local cursor = 0
if mode == 'replay' then cursor = tonumber(redis.call('HGET', KEYS[7], epoch) or '0') end
local lastCursor = cursor
local seq = tonumber(redis.call('HGET', KEYS[6], 'seq') or '0')
local ids, hashes = {}, {}
for i = 1, n do
  ids[i] = ARGV[4 + i * 5]
  hashes[i] = ARGV[5 + i * 5]
end
local idHits, dHits = {}, {}
for i = 1, n, 1000 do
  local last = math.min(i + 999, n)
  local a = redis.call('HMGET', KEYS[5], unpack(ids, i, last))
  for j = 1, #a do idHits[i + j - 1] = a[j] end
  if mode == 'append' and N > 0 then
    local d = redis.call('HMGET', KEYS[8], unpack(hashes, i, last))
    for j = 1, #d do dHits[i + j - 1] = d[j] end
  end
end
local out = {}
local batchIds, batchHashes, bySeq = {}, {}, {}
local recs, recent, idPairs, dedupPairs = {}, {}, {}, {}
for i = 1, n do
  local b = 4 + i * 5
  local id, hash, ts, body, jseq = ARGV[b], ARGV[b + 1], ARGV[b + 2], ARGV[b + 3], tonumber(ARGV[b + 4])
  if mode == 'replay' and jseq <= cursor then
    out[i] = {'skip', ''}
  else
    local dupSeq = batchIds[id] or idHits[i]
    if (not dupSeq) and mode == 'append' and N > 0 then
      local dseq, dts
      local bh = batchHashes[hash]
      if bh then
        dseq, dts = bh[1], bh[2]
      elseif dHits[i] then
        local d = dHits[i]
        local sp = string.find(d, ' ', 1, true)
        dseq = tonumber(string.sub(d, 1, sp - 1))
        dts = tonumber(string.sub(d, sp + 1))
      end
      if dseq and dseq > seq - N and (W == 0 or math.abs(tonumber(ts) - dts) <= W) then dupSeq = dseq end
    end
    if dupSeq then
      dupSeq = tonumber(dupSeq)
      local rec = bySeq[dupSeq]
      if not rec then
        local ent = redis.call('XRANGE', KEYS[1], dupSeq .. '-0', dupSeq .. '-0')
        rec = ''
        if ent[1] then rec = ent[1][2][2] end
      end
      out[i] = {'dup', rec}
    else
      seq = seq + 1
      local rec = '{"seq":' .. seq .. ',' .. string.sub(body, 2)
      redis.call('XADD', KEYS[1], seq .. '-0', 'r', rec)
      recs[#recs + 1] = rec
      recent[#recent + 1] = seq .. ' ' .. hash .. ' ' .. id
      idPairs[#idPairs + 1] = id
      idPairs[#idPairs + 1] = seq
      dedupPairs[#dedupPairs + 1] = hash
      dedupPairs[#dedupPairs + 1] = seq .. ' ' .. ts
      batchIds[id] = seq
      batchHashes[hash] = {seq, tonumber(ts)}
      bySeq[seq] = rec
      out[i] = {'new', seq}
    end
    if mode == 'replay' then lastCursor = jseq end
  end
end
if #recs > 0 then
  each('RPUSH', KEYS[2], recs)
  local nShort = redis.call('LLEN', KEYS[2])
  if nShort > S then
    local moved = redis.call('LPOP', KEYS[2], nShort - S)
    if M > 0 then
      each('RPUSH', KEYS[3], moved)
      redis.call('LTRIM', KEYS[3], -M, -1)
    end
  end
  each('RPUSH', KEYS[4], recent)
  each('HSET', KEYS[5], idPairs)
  each('HSET', KEYS[8], dedupPairs)
  local nRecent = redis.call('LLEN', KEYS[4])
  if nRecent > R then
    local old = redis.call('LPOP', KEYS[4], nRecent - R)
    local oseqs, ohashes, oids = {}, {}, {}
    for j = 1, #old do
      local e = old[j]
      local p1 = string.find(e, ' ', 1, true)
      local p2 = string.find(e, ' ', p1 + 1, true)
      oseqs[j] = string.sub(e, 1, p1 - 1)
      ohashes[j] = string.sub(e, p1 + 1, p2 - 1)
      oids[j] = string.sub(e, p2 + 1)
    end
    local delIds, delHashes = {}, {}
    for i = 1, #old, 1000 do
      local last = math.min(i + 999, #old)
      local a = redis.call('HMGET', KEYS[5], unpack(oids, i, last))
      local d = redis.call('HMGET', KEYS[8], unpack(ohashes, i, last))
      for j = 1, #a do
        local k = i + j - 1
        if a[j] == oseqs[k] then delIds[#delIds + 1] = oids[k] end
        local dv = d[j]
        if dv and string.sub(dv, 1, string.find(dv, ' ', 1, true) - 1) == oseqs[k] then delHashes[#delHashes + 1] = ohashes[k] end
      end
    end
    if #delIds > 0 then each('HDEL', KEYS[5], delIds) end
    if #delHashes > 0 then each('HDEL', KEYS[8], delHashes) end
  end
  redis.call('HSET', KEYS[6], 'seq', seq, 'updated', now)
  redis.call('HINCRBY', KEYS[6], 'count', #recs)
end
if mode == 'replay' and lastCursor > cursor then redis.call('HSET', KEYS[7], epoch, lastCursor) end
return out
`);

/**
 * Rebuilds the tiers, the duplicate window and the counters from the stream (after a shape
 * change, or when they disagree with it).
 * KEYS: history short mid recent ids meta dedup; ARGV: S M shapeJSON
 * Returns {count, lastSeq}.
 */
export const RESHAPE = script(`
local S = tonumber(ARGV[1])
local M = tonumber(ARGV[2])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[7])
local recs = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', S + M)
local total = #recs
for i = total, 1, -1 do
  local rec = recs[i][2][2]
  local seq = string.sub(recs[i][1], 1, string.find(recs[i][1], '-', 1, true) - 1)
  local m = cjson.decode(rec)
  if i <= S then redis.call('RPUSH', KEYS[2], rec) else redis.call('RPUSH', KEYS[3], rec) end
  redis.call('RPUSH', KEYS[4], seq .. ' ' .. m.hash .. ' ' .. m.id)
  redis.call('HSET', KEYS[5], m.id, seq)
  redis.call('HSET', KEYS[7], m.hash, seq .. ' ' .. string.format('%.0f', m.timestamp))
end
local last = '0'
if total > 0 then last = string.sub(recs[1][1], 1, string.find(recs[1][1], '-', 1, true) - 1) end
local lastN = tonumber(last)
local cur = tonumber(redis.call('HGET', KEYS[6], 'seq') or '0')
if cur > lastN then lastN = cur end
local count = redis.call('XLEN', KEYS[1])
redis.call('HSET', KEYS[6], 'seq', lastN, 'count', count, 'shape', ARGV[3])
return {count, lastN}
`);

/** KEYS: context; ARGV: expectedVersion newVersion json. Returns 1 when written, 0 on a version mismatch. */
export const PUT_CONTEXT = script(`
local v = redis.call('HGET', KEYS[1], 'version') or '0'
if v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3])
return 1
`);
