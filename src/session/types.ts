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

/**
 * What a verified credential tells the session core. A JWT names its
 * session and user (`sid`, `sub`); a Django session key names only its
 * session, and the user is learnt from it.
 */
export interface Credential {
  /** The session's id in caches, headers and logs: a JWT's `sid`, or a keyed hash of a Django session key. */
  sid: string;
  /** The user the credential names, checked against the session's owner; `undefined` when it names none. */
  sub: string | undefined;
  /** Expiry, seconds since the epoch (`Infinity` when only the session knows it). */
  exp: number;
  /** What the store finds the session by when it is not `sid`: a Django session key, a bearer secret never cached or logged. */
  key?: string | undefined;
}

/** What a request authenticated by edge-auth carries. */
export interface AuthSession {
  user: UserProfile;
  session: SessionInfo;
}

export type DeadReason = 'unknown' | 'revoked' | 'expired' | 'inactive';

/** A cached answer for one session id: a live session (with its owner) or a negative entry. */
export type CacheEntry = { live: AuthSession } | { dead: DeadReason };

/** What one read of the shared cache returns. */
export interface CacheRead {
  /** The entry for the session id, `null` on a miss. */
  entry: CacheEntry | null;
  /**
   * Whether the user's touch marker is set (someone wrote `last_login` this
   * interval); `undefined` when the user was not known before the read (a
   * Django session key names no user until its session is read).
   */
  touchMarked: boolean | undefined;
}

/**
 * The session cache shared by all isolates (Upstash Redis in production),
 * plus the per-user touch markers. Keys: `<prefix>session:<sid>` and
 * `<prefix>touch:<uid>`.
 */
export interface SessionCache {
  /** One read-only round trip: the session entry and, when `userId` is known, the user's marker state. */
  read(sid: string, userId: string | undefined): Promise<CacheRead>;
  /**
   * Stores `entry` for `ttlSeconds`. A live entry is only written where there
   * is none (SET NX), so a write-back that started before a logout can never
   * replace the revoked entry; a dead entry always replaces what is there.
   */
  remember(sid: string, entry: CacheEntry, ttlSeconds: number): Promise<void>;
  /** Claims the user's marker for the interval (SET NX EX) with `token` as its value. */
  claimTouch(userId: string, token: string, intervalSeconds: number): Promise<boolean>;
  /** Deletes the marker only if it still holds `token` (a failed touch gives it back). */
  releaseTouch(userId: string, token: string): Promise<void>;
  /** Resolves when the cache answers (readiness checks); a read, never a write. */
  ping(): Promise<void>;
}

/** What the database knows about a session id. */
export interface StoredSession {
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
  /**
   * Revokes a live session (of `userId` when the credential names one).
   * Resolves to whether one was revoked.
   */
  revoke(sid: string, userId: string | undefined): Promise<boolean>;
  /** Resolves when the database answers (readiness checks). */
  ping(): Promise<void>;
  /**
   * Whether `userId` (a token's `sub`) can name a user at all, e.g. an
   * integer for an integer id column. Optional; when it answers no, the
   * request is refused before any cache or database round trip.
   */
  isUserId?(userId: string): boolean;
}
