import { decodeEntry, encodeEntry } from './entry';
import type { SessionCache, SessionStore, StoredSession, UserProfile } from './types';

/**
 * In-memory adapters for fast tests, with controllable time. They obey the
 * real backends' rules: keys expire after their TTL, SET NX only claims a free
 * key, the lookup claims a marker only for a live session of the asking user,
 * and the touch UPDATE only writes when last_login is older than the interval.
 * Every call counts as one round trip.
 *
 * @example
 * let t = Date.parse('2026-11-27T10:00:00Z');
 * const cache = createMemorySessionCache({ now: () => t });
 */
export function createMemorySessionCache(options: { prefix?: string; now?: () => number } = {}) {
  const prefix = options.prefix ?? 'edge-auth:';
  const now = options.now ?? Date.now;
  const keys = new Map<string, { value: string; expiresAt: number }>();
  const stats = { roundTrips: 0 };

  const get = (key: string) => {
    const item = keys.get(key);
    if (item && item.expiresAt <= now()) keys.delete(key);
    return keys.get(key)?.value ?? null;
  };
  const set = (key: string, value: string, ttlSeconds: number, nx = false) => {
    if (nx && get(key) !== null) return false;
    keys.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    return true;
  };

  const cache: SessionCache & { stats: typeof stats; keys: typeof keys; failing: boolean } = {
    stats,
    keys,
    /** When true every call rejects, as an unreachable Redis would. */
    failing: false,
    async lookup(sid, touch) {
      roundTrip();
      const raw = get(`${prefix}session:${sid}`);
      if (raw === null) return { entry: null, touchClaimed: false };
      const entry = decodeEntry(raw);
      const claimable =
        entry !== null &&
        'live' in entry &&
        entry.live.user.id === touch.userId &&
        entry.live.session.expiresAt > touch.now;
      const touchClaimed =
        claimable && set(`${prefix}touch:${touch.userId}`, String(touch.now), touch.intervalSeconds, true);
      return { entry, touchClaimed };
    },
    async remember(sid, entry, ttlSeconds, touch) {
      roundTrip();
      set(`${prefix}session:${sid}`, encodeEntry(entry), ttlSeconds, 'live' in entry);
      const touchClaimed =
        touch !== undefined &&
        set(`${prefix}touch:${touch.userId}`, String(touch.now), touch.intervalSeconds, true);
      return { touchClaimed };
    },
    async claimTouch(touch) {
      roundTrip();
      return set(`${prefix}touch:${touch.userId}`, String(touch.now), touch.intervalSeconds, true);
    },
  };
  function roundTrip() {
    if (cache.failing) throw new Error('cache unreachable');
    stats.roundTrips++;
  }
  return cache;
}

export interface MemorySession {
  id: string;
  userId: string;
  expiresAt: number;
  revokedAt?: number | null;
  data?: Record<string, unknown>;
}

/**
 * In-memory `SessionStore` with the same rules as the SQL in `neon-store.ts`.
 *
 * @example
 * const store = createMemorySessionStore();
 * store.users.set('u1', { ...profile, lastLogin: null });
 */
export function createMemorySessionStore(options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const users = new Map<string, UserProfile & { lastLogin: number | null }>();
  const sessions = new Map<string, MemorySession>();
  const stats = { selects: 0, touchStatements: 0, lastLoginWrites: 0, revokes: 0 };

  const store: SessionStore & {
    users: typeof users;
    sessions: typeof sessions;
    stats: typeof stats;
    failing: boolean;
  } = {
    users,
    sessions,
    stats,
    failing: false,
    async load(sid): Promise<StoredSession | null> {
      check();
      stats.selects++;
      const session = sessions.get(sid);
      const user = session && users.get(session.userId);
      if (!session || !user) return null;
      const { lastLogin: _, ...profile } = user;
      return {
        ownerId: session.userId,
        user: profile,
        session: { id: session.id, data: session.data ?? {} },
        remainingMs: session.expiresAt - now(),
        revoked: session.revokedAt != null,
      };
    },
    async touch(userId, intervalSeconds) {
      check();
      stats.touchStatements++;
      const user = users.get(userId);
      if (!user || (user.lastLogin !== null && user.lastLogin >= now() - intervalSeconds * 1000))
        return false;
      user.lastLogin = now();
      stats.lastLoginWrites++;
      return true;
    },
    async revoke(sid, userId) {
      check();
      const session = sessions.get(sid);
      if (!session || session.userId !== userId || session.revokedAt != null || session.expiresAt <= now()) {
        return false;
      }
      session.revokedAt = now();
      stats.revokes++;
      return true;
    },
  };
  function check() {
    if (store.failing) throw new Error('database unreachable');
  }
  return store;
}
