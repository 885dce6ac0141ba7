import { describe, expect, it } from 'vitest';
import { bearer, memoryApp, T0 } from '../../test/support/memory-app';
import { refusalWindow } from './touch';

describe('the touch: at most one last_login write per user per interval', () => {
  it('50 concurrent requests from one user: one shared read, one claim, one UPDATE; then no network', async () => {
    const t = memoryApp({ SESSION_CACHE_TTL_SECONDS: '10', TOUCH_INTERVAL_SECONDS: '5' });
    const token = await t.login('u1', 's1');
    await t.request('/auth/session', bearer(token)); // warms the caches and touches once
    await t.settle();
    expect(t.store.stats.lastLoginWrites).toBe(1);
    t.clock.now += 6_000; // marker and L1 expired; the Redis entry (10 s) has not

    t.cache.stats.roundTrips = t.cache.stats.reads = t.cache.stats.writes = t.cache.stats.claims = 0;
    const burst = () =>
      Promise.all(Array.from({ length: 50 }, () => t.request('/auth/session', bearer(token))));
    const responses = await burst();
    await t.settle();

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(t.cache.stats).toMatchObject({ reads: 1, claims: 1, writes: 1 });
    expect(t.store.stats.selects).toBe(1);
    expect(t.store.stats.touchStatements).toBe(2);
    expect(t.store.stats.lastLoginWrites).toBe(2);
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0 + 6_000);

    const again = await burst(); // within the L1 TTL: served by the isolate
    await t.settle();
    expect(again.map((r) => r.headers.get('Server-Timing')?.match(/cache;desc="(\w+)"/)?.[1])).toEqual(
      Array(50).fill('l1'),
    );
    expect(t.cache.stats.roundTrips).toBe(2);
  });

  it('50 concurrent requests on a cold cache still write last_login once', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    await Promise.all(Array.from({ length: 50 }, () => t.request('/auth/session', bearer(token))));
    await t.settle();
    expect(t.store.stats.touchStatements).toBe(1);
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0);
  });

  it('10 users → 10 UPDATEs; a second burst after the interval → one more each', async () => {
    const t = memoryApp({ SESSION_CACHE_TTL_SECONDS: '10', TOUCH_INTERVAL_SECONDS: '60' });
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => t.login(`u${i}`, `s${i}`)));
    const burst = () =>
      Promise.all(
        tokens.flatMap((token) => Array.from({ length: 5 }, () => t.request('/auth/session', bearer(token)))),
      );

    await burst();
    await t.settle();
    expect(t.store.stats.lastLoginWrites).toBe(10);

    t.clock.now += 30_000; // within the interval: nothing more
    await burst();
    await t.settle();
    expect(t.store.stats.lastLoginWrites).toBe(10);

    t.clock.now += 31_000; // past it
    await burst();
    await t.settle();
    expect(t.store.stats.lastLoginWrites).toBe(20);
    for (let i = 0; i < 10; i++) expect(t.store.users.get(`u${i}`)!.lastLogin).toBe(T0 + 61_000);
  });

  it('last_login never moves backwards, even when the marker is lost', async () => {
    const t = memoryApp({ TOUCH_INTERVAL_SECONDS: '60' });
    const token = await t.login('u1', 's1');
    t.store.users.get('u1')!.lastLogin = T0 + 3600_000; // written by the origin, "in the future"
    await t.request('/auth/session', bearer(token));
    await t.settle();
    expect(t.store.stats.touchStatements).toBe(1);
    expect(t.store.stats.lastLoginWrites).toBe(0);
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0 + 3600_000);
  });
});

