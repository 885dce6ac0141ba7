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
  // A plain string once computed, so no request awaits another's work.
  let scriptSha: string | undefined;

  async function runLookup(keys: string[], args: string[]): Promise<unknown> {
    scriptSha ??= await sha1Hex(LOOKUP_SCRIPT);
    try {
      return await redis.evalsha(scriptSha, keys, args);
    } catch (err) {
      if (!(err instanceof Error) || !/NOSCRIPT/i.test(err.message)) throw err;
      return await redis.eval(LOOKUP_SCRIPT, keys, args);
    }
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
      const pipeline = redis.pipeline().set(sessionKey(sid), encodeEntry(entry), { ex: ttlSeconds });
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

    async forget(sid) {
      await redis.del(sessionKey(sid));
    },
  };
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
