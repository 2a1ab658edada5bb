import { createHash } from 'node:crypto';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/** A standalone, Sentinel-managed or Cluster connection: the commands used here are the same. */
export type RedisClient = Redis | Cluster;

/** Runs a MULTI/EXEC transaction and returns its replies; throws the first command error, if any. */
export async function execAll(multi: ChainableCommander): Promise<unknown[]> {
  const replies = await multi.exec();
  if (replies === null) throw new Error('transaction aborted');
  return replies.map(([err, reply]) => {
    if (err) throw err;
    return reply;
  });
}

/** A Lua script sent by SHA1, and in full only when the server does not know it yet. */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    // One array, never spread: a full write of a big directory has hundreds of thousands of args.
    const rest = [keys.length, ...keys];
    for (const a of args) rest.push(a);
    try {
      return await client.call('EVALSHA', [this.#sha, ...rest]);
    } catch (err) {
      // A restarted (or failed-over) Redis has an empty script cache.
      if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
      return client.call('EVAL', [this.#source, ...rest]);
    }
  }
}

/**
 * Writes a directory change in one atomic step: the entries, the meta hash (generation + 1), the
 * change log and the notification. Nothing is written unless the caller's view is current, so two
 * writers can never interleave and a reader never sees half of a sync.
 *
 * KEYS: meta, mailboxes, lists, log, leader, records, and for "staged" the staging mailboxes,
 *   lists and records (redis-keys.ts stagingKeys)
 * ARGV: mode ("patch" | "full" | "staged"), expected epoch, expected generation, leader token
 *   ("" = not fenced), new epoch (full, staged), domains ("-" keep, "" none, JSON), cursor ("-"
 *   keep), log entry JSON ("" = none: followers then reload in full), log length, channel, now
 *   (ms), then six counts and the data: mailbox field/value pairs, mailbox fields to delete, list
 *   pairs, list fields to delete, record pairs, record fields to delete. "staged" sends no data:
 *   its three put counts are the fields the writer added to the staging hashes, which replace the
 *   live ones by RENAME.
 * Returns {"ok", epoch, generation} or {"conflict", epoch, generation} or {"not-leader"} or
 * {"incomplete"} (staged: a staging hash lacks fields, it expired under a slow writer).
 */
export const WRITE_SCRIPT = new LuaScript(`
local mode, expEpoch, expGen, token = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
if token ~= '' and redis.call('GET', KEYS[5]) ~= token then return {'not-leader'} end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local gen = tonumber(redis.call('HGET', KEYS[1], 'generation') or '0')
if mode == 'patch' then
  if epoch ~= expEpoch or gen ~= expGen then return {'conflict', epoch or '', tostring(gen)} end
else
  -- full, staged: into an empty Redis, or over an older copy of our own data (a restart from old files)
  if epoch and not (epoch == expEpoch and gen <= expGen) then return {'conflict', epoch, tostring(gen)} end
end
local nMbPut, nMbDel, nLsPut, nLsDel = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local nRcPut, nRcDel = tonumber(ARGV[16]), tonumber(ARGV[17])
local function each(cmd, key, from, count, step)
  local last = from + count * step - 1
  local i = from
  while i <= last do
    local j = math.min(i + 999 * step - (step - 1), last)
    redis.call(cmd, key, unpack(ARGV, i, j))
    i = j + 1
  end
  return last + 1
end
if mode == 'staged' and (redis.call('HLEN', KEYS[7]) ~= nMbPut or redis.call('HLEN', KEYS[8]) ~= nLsPut or redis.call('HLEN', KEYS[9]) ~= nRcPut) then
  return {'incomplete'}
end
if mode ~= 'patch' then
  -- UNLINK: the old hashes are freed in the background, so this step stays short at any size
  redis.call('UNLINK', KEYS[2], KEYS[3], KEYS[4], KEYS[6])
  epoch = ARGV[5]
end
if mode == 'staged' then
  -- RENAME keeps the staging TTL: PERSIST, or the live directory would expire with it
  for i, live in ipairs({KEYS[2], KEYS[3], KEYS[6]}) do
    if redis.call('EXISTS', KEYS[6 + i]) == 1 then
      redis.call('RENAME', KEYS[6 + i], live)
      redis.call('PERSIST', live)
    end
  end
else
  local at = 18
  at = each('HSET', KEYS[2], at, nMbPut, 2)
  at = each('HDEL', KEYS[2], at, nMbDel, 1)
  at = each('HSET', KEYS[3], at, nLsPut, 2)
  at = each('HDEL', KEYS[3], at, nLsDel, 1)
  at = each('HSET', KEYS[6], at, nRcPut, 2)
  each('HDEL', KEYS[6], at, nRcDel, 1)
end
local newGen = math.max(gen, expGen) + 1
redis.call('HSET', KEYS[1], 'epoch', epoch, 'generation', newGen, 'writtenAt', ARGV[11], 'mailboxes', redis.call('HLEN', KEYS[2]))
if ARGV[6] ~= '-' then redis.call('HSET', KEYS[1], 'domains', ARGV[6]) end
if ARGV[7] ~= '-' then redis.call('HSET', KEYS[1], 'cursor', ARGV[7]) end
if mode == 'patch' and ARGV[8] ~= '' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[9], newGen .. '-0', 'patch', ARGV[8])
end
redis.call('PUBLISH', ARGV[10], epoch .. ':' .. newGen)
return {'ok', epoch, tostring(newGen)}
`);

/**
 * Takes the lock when free, or extends it when ours. KEYS: lock. ARGV: token, ttl ms, and a dead
 * holder's token prefix (or ''): a lock held under it is taken over at once. Returns 1 if held.
 */
export const LOCK_SCRIPT = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not cur or (ARGV[3] ~= '' and string.sub(cur, 1, #ARGV[3]) == ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1
end
return 0
`);

/** Deletes the lock only when ours. KEYS: lock. ARGV: token. */
export const UNLOCK_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