describe('the session cache', () => {
  it('serves repeat requests from the cache within the TTL, then reloads', async () => {
    const t = memoryApp({ SESSION_CACHE_TTL_SECONDS: '5' });
    const token = await t.login('u1', 's1');
    for (let i = 0; i < 3; i++) {
      expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
      await t.settle();
    }
    expect(t.store.stats.selects).toBe(1);
    t.clock.now += 5_000;
    await t.request('/auth/session', bearer(token));
    expect(t.store.stats.selects).toBe(2);
  });

  it('never caches a session longer than its remaining life', async () => {
    const t = memoryApp({ SESSION_CACHE_TTL_SECONDS: '10' });
    const token = await t.login('u1', 's1', { ttlMs: 3_500 });
    await t.request('/auth/session', bearer(token));
    await t.settle();
    expect(t.cache.keys.get('edge-auth:session:s1')!.expiresAt).toBe(T0 + 3_000);
    t.clock.now += 3_600;
    const res = await t.request('/auth/session', bearer(token));
    expect(res.status).toBe(401);
  });

  it('a revoked session is refused within the TTL', async () => {
    const t = memoryApp({ SESSION_CACHE_TTL_SECONDS: '10' });
    const token = await t.login('u1', 's1');
    await t.request('/auth/session', bearer(token));
    await t.settle();
    t.store.sessions.get('s1')!.revokedAt = T0; // revoked directly in the database
    t.clock.now += 10_000;
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
  });

  it('TTL 0 disables the cache but keeps one touch per interval', async () => {
    const t = memoryApp({ SESSION_CACHE_TTL_SECONDS: '0' });
    const token = await t.login('u1', 's1');
    await Promise.all(Array.from({ length: 20 }, () => t.request('/auth/session', bearer(token))));
    await t.settle();
    expect(t.store.stats.selects).toBe(20);
    expect([...t.cache.keys.keys()]).toEqual(['edge-auth:touch:u1']);
    expect(t.store.stats.touchStatements).toBe(1);
  });

  it('uses REDIS_KEY_PREFIX for both key shapes', async () => {
    const t = memoryApp({ REDIS_KEY_PREFIX: 'tenant-a:' });
    const token = await t.login('u1', 's1');
    await t.request('/auth/session', bearer(token));
    await t.settle();
    expect([...t.cache.keys.keys()].sort()).toEqual(['tenant-a:session:s1', 'tenant-a:touch:u1']);
  });
});

