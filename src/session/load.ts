import { DependencyError, describeCause } from '../errors';
import type { CacheEntry, CacheRead, Credential, SessionCache, SessionStore, StoredSession } from './types';
import { toEntry } from './verdict';

/** Where the session came from: this isolate, the shared cache, or the database. */
export type Served = 'l1' | 'hit' | 'miss' | 'off' | 'degraded';

/** Milliseconds spent on the shared cache and on the database, when used. */
export interface Durations {
  cache?: number;
  db?: number;
}

/** One load of a session: plain data, so concurrent requests of an isolate may share it. */
export interface Loaded {
  entry: CacheEntry;
  /** Whether the user's touch marker was set when the shared cache was read (`undefined`: the user was not known then). */
  touchMarked: boolean | undefined;
  served: Served;
  durations: Durations;
}

/** How long a revoked entry is kept at least: longer than any write-back in flight. */
export const REVOKED_ENTRY_MIN_TTL_SECONDS = 60;

/** The database failed during a load: a 503 that still says how far the load got. */
export interface LoadFailure {
  failed: DependencyError;
  served: Served;
  durations: Durations;
}

/**
 * Reads a session through the shared cache, then the database, and writes
 * what the database said back to the cache (a live entry only where there is
 * none, so it never replaces a revocation).
 *
 * @example
 * const loader = createSessionLoader({ cache, store, cacheTtlSeconds: 10, log: console.error });
 * const background: Promise<unknown>[] = [];
 * const loaded = await loader.load(claims, Date.now(), background); // background: the write-back
 */
export function createSessionLoader(options: {
  cache: SessionCache;
  store: SessionStore;
  cacheTtlSeconds: number;
  log: (line: string) => void;
}) {
  const { cache, store, cacheTtlSeconds, log } = options;
  const revokedTtlSeconds = Math.max(cacheTtlSeconds, REVOKED_ENTRY_MIN_TTL_SECONDS);

  /** Never longer than the session's remaining life; a revocation outlives any write-back in flight. */
  function writeBackTtl(entry: CacheEntry, stored: StoredSession | null): number {
    if ('dead' in entry) return entry.dead === 'revoked' ? revokedTtlSeconds : cacheTtlSeconds;
    return Math.max(0, Math.min(cacheTtlSeconds, Math.floor((stored?.remainingMs ?? 0) / 1000)));
  }

  /** Caches the database's answer; `undefined` when there is nothing to write. Never rejects. */
  function writeBack(
    sid: string,
    entry: CacheEntry,
    stored: StoredSession | null,
  ): Promise<void> | undefined {
    const ttl = writeBackTtl(entry, stored);
    if (cacheTtlSeconds === 0 || ttl <= 0) return undefined;
    return cache.remember(sid, entry, ttl).catch((err) => {
      log(`edge-auth: session cache write failed: ${describeCause(err)}`);
    });
  }

  async function load(
    claims: Credential,
    at: number,
    background: Promise<unknown>[],
  ): Promise<Loaded | LoadFailure> {
    const durations: Durations = {};
    let read: CacheRead | undefined;
    const readStart = performance.now();
    try {
      read = await cache.read(claims.sid, claims.sub);
    } catch (err) {
      // Degrade to the database: a Redis blip must never log anyone out.
      log(`edge-auth: session cache unavailable, reading the database: ${describeCause(err)}`);
    }
    durations.cache = performance.now() - readStart;
    // The cache down: no marker to go by, the touch writes without one (the UPDATE's WHERE still guards).
    const touchMarked = read ? read.touchMarked : false;
    if (read?.entry && cacheTtlSeconds > 0)
      return { entry: read.entry, touchMarked, served: 'hit', durations };

    const served: Served = !read ? 'degraded' : cacheTtlSeconds > 0 ? 'miss' : 'off';
    let stored: StoredSession | null;
    const dbStart = performance.now();
    try {
      stored = await store.load(claims.key ?? claims.sid);
    } catch (err) {
      durations.db = performance.now() - dbStart;
      return { failed: new DependencyError('database', { cause: err }), served, durations };
    }
    durations.db = performance.now() - dbStart;
    const entry = toEntry(stored, at);
    const written = served === 'miss' ? writeBack(claims.sid, entry, stored) : undefined;
    if (written) background.push(written);
    return { entry, touchMarked, served, durations };
  }

  return { load, writeBack, revokedTtlSeconds };
}
