import { COALESCE_WAIT_MS, NUMBERS } from '../config/defaults';
import { AuthError, DependencyError, describeCause } from '../errors';
import { createCoalescer } from '../util/coalesce';
import { createL1 } from '../util/l1';
import { warn } from '../util/log';
import { createSessionLoader, type Durations, type Loaded, type LoadFailure, type Served } from './load';
import { createReadinessProber, type Readiness } from './readiness';
import { createToucher } from './touch';
import type { AuthSession, CacheEntry, Credential, SessionCache, SessionStore, StoredSession } from './types';
import { judge, toEntry } from './verdict';

export { REVOKED_ENTRY_MIN_TTL_SECONDS } from './load';
export type { Readiness, Served };

export interface AuthenticatorOptions {
  cache: SessionCache;
  store: SessionStore;
  /** Shared cache TTL; 0 disables the session cache (touch markers still live there). */
  cacheTtlSeconds: number;
  touchIntervalSeconds: number;
  /** Per-isolate cache: its TTL is capped by `cacheTtlSeconds`; 0 disables it. */
  l1?: { ttlSeconds: number; maxEntries: number };
  /** How long a request waits for a concurrent load (or readiness probe) before doing it alone. */
  coalesceWaitMs?: number;
  /** Worker clock; decides expiry of this isolate's caches and records, and the age of readiness. */
  now?: () => number;
  log?: (line: string) => void;
}

/** What the request did about `last_login`: claim the marker, write without one (cache down), nothing. */
export type TouchDecision = 'claim' | 'write' | 'marked' | 'none';

interface Outcome {
  served: Served;
  touch: TouchDecision;
  /** Milliseconds spent on the shared cache and on the database, when used. */
  durations: Durations;
  /**
   * Background work (write-backs, the touch) for `ctx.waitUntil`; never
   * rejects. Absent when there is none (an L1 hit): nothing to hand over.
   */
  pending?: Promise<void> | undefined;
}

export type AuthResult =
  | (Outcome & { ok: true; session: AuthSession })
  | (Outcome & { ok: false; error: AuthError | DependencyError });

export interface Authenticator {
  /** Never throws: failures are results, so their background work is not lost. */
  authenticate(claims: Credential): Promise<AuthResult>;
  /** Revokes the token's session; throws `AuthError` when it is not a live session. */
  logout(claims: Credential): Promise<void>;
  /** Whether both dependencies answer within their budgets, from a result at most a few seconds old. */
  readiness(): Promise<Readiness>;
}

/**
 * Most sessions one isolate remembers revoking. Past it the oldest records go
 * first, and a request in this isolate falls back to the shared cache's bound.
 */
export const REVOCATION_RECORD_MAX_ENTRIES = 10_000;

/** A session as this isolate knows it: the entry and the marker's state when it was read. */
interface Known {
  readonly entry: CacheEntry;
  readonly touchMarked: boolean | undefined;
}

const REVOKED: Known = Object.freeze({
  entry: Object.freeze({ dead: 'revoked' as const }),
  touchMarked: true,
});

