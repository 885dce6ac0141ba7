import { neon, neonConfig } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySessionCache, createMemorySessionStore } from '../../src/session/memory';
import { createNeonSessionStore } from '../../src/session/neon-store';
import type { AuthSession, SessionCache, SessionStore } from '../../src/session/types';
import { createUpstashSessionCache } from '../../src/session/upstash-cache';
import { type Stack, startStack } from '../support/stack';

/**
 * One contract, two implementations: the in-memory fakes the unit tests rely
 * on must obey the same rules as the real adapters on Upstash and Neon.
 */
let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  neonConfig.fetchEndpoint = stack.neon.endpoint;
});
afterAll(async () => {
  await stack?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const live = (userId: string, sid: string, expiresAt = Date.now() + 60_000): { live: AuthSession } => ({
  live: {
    user: {
      id: userId,
      username: `user-${userId}`,
      email: null,
      firstName: null,
      lastName: null,
      isStaff: false,
      isActive: true,
      isSuperuser: false,
    },
    session: { id: sid, expiresAt, data: { n: 1 } },
  },
});
const claim = (userId: string, intervalSeconds = 60) => ({ userId, intervalSeconds, now: Date.now() });

const caches: [string, () => { cache: SessionCache; prefix: string }][] = [
  ['in-memory', () => ({ cache: createMemorySessionCache({ prefix: 'mem:' }), prefix: 'mem:' })],
  [
    'Upstash',
    () => {
      const redis = new Redis({
        url: stack.upstash.url,
        token: stack.env().UPSTASH_REDIS_REST_TOKEN!,
        automaticDeserialization: false,
        enableAutoPipelining: false,
        enableTelemetry: false,
      });
      const prefix = `${stack.prefix}contract:`;
      return { cache: createUpstashSessionCache({ redis, prefix }), prefix };
    },
  ],
];

describe.each(caches)('SessionCache contract: %s', (_, make) => {
  let cache: SessionCache;
  beforeAll(() => {
    ({ cache } = make());
  });

  it('a miss claims nothing', async () => {
    expect(await cache.lookup('c-miss', claim('c-u0'))).toEqual({ entry: null, touchClaimed: false });
    expect(await cache.claimTouch(claim('c-u0'))).toBe(true); // the marker was still free
  });

  it('remember stores the entry and claims the marker once (NX)', async () => {
    const entry = live('c-u1', 'c-s1');
    expect(await cache.remember('c-s1', entry, 10, claim('c-u1'))).toEqual({ touchClaimed: true });
    expect(await cache.remember('c-s1', entry, 10, claim('c-u1'))).toEqual({ touchClaimed: false });
    expect(await cache.lookup('c-s1', claim('c-u1'))).toEqual({ entry, touchClaimed: false });
  });

  it('a lookup on a live session of the user claims a free marker, once', async () => {
    await cache.remember('c-s2', live('c-u2', 'c-s2'), 10);
    expect((await cache.lookup('c-s2', claim('c-u2'))).touchClaimed).toBe(true);
    expect((await cache.lookup('c-s2', claim('c-u2'))).touchClaimed).toBe(false);
  });

  it('dead, foreign and expired entries never claim the marker', async () => {
    await cache.remember('c-dead', { dead: 'revoked' }, 10);
    await cache.remember('c-foreign', live('c-owner', 'c-foreign'), 10);
    await cache.remember('c-old', live('c-u3', 'c-old', Date.now() - 1), 10);
    expect(await cache.lookup('c-dead', claim('c-u3'))).toEqual({
      entry: { dead: 'revoked' },
      touchClaimed: false,
    });
    expect((await cache.lookup('c-foreign', claim('c-u3'))).touchClaimed).toBe(false);
    expect((await cache.lookup('c-old', claim('c-u3'))).touchClaimed).toBe(false);
    expect(await cache.claimTouch(claim('c-u3'))).toBe(true); // still free after all three
  });

  it('a live write-back never replaces a revoked entry; a dead entry replaces a live one', async () => {
    await cache.remember('c-rev', { dead: 'revoked' }, 10);
    await cache.remember('c-rev', live('c-u6', 'c-rev'), 10);
    expect((await cache.lookup('c-rev', claim('c-u6'))).entry).toEqual({ dead: 'revoked' });
    await cache.remember('c-flip', live('c-u6', 'c-flip'), 10);
    await cache.remember('c-flip', { dead: 'revoked' }, 10);
    expect((await cache.lookup('c-flip', claim('c-u6'))).entry).toEqual({ dead: 'revoked' });
  });

  it('entries expire after their TTL', async () => {
    await cache.remember('c-ttl', { dead: 'unknown' }, 1);
    await sleep(1100);
    expect((await cache.lookup('c-ttl', claim('c-u4'))).entry).toBeNull();
  });

  it('the touch marker expires after the interval', async () => {
    expect(await cache.claimTouch(claim('c-u5', 1))).toBe(true);
    expect(await cache.claimTouch(claim('c-u5', 1))).toBe(false);
    await sleep(1100);
    expect(await cache.claimTouch(claim('c-u5', 1))).toBe(true);
  });
});

interface StoreTarget {
  store: SessionStore;
  user(id: string, opts?: { isActive?: boolean; lastLoginMsAgo?: number }): Promise<void>;
  session(id: string, userId: string, opts?: { expiresInMs?: number; revoked?: boolean }): Promise<void>;
  lastLogin(id: string): Promise<number | null>;
}

const stores: [string, () => StoreTarget][] = [
  [
    'in-memory',
    () => {
      const store = createMemorySessionStore();
      return {
        store,
        async user(id, opts = {}) {
          store.users.set(id, {
            id,
            username: `user-${id}`,
            email: null,
            firstName: null,
            lastName: null,
            isStaff: false,
            isActive: opts.isActive ?? true,
            isSuperuser: false,
            lastLogin: opts.lastLoginMsAgo === undefined ? null : Date.now() - opts.lastLoginMsAgo,
          });
        },
        async session(id, userId, opts = {}) {
          const expiresAt = Date.now() + (opts.expiresInMs ?? 60_000);
          store.sessions.set(id, {
            id,
            userId,
            expiresAt,
            revokedAt: opts.revoked ? Date.now() : null,
            data: { n: 1 },
          });
        },
        lastLogin: async (id) => store.users.get(id)?.lastLogin ?? null,
      };
    },
  ],
  [
    'Neon',
    () => ({
      store: createNeonSessionStore({ sql: neon(stack.db.url), timeoutMs: 3000 }),
      async user(id, opts = {}) {
        await stack.pool.query(
          `INSERT INTO users (id, username, is_active, last_login)
           VALUES ($1, $2, $3, CASE WHEN $4::float8 IS NULL THEN NULL ELSE now() - make_interval(secs => $4::float8 / 1000) END)`,
          [id, `user-${id}`, opts.isActive ?? true, opts.lastLoginMsAgo ?? null],
        );
      },
      async session(id, userId, opts = {}) {
        await stack.pool.query(
          `INSERT INTO sessions (id, user_id, expires_at, revoked_at, data)
           VALUES ($1, $2, now() + make_interval(secs => $3::float8 / 1000), CASE WHEN $4 THEN now() END, '{"n":1}')`,
          [id, userId, opts.expiresInMs ?? 60_000, opts.revoked ?? false],
        );
      },
      async lastLogin(id) {
        const { rows } = await stack.pool.query<{ t: Date | null }>(
          'SELECT last_login AS t FROM users WHERE id = $1',
          [id],
        );
        return rows[0]?.t?.getTime() ?? null;
      },
    }),
  ],
];

describe.each(stores)('SessionStore contract: %s', (name, make) => {
  let t: StoreTarget;
  const id = (s: string) => `${name}-${s}`;
  beforeAll(() => {
    t = make();
  });

  it('load: unknown → null; a session with its user, remaining life and state', async () => {
    expect(await t.store.load(id('nope'))).toBeNull();
    await t.user(id('u1'));
    await t.session(id('s1'), id('u1'), { expiresInMs: 30_000 });
    const loaded = await t.store.load(id('s1'));
    expect(loaded).toMatchObject({
      ownerId: id('u1'),
      user: { id: id('u1'), username: `user-${id('u1')}`, email: null, isActive: true, isStaff: false },
      session: { id: id('s1'), data: { n: 1 } },
      revoked: false,
    });
    expect(loaded!.remainingMs).toBeGreaterThan(28_000);
    expect(loaded!.remainingMs).toBeLessThanOrEqual(30_000);
    await t.session(id('s-rev'), id('u1'), { revoked: true });
    expect((await t.store.load(id('s-rev')))!.revoked).toBe(true);
    await t.session(id('s-exp'), id('u1'), { expiresInMs: -1000 });
    expect((await t.store.load(id('s-exp')))!.remainingMs).toBeLessThanOrEqual(0);
  });

  it('touch writes only when last_login is older than the interval', async () => {
    await t.user(id('t-null'));
    expect(await t.store.touch(id('t-null'), 60)).toBe(true);
    expect(await t.store.touch(id('t-null'), 60)).toBe(false);
    await t.user(id('t-old'), { lastLoginMsAgo: 120_000 });
    expect(await t.store.touch(id('t-old'), 60)).toBe(true);
    await t.user(id('t-future'), { lastLoginMsAgo: -3600_000 });
    const before = await t.lastLogin(id('t-future'));
    expect(await t.store.touch(id('t-future'), 60)).toBe(false);
    expect(await t.lastLogin(id('t-future'))).toBe(before);
    expect(await t.store.touch(id('t-missing'), 60)).toBe(false);
  });

  it('revoke: only a live session of that user, once', async () => {
    await t.user(id('r-u'));
    await t.session(id('r-s'), id('r-u'));
    await t.session(id('r-exp'), id('r-u'), { expiresInMs: -1000 });
    expect(await t.store.revoke(id('r-s'), id('someone-else'))).toBe(false);
    expect(await t.store.revoke(id('r-s'), id('r-u'))).toBe(true);
    expect(await t.store.revoke(id('r-s'), id('r-u'))).toBe(false);
    expect(await t.store.revoke(id('r-exp'), id('r-u'))).toBe(false);
    expect((await t.store.load(id('r-s')))!.revoked).toBe(true);
  });
});
