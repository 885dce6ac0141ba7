import type { Redis } from '@upstash/redis/cloudflare';
import { decodeEntry, encodeEntry } from './entry';
import { cacheKeys } from './keys';
import type { SessionCache } from './types';

export interface UpstashSessionCacheOptions {
  /**
   * Built with `automaticDeserialization: false` (entries are parsed here) and
   * `enableAutoPipelining: false` (on Workers a batch must never mix two
   * requests' I/O).
   */
  redis: Redis;
  /** Key prefix, e.g. `edge-auth:`. */
  prefix: string;
}

/**
 * Deletes the marker only while it still holds our token, so a failed touch
 * never frees a marker that another request has claimed since. A write, and
 * rare (only after a failed UPDATE): never on the hot path.
 */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * `SessionCache` on Upstash Redis. The hot path sends one read-only `MGET`;
 * on Upstash a read-only command never takes the database-wide script lock
 * and a Global database serves it from the nearest replica. Writes (marker
 * claims, write-backs, logout) happen only when due, in the background.
 *
 * @example
 * const cache = createUpstashSessionCache({ redis, prefix: 'edge-auth:' });
 * const { entry, touchMarked } = await cache.read('s1', 'u1');
 */
export function createUpstashSessionCache(options: UpstashSessionCacheOptions): SessionCache {
  const { redis } = options;
  const keys = cacheKeys(options.prefix);

  return {
    async read(sid, userId) {
      if (userId === undefined) {
        const raw = await redis.get<string | null>(keys.session(sid));
        return { entry: raw == null ? null : decodeEntry(raw), touchMarked: undefined };
      }
      const [raw, marker] = await redis.mget<(string | null)[]>(keys.session(sid), keys.touch(userId));
      return { entry: raw == null ? null : decodeEntry(raw), touchMarked: marker != null };
    },

    async remember(sid, entry, ttlSeconds) {
      const value = encodeEntry(entry);
      if ('live' in entry) await redis.set(keys.session(sid), value, { nx: true, ex: ttlSeconds });
      else await redis.set(keys.session(sid), value, { ex: ttlSeconds });
    },

    async claimTouch(userId, token, intervalSeconds) {
      return (await redis.set(keys.touch(userId), token, { nx: true, ex: intervalSeconds })) === 'OK';
    },

    async releaseTouch(userId, token) {
      await redis.eval(RELEASE_SCRIPT, [keys.touch(userId)], [token]);
    },

    async ping() {
      await redis.ping();
    },
  };
}
