import { TEXTS } from '../config/defaults';
import { decodeEntry, encodeEntry } from './entry';
import { cacheKeys } from './keys';
import type { SessionCache } from './types';

/** A key's value and when it expires (ms on the adapter's clock). */
export interface MemoryKey {
  value: string;
  expiresAt: number;
}

export interface MemorySessionCacheOptions {
  /** Key prefix; default `edge-auth:`. */
  prefix?: string;
  /** Clock in ms; default `Date.now`. Tests pass a controllable one. */
  now?: () => number;
  /** The key space; pass your own map to share it or to look inside. */
  keys?: Map<string, MemoryKey>;
}

/**
 * `SessionCache` in memory, obeying Redis's rules as the Upstash adapter uses
 * them: keys expire after their TTL, `SET NX` only writes a free key, a live
 * entry never replaces an existing one, release is compare-and-delete.
 *
 * @example
 * let t = Date.parse('2026-11-27T10:00:00Z');
 * const cache = createMemorySessionCache({ now: () => t });
 */
export function createMemorySessionCache(options: MemorySessionCacheOptions = {}): SessionCache {
  const keys = cacheKeys(options.prefix ?? TEXTS.REDIS_KEY_PREFIX);
  const now = options.now ?? Date.now;
  const space = options.keys ?? new Map<string, MemoryKey>();

  const get = (key: string) => {
    const item = space.get(key);
    if (item && item.expiresAt <= now()) space.delete(key);
    return space.get(key)?.value ?? null;
  };
  const set = (key: string, value: string, ttlSeconds: number, nx: boolean) => {
    if (nx && get(key) !== null) return false;
    space.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    return true;
  };

  return {
    async read(sid, userId) {
      const raw = get(keys.session(sid));
      const touchMarked = userId === undefined ? undefined : get(keys.touch(userId)) !== null;
      return { entry: raw === null ? null : decodeEntry(raw), touchMarked };
    },
    async remember(sid, entry, ttlSeconds) {
      set(keys.session(sid), encodeEntry(entry), ttlSeconds, 'live' in entry);
    },
    async claimTouch(userId, token, intervalSeconds) {
      return set(keys.touch(userId), token, intervalSeconds, true);
    },
    async releaseTouch(userId, token) {
      if (get(keys.touch(userId)) === token) space.delete(keys.touch(userId));
    },
    async ping() {},
  };
}
