import type { Redis } from '@upstash/redis/cloudflare';
import { decodeEntry, encodeEntry, liveHeader } from './entry';
import { LOOKUP_SCRIPT } from './lookup-script';
import type { CacheEntry, CacheLookup, SessionCache, TouchClaim } from './types';

/**
 * `SessionCache` on Upstash Redis. The client should be built with
 * `automaticDeserialization: false` (entries are parsed here) and without
 * auto-pipelining (on Workers a batch must not mix requests' I/O).
 *
 * @example
 * const cache = createUpstashSessionCache({ redis, prefix: 'edge-auth:' });
 * const { entry, touchClaimed } = await cache.lookup(sid, { userId, intervalSeconds: 300, now: Date.now() });
 */
export function createUpstashSessionCache(options: { redis: Redis; prefix: string }): SessionCache {
  const { redis, prefix } = options;
  const sessionKey = (sid: string) => `${prefix}session:${sid}`;
  const touchKey = (userId: string) => `${prefix}touch:${userId}`;
  // EVAL every time rather than EVALSHA: the script is ~400 bytes and Redis
  // caches its compilation anyway, so this keeps the lookup at exactly one
  // round trip (no NOSCRIPT retry after a restart or SCRIPT FLUSH). Sent as a
  // one-command pipeline, the shape the rest of the hot path's batches take.
  async function runLookup(keys: string[], args: string[]): Promise<unknown> {
    const [reply] = await redis.pipeline().eval(LOOKUP_SCRIPT, keys, args).exec();
    return reply;
  }

  return {
    async lookup(sid, touch): Promise<CacheLookup> {
      const reply = await runLookup(
        [sessionKey(sid), touchKey(touch.userId)],
        [liveHeader(touch.userId), String(touch.now), String(touch.now), String(touch.intervalSeconds)],
      );
      if (!Array.isArray(reply) || reply[0] === 0 || reply[0] === '0')
        return { entry: null, touchClaimed: false };
      const status = Number(reply[0]);
      return { entry: decodeEntry(reply[1]), touchClaimed: status === 2 };
    },

    async remember(sid, entry: CacheEntry, ttlSeconds, touch?: TouchClaim) {
      // A live entry never replaces what is there (a logout's revoked entry may
      // have landed since this request read the database); a dead one always does.
      const live = 'live' in entry;
      const pipeline = redis
        .pipeline()
        .set(sessionKey(sid), encodeEntry(entry), live ? { nx: true, ex: ttlSeconds } : { ex: ttlSeconds });
      if (touch) {
        pipeline.set(touchKey(touch.userId), String(touch.now), { nx: true, ex: touch.intervalSeconds });
      }
      const results: unknown[] = await pipeline.exec();
      return { touchClaimed: touch !== undefined && results[1] === 'OK' };
    },

    async claimTouch(touch) {
      const result = await redis.set(touchKey(touch.userId), String(touch.now), {
        nx: true,
        ex: touch.intervalSeconds,
      });
      return result === 'OK';
    },
  };
}
