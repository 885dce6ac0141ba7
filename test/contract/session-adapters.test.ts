import { neon, neonConfig } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemorySessionCache, type MemoryKey } from '../../src/session/memory-cache';
import {
  createMemorySessionStore,
  type MemorySession,
  type MemoryUser,
} from '../../src/session/memory-store';
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

interface CacheTarget {
  cache: SessionCache;
  /** Seconds left on a key, as the backend records it (`null` when absent). */
  ttl(key: string): Promise<number | null>;
  /** The key's TTL runs out (the backend's own expiry, forced, instead of a sleep). */
  expire(key: string): Promise<void>;
  prefix: string;
}

const caches: [string, () => CacheTarget][] = [
  [
    'in-memory',
    () => {
      let now = Date.now();
      const keys = new Map<string, MemoryKey>();
      const cache = createMemorySessionCache({ prefix: 'mem:', keys, now: () => now });
      return {
        cache,
        prefix: 'mem:',
        async ttl(key) {
          const item = keys.get(key);
          return item && item.expiresAt > now ? (item.expiresAt - now) / 1000 : null;
        },
        async expire(key) {
          now = Math.max(now, keys.get(key)?.expiresAt ?? now);
        },
      };
    },
  ],
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
      return {
        cache: createUpstashSessionCache({ redis, prefix }),
        prefix,
        async ttl(key) {
          const ms = await redis.pttl(key);
          return ms < 0 ? null : ms / 1000;
        },
        async expire(key) {
          await redis.del(key);
        },
      };
    },
  ],
];

describe.each(caches)('SessionCache contract: %s', (_, make) => {
  let t: CacheTarget;
  const session = (sid: string) => `${t.prefix}session:${sid}`;
  const touch = (uid: string) => `${t.prefix}touch:${uid}`;
  beforeAll(() => {
    t = make();
  });

  it('a miss reads nothing and no marker', async () => {
    expect(await t.cache.read('c-miss', 'c-u0')).toEqual({ entry: null, touchMarked: false });
  });

  it('remember stores an entry for its TTL; a live entry never replaces an existing one', async () => {
    const first = live('c-u1', 'c-s1');
    await t.cache.remember('c-s1', first, 7);
    await t.cache.remember('c-s1', live('c-u1', 'c-s1', Date.now() + 1), 7);
    expect(await t.cache.read('c-s1', 'c-u1')).toEqual({ entry: first, touchMarked: false });
    const ttl = await t.ttl(session('c-s1'));
    expect(ttl).toBeGreaterThan(6);
    expect(ttl).toBeLessThanOrEqual(7);
    await t.expire(session('c-s1'));
    expect((await t.cache.read('c-s1', 'c-u1')).entry).toBeNull();
  });

  it('a live write-back never replaces a revoked entry; a dead entry replaces a live one', async () => {
    await t.cache.remember('c-rev', { dead: 'revoked' }, 10);
    await t.cache.remember('c-rev', live('c-u6', 'c-rev'), 10);
    expect((await t.cache.read('c-rev', 'c-u6')).entry).toEqual({ dead: 'revoked' });
    await t.cache.remember('c-flip', live('c-u6', 'c-flip'), 10);
    await t.cache.remember('c-flip', { dead: 'revoked' }, 60);
    expect((await t.cache.read('c-flip', 'c-u6')).entry).toEqual({ dead: 'revoked' });
    expect(await t.ttl(session('c-flip'))).toBeGreaterThan(59);
  });

  it('claimTouch claims a free marker once, for the interval; read reports it for that user only', async () => {
    await t.cache.remember('c-s2', live('c-u2', 'c-s2'), 10);
    expect(await t.cache.claimTouch('c-u2', 'token-a', 60)).toBe(true);
    expect(await t.cache.claimTouch('c-u2', 'token-b', 60)).toBe(false);
    expect((await t.cache.read('c-s2', 'c-u2')).touchMarked).toBe(true);
    expect((await t.cache.read('c-s2', 'c-other')).touchMarked).toBe(false);
    const ttl = await t.ttl(touch('c-u2'));
    expect(ttl).toBeGreaterThan(59);
    expect(ttl).toBeLessThanOrEqual(60);
    await t.expire(touch('c-u2'));
    expect(await t.cache.claimTouch('c-u2', 'token-c', 60)).toBe(true);
  });

  it('releaseTouch frees the marker only while it holds our token', async () => {
    expect(await t.cache.claimTouch('c-u3', 'mine', 60)).toBe(true);
    await t.cache.releaseTouch('c-u3', 'not-mine');
    expect(await t.cache.claimTouch('c-u3', 'other', 60)).toBe(false);
    await t.cache.releaseTouch('c-u3', 'mine');
    expect(await t.cache.claimTouch('c-u3', 'next', 60)).toBe(true);
  });

  it('negative entries round-trip', async () => {
    await t.cache.remember('c-garbage', { dead: 'unknown' }, 10);
    expect((await t.cache.read('c-garbage', 'c-u4')).entry).toEqual({ dead: 'unknown' });
  });
});

describe('the Upstash adapter sends one read-only command per read', () => {
  it('read is one MGET round trip; writes only from remember/claim/release', async () => {
    const [, make] = caches[1]!;
    const t = make();
    await t.cache.remember('c-rt', live('c-u5', 'c-rt'), 10);
    stack.upstash.resetStats();
    await t.cache.read('c-rt', 'c-u5');
    expect(stack.upstash.stats()).toMatchObject({ requests: 1, commands: { MGET: 1 } });
    expect(Object.keys(stack.upstash.stats().commands)).toEqual(['MGET']);
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
      const users = new Map<string, MemoryUser>();
      const sessions = new Map<string, MemorySession>();
      const store = createMemorySessionStore({ users, sessions });
      return {
        store,
        async user(id, opts = {}) {
          users.set(id, {
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
          sessions.set(id, {
            id,
            userId,
            expiresAt,
            revokedAt: opts.revoked ? Date.now() : null,
            data: { n: 1 },
          });
        },
        lastLogin: async (id) => users.get(id)?.lastLogin ?? null,
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