/**
 * The session core. This isolate's own revocations and L1 first (no
 * network), then one read-only round trip to the shared cache, then the
 * database; concurrent misses for one session share one load. Writes happen
 * only when due and in the background: write-backs, the marker claim and the
 * conditional UPDATE. A logout answered in this isolate wins over every load
 * of its requests, including one that was in flight.
 *
 * @example
 * const auth = createAuthenticator({ cache, store, cacheTtlSeconds: 10, touchIntervalSeconds: 300 });
 * const result = await auth.authenticate(claims);
 * if (result.pending) ctx.waitUntil(result.pending);
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { cache, store, cacheTtlSeconds, touchIntervalSeconds } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? warn;
  const l1TtlMs =
    Math.min(cacheTtlSeconds, options.l1?.ttlSeconds ?? NUMBERS.L1_CACHE_TTL_SECONDS.default) * 1000;
  const maxEntries = options.l1?.maxEntries ?? NUMBERS.L1_CACHE_MAX_ENTRIES.default;
  const l1 = l1TtlMs > 0 ? createL1<Known>({ ttlMs: l1TtlMs, maxEntries, now }) : undefined;
  /** Users whose touch this isolate has scheduled within the L1 TTL: its other requests send nothing. */
  const touched = l1TtlMs > 0 ? createL1<true>({ ttlMs: l1TtlMs, maxEntries, now }) : undefined;
  const waitMs = options.coalesceWaitMs ?? COALESCE_WAIT_MS;
  const coalesce = createCoalescer<(Loaded | LoadFailure) & { by: object }>({ waitMs, now });
  const touch = createToucher({ cache, store, intervalSeconds: touchIntervalSeconds, log });
  const loader = createSessionLoader({ cache, store, cacheTtlSeconds, log });
  /**
   * Sessions revoked in this isolate (sid → when), kept as long as the revoked
   * entry in the shared cache and independent of the L1: no request of this
   * isolate uses a load of them once the logout has answered.
   */
  const revocations = createL1<number>({
    ttlMs: loader.revokedTtlSeconds * 1000,
    maxEntries: REVOCATION_RECORD_MAX_ENTRIES,
    now,
  });
  const revokedHere = (sid: string): Known | undefined =>
    revocations.get(sid) === undefined ? undefined : REVOKED;
  const readiness = createReadinessProber({
    checks: { redis: () => cache.ping(), database: () => store.ping() },
    now,
    waitMs,
    log,
  });
  const notActive = () => new AuthError('invalid_token', 'session is not active');

  /**
   * Whether the session may be live and this user's, judged without the
   * database: this isolate's knowledge, then one read of the shared cache.
   * 'unread' when the shared cache was not read (off or down).
   */
  async function lookBeforeRevoking(
    claims: Credential,
    at: number,
  ): Promise<'dead' | 'live' | 'miss' | 'unread'> {
    const local = revokedHere(claims.sid) ?? l1?.get(claims.sid);
    if (local && judge(local.entry, claims, at) instanceof AuthError) return 'dead';
    if (cacheTtlSeconds === 0) return 'unread';
    try {
      const { entry } = await cache.read(claims.sid, claims.sub);
      if (!entry) return 'miss';
      return judge(entry, claims, at) instanceof AuthError ? 'dead' : 'live';
    } catch (err) {
      log(`edge-auth: session cache unavailable, logging out through the database: ${describeCause(err)}`);
      return 'unread';
    }
  }

  /**
   * After a revoke that changed nothing: one SELECT says why, and the answer
   * is cached like any load's, so the next logout with this token costs no
   * statement. Not a blind dead entry: the sid may be another user's live session.
   */
  async function rememberWhyNotRevoked(claims: Credential, at: number): Promise<void> {
    const { sid } = claims;
    let stored: StoredSession | null;
    try {
      stored = await store.load(claims.key ?? sid);
    } catch (err) {
      log(`edge-auth: could not read why a logout revoked nothing: ${describeCause(err)}`);
      return;
    }
    const entry = toEntry(stored, at);
    if ('dead' in entry) {
      if (entry.dead === 'revoked') revocations.set(sid, at);
      l1?.set(sid, { entry, touchMarked: true });
    }
    await loader.writeBack(sid, entry, stored);
  }

  return {
    async authenticate(claims) {
      // A sub that cannot be a user id names no session: refused before any
      // round trip, and nothing is cached under the sid (its owner is unaffected).
      if (claims.sub !== undefined && store.isUserId?.(claims.sub) === false) {
        const error = new AuthError('invalid_token', 'session not found');
        return { ok: false, error, served: 'miss', touch: 'none', durations: {} };
      }
      const at = now();
      const background: Promise<unknown>[] = [];
      const settle = () =>
        background.length === 0 ? undefined : Promise.allSettled(background).then(() => undefined);
      let known = revokedHere(claims.sid) ?? l1?.get(claims.sid);
      let served: Served = 'l1';
      let durations: Durations = {};
      if (!known) {
        // Identifies this request's own load among shared results: plain data, no flag set from inside.
        const ticket = {};
        const loadOwn = async () => ({ ...(await loader.load(claims, at, background)), by: ticket });
        let loaded = await coalesce(`${claims.sid}\n${claims.sub}`, loadOwn);
        // Another request's failed load is not this one's answer: it loads alone.
        if ('failed' in loaded && loaded.by !== ticket) loaded = await loadOwn();
        if ('failed' in loaded) {
          const { failed: error, served: failedAt, durations: spent } = loaded;
          return { ok: false, error, served: failedAt, touch: 'none', durations: spent, pending: settle() };
        }
        const led = loaded.by === ticket;
        if (led) ({ served, durations } = loaded);
        const owned =
          'live' in loaded.entry && (claims.sub === undefined || loaded.entry.live.user.id === claims.sub);
        // A logout answered in this isolate while the load was in flight wins: the load may predate it.
        known = revokedHere(claims.sid) ?? { entry: loaded.entry, touchMarked: owned && loaded.touchMarked };
        if (led && known.entry === loaded.entry) {
          l1?.set(claims.sid, known, { ifAbsent: 'live' in known.entry });
          // A session read without its marker (a Django key names no user): this isolate's record of
          // the user's touch must live as long as the new L1 entry, or a later hit reads the marker.
          const owner = 'live' in known.entry ? known.entry.live.user.id : undefined;
          if (known.touchMarked === undefined && owner && touched?.get(owner)) touched.set(owner, true);
        }
      }

      const verdict = judge(known.entry, claims, at);
      if (verdict instanceof AuthError) {
        return { ok: false, error: verdict, served, touch: 'none', durations, pending: settle() };
      }
      let decision: TouchDecision = 'marked';
      const userId = verdict.user.id;
      if (known.touchMarked !== true && !touched?.get(userId)) {
        // Recorded before the claim lands, so this isolate's other requests send nothing.
        touched?.set(userId, true);
        decision = served === 'degraded' ? 'write' : 'claim';
        background.push(
          decision === 'write'
            ? touch.withoutMarker(userId)
            : known.touchMarked === undefined
              ? touch.ifFree(claims.sid, userId)
              : touch(userId),
        );
      }
      return { ok: true, session: verdict, served, touch: decision, durations, pending: settle() };
    },

    readiness,

    async logout(claims) {
      // As in authenticate: no round trip for a sub that names no user.
      if (claims.sub !== undefined && store.isUserId?.(claims.sub) === false) throw notActive();
      const at = now();
      const looked = await lookBeforeRevoking(claims, at);
      if (looked === 'dead') throw notActive();
      let revoked: boolean;
      try {
        revoked = await store.revoke(claims.key ?? claims.sid, claims.sub);
      } catch (err) {
        throw new DependencyError('database', { cause: err });
      }
      if (!revoked) {
        if (looked !== 'unread') await rememberWhyNotRevoked(claims, at);
        throw notActive();
      }
      revocations.set(claims.sid, at);
      l1?.set(claims.sid, REVOKED);
      if (cacheTtlSeconds === 0) return;
      // Kept until the credential itself expires: a Django signed cookie has no row to delete, so
      // this entry is all that refuses a copy of it (a JWT's session is revoked in the store too).
      const untilExpiry = Number.isFinite(claims.exp) ? Math.ceil(claims.exp - at / 1000) : 0;
      try {
        // A revoked entry rather than a delete: write-backs of loads that began
        // before the revocation are live entries, which never replace it.
        await cache.remember(claims.sid, REVOKED.entry, Math.max(loader.revokedTtlSeconds, untilExpiry));
      } catch (err) {
        log(`edge-auth: revoked session may stay cached until its TTL: ${describeCause(err)}`);
      }
    },
  };
}
