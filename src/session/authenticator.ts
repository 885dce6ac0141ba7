import { AuthError, DependencyError, describeCause } from '../errors';
import type { Claims } from '../token/verifier';
import { createCoalescer } from '../util/coalesce';
import { createL1 } from '../util/l1';
import { createToucher } from './touch';
import type { AuthSession, CacheEntry, CacheRead, SessionCache, SessionStore, StoredSession } from './types';
import { judge, toEntry } from './verdict';

export interface AuthenticatorOptions {
  cache: SessionCache;
  store: SessionStore;
  /** Shared cache TTL; 0 disables the session cache (touch markers still live there). */
  cacheTtlSeconds: number;
  touchIntervalSeconds: number;
  /** Per-isolate cache: its TTL is capped by `cacheTtlSeconds`; 0 disables it. */
  l1?: { ttlSeconds: number; maxEntries: number };
  /** How long a request waits for a concurrent load of the same session before loading alone. */
  coalesceWaitMs?: number;
  /** Worker clock; only decides expiry of cached entries. */
  now?: () => number;
  log?: (line: string) => void;
}

/** Where the session came from: this isolate, the shared cache, or the database. */
export type Served = 'l1' | 'hit' | 'miss' | 'off' | 'degraded';
/** What the request did about `last_login`: claim the marker, write without one (cache down), nothing. */
export type TouchDecision = 'claim' | 'write' | 'marked' | 'none';

interface Outcome {
  served: Served;
  touch: TouchDecision;
  /** Milliseconds spent on the shared cache and on the database, when used. */
  durations: { cache?: number; db?: number };
  /** Background work (write-backs, the touch): hand it to `ctx.waitUntil`. Never rejects. */
  pending: Promise<void>;
}

export type AuthResult =
  | (Outcome & { ok: true; session: AuthSession })
  | (Outcome & { ok: false; error: AuthError | DependencyError });

export interface Authenticator {
  /** Never throws: failures are results, so their background work is not lost. */
  authenticate(claims: Claims): Promise<AuthResult>;
  /** Revokes the token's session; throws `AuthError` when it is not a live session. */
  logout(claims: Claims): Promise<void>;
  /** Whether both dependencies answer within their budgets (for `/readyz`). */
  readiness(): Promise<Readiness>;
}

export interface Readiness {
  ready: boolean;
  dependencies: { redis: 'up' | 'down'; database: 'up' | 'down' };
}

/** The `pending` of a request that left no background work: nothing for `waitUntil`. */
export const NOTHING_PENDING: Promise<void> = Promise.resolve();

/** How long a revoked entry is kept at least: longer than any write-back in flight. */
export const REVOKED_ENTRY_MIN_TTL_SECONDS = 60;

/** The database failed during a load: a 503 that still says how far the load got. */
class StoreUnavailable extends DependencyError {
  constructor(
    readonly served: Served,
    readonly durations: Outcome['durations'],
    cause: unknown,
  ) {
    super('database', { cause });
  }
}

/** A session as this isolate knows it; `touchMarked` is mutated once a touch is under way. */
interface Known {
  entry: CacheEntry;
  touchMarked: boolean;
}
interface Loaded extends Known {
  served: Served;
  durations: Outcome['durations'];
}

