import { describe, expect, it } from 'vitest';
import { mintToken } from '../../dev/tokens';
import { instrumentCache } from '../../test/support/instrument';
import { bearer, memoryApp, profile, SECRET, T0 } from '../../test/support/memory-app';
import { createAuthenticator } from './authenticator';
import { REVOKED_ENTRY_MIN_TTL_SECONDS } from './load';
import { createMemorySessionCache } from './memory-cache';
import { createMemorySessionStore } from './memory-store';

type App = ReturnType<typeof memoryApp>;

const logout = (t: App, token: string) => t.request('/auth/logout', { method: 'POST', ...bearer(token) });

/** Counts every revoke statement (the store's own stats count only those that revoked a row). */
function countRevokes(t: App): { statements: number } {
  const counter = { statements: 0 };
  const revoke = t.store.revoke;
  t.store.revoke = (...args) => {
    counter.statements++;
    return revoke(...args);
  };
  return counter;
}

/**
 * Holds the answers of session SELECTs until `release()`: each has read the
 * database already (a load that started before what the test does next).
 */
function holdLoadAnswers(t: App) {
  let release = () => {};
  let signal = () => {};
  const released = new Promise<void>((r) => (release = r));
  const arrived = new Promise<void>((r) => (signal = r));
  const load = t.store.load;
  t.store.load = async (sid) => {
    const stored = await load(sid);
    signal();
    await released;
    return stored;
  };
  return { arrived, release };
}

/** Another isolate on the same shared cache and database (its own L1 and records). */
function otherIsolate(t: App, l1TtlSeconds = 2) {
  return createAuthenticator({
    cache: t.cache,
    store: t.store,
    cacheTtlSeconds: t.config.session.cacheTtlSeconds,
    touchIntervalSeconds: t.config.session.touchIntervalSeconds,
    l1: { ttlSeconds: l1TtlSeconds, maxEntries: 100 },
    now: () => t.clock.now,
    log: () => {},
  });
}

describe('revocation wins in the isolate', () => {
  it.each(['0', '2'])(
    'L1_CACHE_TTL_SECONDS=%s: a load in flight at logout is used by no request, before or after it',
    async (l1) => {
      const t = memoryApp({ L1_CACHE_TTL_SECONDS: l1 });
      const token = await t.login('u1', 's1');
      const held = holdLoadAnswers(t);
      const first = t.request('/auth/session', bearer(token)); // starts the load
      await held.arrived;
      const joined = t.request('/auth/session', bearer(token)); // joins it (same isolate, same session)
      expect((await logout(t, token)).status).toBe(204);
      const reads = t.cache.stats.reads;
      const after = await t.request('/auth/session', bearer(token));
      expect(after.status).toBe(401);
      expect(after.headers.get('WWW-Authenticate')).toContain('error_description="session revoked"');
      expect(t.cache.stats.reads).toBe(reads); // answered by the isolate's record: no round trip
      held.release();
      expect((await first).status).toBe(401);
      expect((await joined).status).toBe(401);
      await t.settle();
      expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
      expect(t.store.stats.selects).toBe(1);
    },
  );

  it('the record lasts as long as the revoked entry, whatever the L1, then the shared cache decides', async () => {
    const t = memoryApp({ L1_CACHE_TTL_SECONDS: '0' });
    const token = await t.login('u1', 's1');
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    expect((await logout(t, token)).status).toBe(204);
    t.cache.keys.clear(); // the shared cache lost the revoked entry: the record alone answers
    const reads = t.cache.stats.reads;
    t.clock.now += REVOKED_ENTRY_MIN_TTL_SECONDS * 1000 - 1;
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
    expect(t.cache.stats.reads).toBe(reads);
    t.clock.now += 1; // the record expired with the revoked entry: one read, then the database
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
    expect(t.cache.stats.reads).toBe(reads + 1);
  });
});

