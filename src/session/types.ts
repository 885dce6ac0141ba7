/**
 * The session core's vocabulary and its two ports. The hot path depends only
 * on these; adapters (Upstash, Neon, in-memory) live beside them and only the
 * wiring in `src/services.ts` knows which ones are used.
 */

export interface UserProfile {
  id: string;
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  isStaff: boolean;
  isActive: boolean;
  isSuperuser: boolean;
}

export interface SessionInfo {
  id: string;
  /** Milliseconds since the epoch, on the Worker's clock. */
  expiresAt: number;
  data: Record<string, unknown>;
}

/** What a request authenticated by edge-auth carries. */
export interface AuthSession {
  user: UserProfile;
  session: SessionInfo;
}

export type DeadReason = 'unknown' | 'revoked' | 'expired' | 'inactive';

/** A cached answer for one session id: a live session (with its owner) or a negative entry. */
export type CacheEntry = { live: AuthSession } | { dead: DeadReason };

/** Ask to claim the user's touch marker; honoured only for a live session of `userId`. */
export interface TouchClaim {
  userId: string;
  intervalSeconds: number;
  /** Worker clock, ms; also the marker's value. */
  now: number;
}

export interface CacheLookup {
  entry: CacheEntry | null;
  touchClaimed: boolean;
}

/** Short-lived session cache shared by all isolates, plus the touch markers. */
export interface SessionCache {
  /**
   * One round trip: the entry for `sid` and, only when it is a live, unexpired
   * session owned by `touch.userId`, an atomic claim (SET NX EX) on the marker.
   */
  lookup(sid: string, touch: TouchClaim): Promise<CacheLookup>;
  /**
   * Stores `entry` for `ttlSeconds` and, in the same round trip, claims `touch`
   * when given. A live entry is only written where there is none (SET NX), so a
   * write-back that started before a logout can never replace the revoked
   * entry; a dead entry always replaces what is there.
   */
  remember(
    sid: string,
    entry: CacheEntry,
    ttlSeconds: number,
    touch?: TouchClaim,
  ): Promise<{ touchClaimed: boolean }>;
  /** Claims the touch marker alone (used when the session cache is disabled). */
  claimTouch(touch: TouchClaim): Promise<boolean>;
}

/** What the database knows about a session id. */
export interface StoredSession {
  ownerId: string;
  user: UserProfile;
  session: { id: string; data: Record<string, unknown> };
  /** Remaining life by the database's clock, ms (<= 0 when expired). */
  remainingMs: number;
  revoked: boolean;
}

/** The source of truth: Postgres in production. */
export interface SessionStore {
  /** One SELECT (sessions joined with users). `null` when the id is unknown. */
  load(sid: string): Promise<StoredSession | null>;
  /** The conditional `last_login` UPDATE. Resolves to whether a row was written. */
  touch(userId: string, intervalSeconds: number): Promise<boolean>;
  /** Revokes a live session of `userId`. Resolves to whether one was revoked. */
  revoke(sid: string, userId: string): Promise<boolean>;
}