describe('session core v2', () => {
  it('a cold burst of 50 shares one read, one SELECT and one write-back; one claim, one UPDATE', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => t.request('/auth/session', bearer(token))),
    );
    await t.settle();
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(t.cache.stats).toMatchObject({ reads: 1, writes: 2, claims: 1, releases: 0 });
    expect(t.store.stats).toMatchObject({ selects: 1, touchStatements: 1, lastLoginWrites: 1 });
  });

  it('serves from L1, then one read per L1 TTL; L1_CACHE_TTL_SECONDS=0 reads every time', async () => {
    const t = memoryApp({ L1_CACHE_TTL_SECONDS: '2' });
    const token = await t.login('u1', 's1');
    const served = async () => {
      const res = await t.request('/auth/session', bearer(token));
      await t.settle();
      return res.headers.get('Server-Timing')?.match(/cache;(?:dur=[\d.]+;)?desc="(\w+)"/)?.[1];
    };
    expect(await served()).toBe('miss');
    expect(await served()).toBe('l1');
    t.clock.now += 2_000;
    expect(await served()).toBe('hit');
    expect(t.cache.stats.reads).toBe(2);

    const off = memoryApp({ L1_CACHE_TTL_SECONDS: '0' });
    const token2 = await off.login('u1', 's1');
    for (let i = 0; i < 3; i++) await off.request('/auth/session', bearer(token2));
    await off.settle();
    expect(off.cache.stats.reads).toBe(3);
  });

  it('warm requests send no write command; writes only when due', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    await t.request('/auth/session', bearer(token));
    await t.settle();
    t.cache.stats.writes = 0;
    for (let i = 0; i < 10; i++) {
      t.clock.now += 500; // across several L1 TTLs, within the cache TTL and the interval
      expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    }
    await t.settle();
    expect(t.cache.stats.writes).toBe(0);
  });

  it('a failed touch gives the marker back, and a later request writes last_login', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const touch = t.store.touch;
    t.store.touch = async () => {
      throw new Error('database unreachable');
    };
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    await t.settle();
    expect(t.cache.stats).toMatchObject({ claims: 1, releases: 1 });
    expect(t.cache.keys.has('edge-auth:touch:u1')).toBe(false);
    expect(t.store.users.get('u1')!.lastLogin).toBeNull();

    t.store.touch = touch; // the database is back
    t.clock.now += 2_000; // this isolate retries once its L1 entry expires
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    await t.settle();
    expect(t.cache.stats.claims).toBe(2);
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0 + 2_000);
  });

  it('authenticate() returns the session, how it was served and the background work', async () => {
    const t = memoryApp();
    await t.login('u1', 's1');
    const claims = { sub: 'u1', sid: 's1', exp: 0 };
    const first = await t.core.authenticator.authenticate(claims);
    expect(first).toMatchObject({ ok: true, served: 'miss', touch: 'claim' });
    expect(first.ok && first.session.user.id).toBe('u1');
    await first.pending;
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0);
    const second = await t.core.authenticator.authenticate(claims);
    expect(second).toMatchObject({ ok: true, served: 'l1', touch: 'marked', durations: {} });
    const foreign = await t.core.authenticator.authenticate({ ...claims, sub: 'u2' });
    expect(foreign).toMatchObject({ ok: false, served: 'l1', touch: 'none' });
    expect(!foreign.ok && foreign.error.message).toBe('session belongs to another user');
  });

  it('an L1 hit leaves no background work: nothing is handed to waitUntil', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const claims = { sub: 'u1', sid: 's1', exp: 0 };
    await t.request('/auth/session', bearer(token)); // the load: a write-back, the claim and the UPDATE
    expect(t.waitUntilCalls).toBe(1);
    await t.settle();
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0);

    const hit = await t.request('/auth/session', bearer(token));
    expect(hit.headers.get('Server-Timing')).toContain('cache;desc="l1"');
    expect(t.waitUntilCalls).toBe(1);
    expect((await t.core.authenticator.authenticate(claims)).pending).toBeUndefined();

    t.clock.now += 2_000; // the L1 entry expired: one read, a Redis hit, which writes nothing back
    const reread = await t.core.authenticator.authenticate(claims);
    expect(reread).toMatchObject({ ok: true, served: 'hit', touch: 'marked' });
    expect(reread.pending).toBeUndefined();
    t.cache.keys.clear(); // nothing cached and no marker: the next load writes back and touches again
    t.clock.now += 2_000;
    const load = await t.core.authenticator.authenticate(claims);
    expect(load).toMatchObject({ ok: true, served: 'miss', touch: 'claim' });
    expect(load.pending).toBeInstanceOf(Promise);
    await load.pending;
    expect(t.cache.keys.has('edge-auth:session:s1')).toBe(true);
  });

  it('a sub the store says cannot be a user id is refused before any round trip', async () => {
    const t = memoryApp();
    const token = await t.login('42', 's1');
    Object.assign(t.store, { isUserId: (id: string) => /^\d+$/.test(id) });
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    const reads = t.cache.stats.reads;
    const claims = { sub: 'abc', sid: 's1', exp: 0 };
    const refused = await t.core.authenticator.authenticate(claims);
    expect(refused).toMatchObject({ ok: false, touch: 'none' });
    expect(!refused.ok && refused.error.message).toBe('session not found');
    expect(t.cache.stats.reads).toBe(reads);
    expect(t.store.stats.selects).toBe(1);
  });

  it('a previous UPDATE that ran late after its claim does not make the next prompt one be refused', async () => {
    const t = memoryApp({ TOUCH_INTERVAL_SECONDS: '60' });
    const token = await t.login('u1', 's1');
    const touch = t.store.touch;
    t.store.touch = async (...args) => {
      t.clock.now += 2_000; // this UPDATE reaches the database 2 s after its claim
      t.store.touch = touch;
      return touch(...args);
    };
    await t.request('/auth/session', bearer(token));
    await t.settle();
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0 + 2_000);
    t.clock.now = T0 + 60_500; // the marker (claimed at T0) has expired; 58.5 s since the write
    await t.request('/auth/session', bearer(token));
    await t.settle();
    expect(t.store.stats.touchStatements).toBe(2);
    expect(t.store.users.get('u1')!.lastLogin).toBe(T0 + 60_500); // written, not refused
    expect(refusalWindow(300)).toBe(295);
    expect(refusalWindow(2)).toBe(1.5);
  });
});