describe('logout judges through the caches first', () => {
  it('50 logouts with a revoked token: no statement in this isolate, nor in another one', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const revokes = countRevokes(t);
    expect((await logout(t, token)).status).toBe(204);
    for (let i = 0; i < 50; i++) expect((await logout(t, token)).status).toBe(401);
    const other = otherIsolate(t);
    const claims = { sub: 'u1', sid: 's1', exp: 0 };
    for (let i = 0; i < 5; i++) await expect(other.logout(claims)).rejects.toThrow('session is not active');
    expect(revokes.statements).toBe(1);
    expect(t.store.stats.selects).toBe(0);
  });

  it.each([
    { name: 'revoked in the database', kill: (t: App) => (t.store.sessions.get('s1')!.revokedAt = T0) },
    { name: 'expired', kill: (t: App) => (t.store.sessions.get('s1')!.expiresAt = T0) },
    { name: 'unknown', kill: (t: App) => t.store.sessions.delete('s1') },
  ])(
    'a session $name and not cached: one UPDATE and one SELECT, then 401s cost nothing',
    async ({ kill }) => {
      const t = memoryApp({ L1_CACHE_TTL_SECONDS: '0' });
      const token = await t.login('u1', 's1');
      kill(t);
      const revokes = countRevokes(t);
      for (let i = 0; i < 50; i++) expect((await logout(t, token)).status).toBe(401);
      expect({ revokes: revokes.statements, selects: t.store.stats.selects }).toEqual({
        revokes: 1,
        selects: 1,
      });
      // Another isolate pays nothing either: the answer is in the shared cache.
      await expect(otherIsolate(t, 0).logout({ sub: 'u1', sid: 's1', exp: 0 })).rejects.toThrow();
      expect(revokes.statements).toBe(1);
    },
  );

  it("a token naming another user's session: 401 without a statement, and the owner is not locked out", async () => {
    const t = memoryApp({ L1_CACHE_TTL_SECONDS: '0' });
    const owner = await t.login('u1', 's1');
    const intruder = await t.login('u2', 's-u2');
    const forged = await mintToken({ secret: SECRET, userId: 'u2', sessionId: 's1' });
    const revokes = countRevokes(t);
    // Not cached yet: the UPDATE finds no row of u2; one SELECT caches the real owner's entry.
    expect((await logout(t, forged)).status).toBe(401);
    expect({ revokes: revokes.statements, selects: t.store.stats.selects }).toEqual({
      revokes: 1,
      selects: 1,
    });
    await t.settle();
    for (let i = 0; i < 5; i++) expect((await logout(t, forged)).status).toBe(401);
    expect(revokes.statements).toBe(1);
    expect(JSON.parse(t.cache.keys.get('edge-auth:session:s1')!.value)).toMatchObject({ owner: 'u1' });
    expect((await t.request('/auth/session', bearer(owner))).status).toBe(200);
    expect((await logout(t, owner)).status).toBe(204);
    expect((await t.request('/auth/session', bearer(intruder))).status).toBe(200);
  });

  it('with the shared cache down, logout still revokes through the database', async () => {
    const t = memoryApp({ L1_CACHE_TTL_SECONDS: '0' });
    const token = await t.login('u1', 's1');
    t.cache.failing = true;
    const revokes = countRevokes(t);
    expect((await logout(t, token)).status).toBe(204);
    expect(t.store.sessions.get('s1')!.revokedAt).toBe(T0);
    // The isolate remembers its own logout even though the cache could not.
    expect((await logout(t, token)).status).toBe(401);
    expect(revokes.statements).toBe(1);
    t.cache.failing = false;
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
  });

  it('a live cached entry of this user still goes to the database, which has the last word', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    await t.settle();
    t.store.sessions.get('s1')!.revokedAt = T0; // revoked elsewhere; the cache still says live
    t.clock.now += 2_000; // past the L1
    const revokes = countRevokes(t);
    expect((await logout(t, token)).status).toBe(401);
    expect(revokes.statements).toBe(1);
    // The stale live entry is replaced by what the database said.
    expect(JSON.parse(t.cache.keys.get('edge-auth:session:s1')!.value)).toEqual({ v: 1, dead: 'revoked' });
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
  });
});

describe('a revocation lasts as long as the credential', () => {
  it('the revoked entry outlives the minimum until the token expires (a signed cookie has no row to delete)', async () => {
    const t = memoryApp();
    const token = await t.login('u-long', 's-long', { ttlMs: 7 * 24 * 3600_000 });
    expect((await logout(t, token)).status).toBe(204);
    const entry = t.cache.keys.get(`${t.config.redis.keyPrefix}session:s-long`);
    expect(entry?.value).toContain('"dead":"revoked"');
    // The memory app's tokens live an hour: the entry lives until then, not the 60 s minimum.
    expect(entry?.expiresAt).toBe(t.clock.now + 3600_000);
    expect(REVOKED_ENTRY_MIN_TTL_SECONDS * 1000).toBeLessThan(3600_000);
  });
});

describe('a credential that names no user (a Django session key)', () => {
  it('a second session of the same user loaded later is served from L1 with no marker read for its whole L1 life', async () => {
    const clock = { now: T0 };
    const now = () => clock.now;
    const cache = instrumentCache(createMemorySessionCache({ now }));
    const store = createMemorySessionStore({
      now,
      users: new Map([['u1', { ...profile('u1'), lastLogin: null }]]),
      sessions: new Map([
        ['k1', { id: 'k1', userId: 'u1', expiresAt: T0 + 3600_000 }],
        ['k2', { id: 'k2', userId: 'u1', expiresAt: T0 + 3600_000 }],
      ]),
    });
    const auth = createAuthenticator({ cache, store, cacheTtlSeconds: 10, touchIntervalSeconds: 300, now });
    const credential = (sid: string) => ({ sid, sub: undefined, exp: Number.POSITIVE_INFINITY });
    const settle = async (r: { pending?: Promise<void> | undefined }) => r.pending && (await r.pending);
    await settle(await auth.authenticate(credential('k1'))); // touch scheduled: the isolate records it
    clock.now = T0 + 1_500;
    await settle(await auth.authenticate(credential('k2'))); // the same user's other session, loaded
    const reads = cache.stats.reads;
    for (const at of [T0 + 2_500, T0 + 3_400]) {
      clock.now = at;
      const hit = await auth.authenticate(credential('k2'));
      expect(hit).toMatchObject({ ok: true, served: 'l1', touch: 'marked' });
      expect(hit.pending).toBeUndefined();
    }
    expect(cache.stats.reads).toBe(reads);
  });
});
