import type { SessionStore, StoredSession, UserProfile } from './types';

/** A user row: the profile plus `last_login` (ms, or null). */
export type MemoryUser = UserProfile & { lastLogin: number | null };

/** A session row. */
export interface MemorySession {
  id: string;
  userId: string;
  expiresAt: number;
  revokedAt?: number | null;
  data?: Record<string, unknown>;
}

export interface MemorySessionStoreOptions {
  /** Clock in ms standing in for the database's `now()`; default `Date.now`. */
  now?: () => number;
  /** The tables; pass your own maps to seed them or to look inside. */
  users?: Map<string, MemoryUser>;
  sessions?: Map<string, MemorySession>;
}

/**
 * `SessionStore` in memory, with the same rules as the SQL in `neon-store.ts`:
 * the touch writes only when `last_login` is older than the interval (never
 * backwards), revoke only a live session of its owner.
 *
 * @example
 * const users = new Map([['u1', { ...profile, lastLogin: null }]]);
 * const store = createMemorySessionStore({ users });
 */
export function createMemorySessionStore(options: MemorySessionStoreOptions = {}): SessionStore {
  const now = options.now ?? Date.now;
  const users = options.users ?? new Map<string, MemoryUser>();
  const sessions = options.sessions ?? new Map<string, MemorySession>();

  return {
    async load(sid): Promise<StoredSession | null> {
      const session = sessions.get(sid);
      const user = session && users.get(session.userId);
      if (!session || !user) return null;
      const { lastLogin: _, ...profile } = user;
      return {
        user: profile,
        session: { id: session.id, data: session.data ?? {} },
        remainingMs: session.expiresAt - now(),
        revoked: session.revokedAt != null,
      };
    },
    async touch(userId, intervalSeconds) {
      const user = users.get(userId);
      if (!user || (user.lastLogin !== null && user.lastLogin >= now() - intervalSeconds * 1000))
        return false;
      user.lastLogin = now();
      return true;
    },
    async revoke(sid, userId) {
      const session = sessions.get(sid);
      if (!session || session.userId !== userId || session.revokedAt != null || session.expiresAt <= now()) {
        return false;
      }
      session.revokedAt = now();
      return true;
    },
    async ping() {},
  };
}
