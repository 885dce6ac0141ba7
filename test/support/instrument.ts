import type { SessionCache, SessionStore } from '../../src/session/types';

/**
 * Test instrumentation as wrappers around any adapter (memory or real):
 * counts calls by kind and injects failures. Lives in test support so the
 * adapters in `src/` carry no test hooks.
 *
 * @example
 * const cache = instrumentCache(createMemorySessionCache());
 * cache.failing = true; // every call rejects, as an unreachable Redis would
 */
export function instrumentCache(inner: SessionCache) {
  const stats = { roundTrips: 0, reads: 0, writes: 0, claims: 0, releases: 0 };
  const wrapper = {
    stats,
    /** When true every call rejects. */
    failing: false,
    read: (sid: string, userId: string) => {
      count('reads');
      return inner.read(sid, userId);
    },
    remember: (...args: Parameters<SessionCache['remember']>) => {
      count('writes');
      return inner.remember(...args);
    },
    claimTouch: (...args: Parameters<SessionCache['claimTouch']>) => {
      count('writes');
      stats.claims++;
      return inner.claimTouch(...args);
    },
    releaseTouch: (...args: Parameters<SessionCache['releaseTouch']>) => {
      count('writes');
      stats.releases++;
      return inner.releaseTouch(...args);
    },
    ping: () => {
      count('reads');
      return inner.ping();
    },
  };
  function count(kind: 'reads' | 'writes') {
    if (wrapper.failing) throw new Error('cache unreachable');
    stats.roundTrips++;
    stats[kind]++;
  }
  return wrapper satisfies SessionCache;
}

/** Counts statements (and rows the touch really wrote) and injects failures. */
export function instrumentStore(inner: SessionStore) {
  const stats = { selects: 0, touchStatements: 0, lastLoginWrites: 0, revokes: 0 };
  const wrapper = {
    stats,
    /** When true every call rejects, as an unreachable database would. */
    failing: false,
    async load(sid: string) {
      check();
      stats.selects++;
      return inner.load(sid);
    },
    async touch(userId: string, intervalSeconds: number) {
      check();
      stats.touchStatements++;
      const written = await inner.touch(userId, intervalSeconds);
      if (written) stats.lastLoginWrites++;
      return written;
    },
    async revoke(sid: string, userId: string | undefined) {
      check();
      const revoked = await inner.revoke(sid, userId);
      if (revoked) stats.revokes++;
      return revoked;
    },
    async ping() {
      check();
      return inner.ping();
    },
  };
  function check() {
    if (wrapper.failing) throw new Error('database unreachable');
  }
  return wrapper satisfies SessionStore;
}