/**
 * The session core. This isolate's L1 first (no network), then one read-only
 * round trip to the shared cache, then the database; concurrent misses for
 * one session share one load. Writes happen only when due and in the
 * background: write-backs, the marker claim and the conditional UPDATE.
 *
 * @example
 * const auth = createAuthenticator({ cache, store, cacheTtlSeconds: 10, touchIntervalSeconds: 300 });
 * const result = await auth.authenticate(claims);
 * ctx.waitUntil(result.pending);
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { cache, store, cacheTtlSeconds, touchIntervalSeconds } = options;
  const now = options.now ?? Date.now;
  const log = options.log ?? console.error;
  const l1TtlSeconds = Math.min(cacheTtlSeconds, options.l1?.ttlSeconds ?? 2);
  const l1 =
    l1TtlSeconds > 0
      ? createL1<Known>({ ttlMs: l1TtlSeconds * 1000, maxEntries: options.l1?.maxEntries ?? 10_000, now })
      : undefined;
  const coalesce = createCoalescer<Loaded>({ waitMs: options.coalesceWaitMs ?? 4_000 });
  const touch = createToucher({ cache, store, intervalSeconds: touchIntervalSeconds, log });
  const revokedTtl = Math.max(cacheTtlSeconds, REVOKED_ENTRY_MIN_TTL_SECONDS);

  async function load(claims: Claims, at: number, background: Promise<unknown>[]): Promise<Loaded> {
    const durations: Outcome['durations'] = {};
    let read: CacheRead | undefined;
    const readStart = performance.now();
    try {
      read = await cache.read(claims.sid, claims.sub);
    } catch (err) {
      // Degrade to the database: a Redis blip must never log anyone out.
      log(`edge-auth: session cache unavailable, reading the database: ${describeCause(err)}`);
    }
    durations.cache = performance.now() - readStart;
    const touchMarked = read?.touchMarked ?? false;
    if (read?.entry && cacheTtlSeconds > 0)
      return { entry: read.entry, touchMarked, served: 'hit', durations };

    const served: Served = !read ? 'degraded' : cacheTtlSeconds > 0 ? 'miss' : 'off';
    let stored: StoredSession | null;
    const dbStart = performance.now();
    try {
      stored = await store.load(claims.sid);
    } catch (err) {
      durations.db = performance.now() - dbStart;
      throw new StoreUnavailable(served, durations, err);
    }
    durations.db = performance.now() - dbStart;
    const entry = toEntry(stored, at);
    const ttl = writeBackTtl(entry, stored);
    if (served === 'miss' && ttl > 0) {
      background.push(
        cache.remember(claims.sid, entry, ttl).catch((err) => {
          log(`edge-auth: session cache write failed: ${describeCause(err)}`);
        }),
      );
    }
    return { entry, touchMarked, served, durations };
  }

  /** Never longer than the session's remaining life; a revocation outlives any write-back in flight. */
  function writeBackTtl(entry: CacheEntry, stored: StoredSession | null): number {
    if ('dead' in entry) return entry.dead === 'revoked' ? revokedTtl : cacheTtlSeconds;
    return Math.max(0, Math.min(cacheTtlSeconds, Math.floor((stored?.remainingMs ?? 0) / 1000)));
  }

  return {
    async authenticate(claims) {
      // A sub that cannot be a user id names no session: refused before any
      // round trip, and nothing is cached under the sid (its owner is unaffected).
      if (store.isUserId?.(claims.sub) === false) {
        const error = new AuthError('invalid_token', 'session not found');
        return { ok: false, error, served: 'miss', touch: 'none', durations: {}, pending: NOTHING_PENDING };
      }
      const at = now();
      const background: Promise<unknown>[] = [];
      const settle = () =>
        background.length === 0 ? NOTHING_PENDING : Promise.allSettled(background).then(() => undefined);
      let known = l1?.get(claims.sid);
      let served: Served = 'l1';
      let durations: Outcome['durations'] = {};
      if (!known) {
        let leader = false;
        try {
          const loaded = await coalesce(`${claims.sid}\n${claims.sub}`, () => {
            leader = true;
            return load(claims, at, background);
          });
          const owned = 'live' in loaded.entry && loaded.entry.live.user.id === claims.sub;
          known = { entry: loaded.entry, touchMarked: owned && loaded.touchMarked };
          if (leader) {
            ({ served, durations } = loaded);
            l1?.set(claims.sid, known, { ifAbsent: 'live' in known.entry });
          }
          // A logout in this isolate may have landed meanwhile: it wins.
          known = l1?.get(claims.sid) ?? known;
        } catch (err) {
          // Only this request's own load fails here (a leader's failure sends waiters to load alone).
          if (err instanceof StoreUnavailable) ({ served, durations } = err);
          else served = 'miss';
          const error =
            err instanceof DependencyError ? err : new DependencyError('database', { cause: err });
          return { ok: false, error, served, touch: 'none', durations, pending: settle() };
        }
      }

      const verdict = judge(known.entry, claims, at);
      if (verdict instanceof AuthError) {
        return { ok: false, error: verdict, served, touch: 'none', durations, pending: settle() };
      }
      let decision: TouchDecision = 'marked';
      if (!known.touchMarked) {
        // Marked before the claim lands, so this isolate's other requests send nothing.
        known.touchMarked = true;
        decision = served === 'degraded' ? 'write' : 'claim';
        background.push(decision === 'write' ? touch.withoutMarker(claims.sub) : touch(claims.sub));
      }
      return { ok: true, session: verdict, served, touch: decision, durations, pending: settle() };
    },

    async readiness() {
      // Started inside a promise: an adapter that throws synchronously still reads as "down".
      const check = (name: string, ping: () => Promise<void>) =>
        Promise.resolve()
          .then(ping)
          .then(
            () => 'up' as const,
            (err) => {
              log(`edge-auth: readiness: ${name} is down: ${describeCause(err)}`);
              return 'down' as const;
            },
          );
      const [redis, database] = await Promise.all([
        check('redis', () => cache.ping()),
        check('database', () => store.ping()),
      ]);
      return { ready: redis === 'up' && database === 'up', dependencies: { redis, database } };
    },

    async logout(claims) {
      let revoked: boolean;
      try {
        revoked = await store.revoke(claims.sid, claims.sub);
      } catch (err) {
        throw new DependencyError('database', { cause: err });
      }
      if (!revoked) throw new AuthError('invalid_token', 'session is not active');
      l1?.set(claims.sid, { entry: { dead: 'revoked' }, touchMarked: true });
      if (cacheTtlSeconds === 0) return;
      try {
        // A revoked entry rather than a delete: write-backs of loads that began
        // before the revocation are live entries, which never replace it.
        await cache.remember(claims.sid, { dead: 'revoked' }, revokedTtl);
      } catch (err) {
        log(`edge-auth: revoked session may stay cached until its TTL: ${describeCause(err)}`);
      }
    },
  };
}
