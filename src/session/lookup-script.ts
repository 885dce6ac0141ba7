/**
 * The cache-hit round trip, atomically: read the session entry and, only when
 * it is a live, unexpired session owned by the token's user, claim that user's
 * touch marker with SET NX EX. A dead or foreign entry never claims the marker,
 * so a revoked token cannot silence the real user's `last_login`.
 *
 * KEYS[1] session key, KEYS[2] touch key.
 * ARGV[1] live-entry header for the token's user (see `liveHeader`),
 * ARGV[2] now in ms, ARGV[3] marker value, ARGV[4] touch interval in seconds.
 *
 * Returns {0} on a miss, {1, entry} on a hit, {2, entry} on a hit that claimed the marker.
 */
export const LOOKUP_SCRIPT = `local v = redis.call('GET', KEYS[1])
if not v then return {0} end
local claimed = 0
if ARGV[4] ~= '0' and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  local exp = tonumber(string.match(v, '^%d+', string.len(ARGV[1]) + 1))
  if exp and exp > tonumber(ARGV[2]) then
    if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'EX', ARGV[4]) then claimed = 1 end
  end
end
return {1 + claimed, v}`;
