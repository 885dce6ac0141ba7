import { AuthError, DependencyError, describeCause } from '../http/errors';
import type { ServerTiming } from '../http/server-timing';
import type { Claims } from '../token/verifier';
import type {
  AuthSession,
  CacheEntry,
  CacheLookup,
  DeadReason,
  SessionCache,
  SessionStore,
  StoredSession,
  TouchClaim,
} from './types';

export interface AuthenticatorOptions {
  cache: SessionCache;
  store: SessionStore;
  /** 0 disables the session cache (touch markers still live in the cache). */
  cacheTtlSeconds: number;
  touchIntervalSeconds: number;
  /** Worker clock; only decides expiry of cached entries. */
  now?: () => number;
  log?: (line: string) => void;
}

/** Background work the request must not wait for (`ctx.waitUntil` on Workers). */
export type Defer = (work: Promise<unknown>) => void;

export interface Authenticator {
  /** Resolves to the session, or throws `AuthError` (401) / `DependencyError` (503). */
  authenticate(claims: Claims, defer: Defer, timing?: ServerTiming): Promise<AuthSession>;
  /** Revokes the token's session; throws `AuthError` when it is not a live session. */
  logout(claims: Claims): Promise<void>;
}

/** How long a revoked entry is kept at least, whatever the cache TTL. */
export const REVOKED_ENTRY_MIN_TTL_SECONDS = 60;

const DEAD_MESSAGES: Record<DeadReason | 'foreign', string> = {
  unknown: 'session not found',
  revoked: 'session revoked',
  expired: 'session expired',
  inactive: 'user inactive',
  foreign: 'session belongs to another user',
};

/**
 * The session core: cache first (one round trip that also claims the touch
 * marker), the database on a miss, and at most one `last_login` UPDATE per
 * user per interval, always in the background.
 *
 * @example
 * const auth = createAuthenticator({ cache, store, cacheTtlSeconds: 10, touchIntervalSeconds: 300 });
 * const session = await auth.authenticate(claims, (p) => ctx.waitUntil(p));
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { cache, store, cacheTtlSeconds, touchIntervalSeconds } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? console.error;

  const touchLastLogin = (userId: string) =>
    store.touch(userId, touchIntervalSeconds).then(
      () => undefined,
      (err) => log(`edge-auth: last_login touch failed: ${describeCause(err)}`),
    );

  async function fromCache(
    claims: Claims,
    at: number,
    timing?: ServerTiming,
  ): Promise<CacheLookup | 'unavailable'> {
    const start = performance.now();
    try {
      return await cache.lookup(claims.sid, {
        userId: claims.sub,
        intervalSeconds: touchIntervalSeconds,
        now: at,
      });
    } catch (err) {
      // Degrade to the database: a Redis blip must never log anyone out.
      log(`edge-auth: session cache unavailable, reading the database: ${describeCause(err)}`);
      return 'unavailable';
    } finally {
      timing?.add('cache', performance.now() - start);
    }
  }

  async function fromStore(sid: string, timing?: ServerTiming): Promise<StoredSession | null> {
    const start = performance.now();
    try {
      return await store.load(sid);
    } catch (err) {
      throw new DependencyError('database', { cause: err });
    } finally {
      timing?.add('db', performance.now() - start);
    }
  }

  return {
    async authenticate(claims, defer, timing) {
      const at = now();
      let cacheUp = true;
      if (cacheTtlSeconds > 0) {
        const lookup = await fromCache(claims, at, timing);
        if (lookup === 'unavailable') {
          cacheUp = false;
          timing?.note('cache', 'error');
        } else if (lookup.entry) {
          timing?.note('cache', 'hit');
          const session = judgeCached(lookup.entry, claims, at);
          if (lookup.touchClaimed) defer(touchLastLogin(claims.sub));
          return session;
        } else {
          timing?.note('cache', 'miss');
        }
      } else {
        timing?.note('cache', 'off');
      }

      const stored = await fromStore(claims.sid, timing);
      const entry = toEntry(stored, at);
      const valid = 'live' in entry && entry.live.user.id === claims.sub;
      if (cacheUp) {
        const touch = valid
          ? { userId: claims.sub, intervalSeconds: touchIntervalSeconds, now: at }
          : undefined;
        defer(
          writeBack(claims.sid, entry, stored, touch).catch((err) => {
            log(`edge-auth: session cache write failed: ${describeCause(err)}`);
          }),
        );
      }
      return judgeCached(entry, claims, at);
    },

    async logout(claims) {
      let revoked: boolean;
      try {
        revoked = await store.revoke(claims.sid, claims.sub);
      } catch (err) {
        throw new DependencyError('database', { cause: err });
      }
      if (!revoked) throw new AuthError('invalid_token', 'session is not active');
      if (cacheTtlSeconds === 0) return;
      try {
        // A revoked entry rather than a delete: write-backs of loads that began
        // before the revocation are live entries, which never replace it.
        await cache.remember(claims.sid, { dead: 'revoked' }, revokedEntryTtl());
      } catch (err) {
        log(`edge-auth: revoked session may stay cached until its TTL: ${describeCause(err)}`);
      }
    },
  };

  async function writeBack(
    sid: string,
    entry: CacheEntry,
    stored: StoredSession | null,
    touch: TouchClaim | undefined,
  ): Promise<void> {
    const ttl = entryTtl(entry, stored);
    let claimed = false;
    if (ttl > 0) ({ touchClaimed: claimed } = await cache.remember(sid, entry, ttl, touch));
    else if (touch) claimed = await cache.claimTouch(touch);
    // Already in the background: the touch runs here, after the claim.
    if (claimed && touch) await touchLastLogin(touch.userId);
  }

  /**
   * A revocation is final, and must outlive any write-back already in flight
   * (bounded by the Redis and database budgets, a few seconds at most).
   */
  function revokedEntryTtl(): number {
    return Math.max(cacheTtlSeconds, REVOKED_ENTRY_MIN_TTL_SECONDS);
  }

  /** Never longer than the session's remaining life; 0 means "do not cache". */
  function entryTtl(entry: CacheEntry, stored: StoredSession | null): number {
    if (cacheTtlSeconds === 0) return 0;
    if ('dead' in entry && entry.dead === 'revoked') return revokedEntryTtl();
    if ('dead' in entry || !stored) return cacheTtlSeconds;
    return Math.max(0, Math.min(cacheTtlSeconds, Math.floor(stored.remainingMs / 1000)));
  }
}

/** What the database's answer means, as a cache entry (the real owner is recorded). */
function toEntry(stored: StoredSession | null, at: number): CacheEntry {
  if (!stored) return { dead: 'unknown' };
  if (stored.revoked) return { dead: 'revoked' };
  if (stored.remainingMs <= 0) return { dead: 'expired' };
  if (!stored.user.isActive) return { dead: 'inactive' };
  return {
    live: {
      user: stored.user,
      session: { ...stored.session, expiresAt: at + Math.floor(stored.remainingMs) },
    },
  };
}

function judgeCached(entry: CacheEntry, claims: Claims, at: number): AuthSession {
  if ('dead' in entry) throw new AuthError('invalid_token', DEAD_MESSAGES[entry.dead]);
  const { live } = entry;
  if (live.user.id !== claims.sub) throw new AuthError('invalid_token', DEAD_MESSAGES.foreign);
  if (live.session.expiresAt <= at) throw new AuthError('invalid_token', DEAD_MESSAGES.expired);
  return live;
}
