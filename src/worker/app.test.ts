import { SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mintToken } from '../../dev/tokens';
import { bearer, memoryApp, profile, SECRET, T0 } from '../../test/support/memory-app';
import { READINESS_MAX_AGE_MS } from '../session/readiness';

/** A recording stand-in for the origin server. */
function fakeOrigin() {
  const seen: Request[] = [];
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    seen.push(request);
    return new Response(`origin saw ${request.method} ${new URL(request.url).pathname}`, {
      status: 200,
      headers: { 'X-Origin': 'yes' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return seen;
}

describe('edge-auth HTTP surface (in-memory adapters)', () => {
  let origin: Request[];
  beforeEach(() => {
    origin = fakeOrigin();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('GET /auth/session answers the session as JSON, no-store, with Server-Timing', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1', { user: { email: 'ada@example.com', isStaff: true } });
    t.store.sessions.get('s1')!.data = { theme: 'dark' };

    const res = await t.request('/auth/session', bearer(token));

    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({
      user: {
        id: 'u1',
        username: 'user-u1',
        email: 'ada@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
        isStaff: true,
        isActive: true,
        isSuperuser: false,
      },
      session: { id: 's1', expiresAt: new Date(T0 + 3600_000).toISOString(), data: { theme: 'dark' } },
    });
    expect(res.headers.get('Server-Timing')).toMatch(
      /token;dur=[\d.]+, cache;dur=[\d.]+;desc="miss", db;dur=/,
    );
  });

  it('reads the token from the session cookie when there is no bearer token', async () => {
    const t = memoryApp({ SESSION_COOKIE: 'sid_jwt' });
    const token = await t.login('u1', 's1');
    const res = await t.request('/auth/session', { headers: { Cookie: `a=b; sid_jwt=${token}` } });
    expect(res.status).toBe(200);
  });

  it('answers 401 with a plain Bearer challenge when no credential is sent', async () => {
    const t = memoryApp();
    const res = await t.request('/auth/session');
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="edge-auth"');
    expect(await res.json()).toEqual({ error: 'missing_token', message: 'no session token was sent' });
  });

  describe('refuses bad credentials with 401 invalid_token and never reaches the origin', () => {
    const cases: [string, (t: ReturnType<typeof memoryApp>) => Promise<string>][] = [
      [
        'an expired token',
        async (t) => {
          await t.login('u1', 's1');
          return mintToken({
            secret: SECRET,
            userId: 'u1',
            sessionId: 's1',
            ttlSeconds: -60,
            at: t.clock.now,
          });
        },
      ],
      [
        'a revoked session',
        async (t) => {
          const token = await t.login('u1', 's1');
          t.store.sessions.get('s1')!.revokedAt = T0 - 1000;
          return token;
        },
      ],
      [
        'an expired session',
        async (t) => {
          const token = await t.login('u1', 's1', { ttlMs: 1000 });
          t.clock.now += 2000;
          return token;
        },
      ],
      ['an unknown session', async () => mintToken({ secret: SECRET, userId: 'u1', sessionId: 'nope' })],
      ['an inactive user', async (t) => t.login('u1', 's1', { user: { isActive: false } })],
      [
        'alg: none',
        async (t) => {
          await t.login('u1', 's1');
          return new UnsecuredJWT({ sid: 's1' }).setSubject('u1').setExpirationTime('1h').encode();
        },
      ],
      [
        'a token signed with another key',
        async (t) => {
          await t.login('u1', 's1');
          return mintToken({ secret: 'another-secret-another-secret!!', userId: 'u1', sessionId: 's1' });
        },
      ],
      [
        'an algorithm outside the allowlist',
        async (t) => {
          await t.login('u1', 's1');
          return mintToken({ secret: SECRET, userId: 'u1', sessionId: 's1', algorithm: 'HS512' });
        },
      ],
      [
        'a token whose sid belongs to another user',
        async (t) => {
          await t.login('victim', 's-victim');
          t.store.users.set('mallory', profile('mallory'));
          return mintToken({ secret: SECRET, userId: 'mallory', sessionId: 's-victim' });
        },
      ],
      [
        'a token without sid',
        async (t) => {
          await t.login('u1', 's1');
          return new SignJWT({})
            .setProtectedHeader({ alg: 'HS256' })
            .setSubject('u1')
            .setExpirationTime('1h')
            .sign(new TextEncoder().encode(SECRET));
        },
      ],
      ['garbage', async () => 'not.a.jwt'],
      ['a token with non-ASCII characters', async () => 'é'.repeat(3000)],
      ['a token over 8 KiB', async () => `${'a'.repeat(9000)}.b.c`],
    ];
    for (const [name, makeToken] of cases) {
      it(name, async () => {
        const t = memoryApp();
        const token = await makeToken(t);
        const res = await t.request('/dashboard', bearer(token));
        await t.settle();
        expect(res.status).toBe(401);
        expect(res.headers.get('WWW-Authenticate')).toMatch(
          /^Bearer realm="edge-auth", error="invalid_token", error_description="[^"]+"$/,
        );
        const body = (await res.json()) as { error: string; message: string };
        expect(body.error).toBe('invalid_token');
        expect(body.message).not.toContain(token.slice(0, 20));
        expect(origin).toHaveLength(0);
        expect(t.store.stats.lastLoginWrites).toBe(0);
      });
    }
  });

  it("a token for another user's session neither locks out nor silences the real owner", async () => {
    const t = memoryApp();
    const victimToken = await t.login('victim', 's-victim');
    t.store.users.set('mallory', profile('mallory'));
    const forged = await mintToken({ secret: SECRET, userId: 'mallory', sessionId: 's-victim' });

    expect((await t.request('/auth/session', bearer(forged))).status).toBe(401);
    await t.settle();
    expect((await t.request('/auth/session', bearer(forged))).status).toBe(401); // now from the cache
    await t.settle();
    expect(t.cache.keys.has('edge-auth:touch:mallory')).toBe(false);

    const res = await t.request('/auth/session', bearer(victimToken));
    await t.settle();
    expect(res.status).toBe(200);
    expect(t.store.stats.lastLoginWrites).toBe(1);
    expect(t.store.users.get('victim')!.lastLogin).toBe(T0);
  });

  it("a revoked token served from the negative cache does not claim the owner's touch marker", async () => {
    const t = memoryApp();
    const live = await t.login('u1', 's-live');
    const dead = await t.login('u1', 's-dead');
    t.store.sessions.get('s-dead')!.revokedAt = T0;
    for (let i = 0; i < 3; i++) {
      expect((await t.request('/auth/session', bearer(dead))).status).toBe(401);
      await t.settle();
    }
    expect(t.store.stats.selects).toBe(1); // the negative entry shields the database
    expect(t.cache.keys.has('edge-auth:touch:u1')).toBe(false);
    expect((await t.request('/auth/session', bearer(live))).status).toBe(200);
    await t.settle();
    expect(t.store.stats.lastLoginWrites).toBe(1);
  });

  it('forwards authenticated requests with identity headers and strips spoofed ones', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1', { user: { email: null, isSuperuser: true } });
    const res = await t.request('/api/items?page=2', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'X-Auth-User-Id': 'admin',
        'x-auth-is-superuser': 'true',
        'X-Auth-Whatever': 'spoof',
        'Content-Type': 'application/json',
        Connection: 'keep-alive',
      },
      body: JSON.stringify({ a: 1 }),
    });

    expect(res.status).toBe(200);
    expect(await res.text()).toBe('origin saw POST /api/items');
    expect(res.headers.get('X-Origin')).toBe('yes');
    expect(res.headers.get('Server-Timing')).toContain('origin;dur=');
    expect(origin).toHaveLength(1);
    const sent = origin[0]!;
    expect(sent.url).toBe('https://origin.example/api/items?page=2');
    expect(await sent.text()).toBe('{"a":1}');
    expect(sent.headers.get('X-Auth-User-Id')).toBe('u1');
    expect(sent.headers.get('X-Auth-Session-Id')).toBe('s1');
    expect(sent.headers.get('X-Auth-Username')).toBe('user-u1');
    expect(sent.headers.has('X-Auth-Email')).toBe(false);
    expect(sent.headers.get('X-Auth-Is-Staff')).toBe('false');
    expect(sent.headers.get('X-Auth-Is-Superuser')).toBe('true');
    expect(sent.headers.has('X-Auth-Whatever')).toBe(false);
    // edge-auth's own credential stays at the edge: the origin gets identity, not the token.
    expect(sent.headers.has('Authorization')).toBe(false);
    expect(sent.headers.get('X-Forwarded-Host')).toBe('localhost');
  });

  it('public paths skip authentication but still lose spoofed identity headers', async () => {
    const t = memoryApp({ PUBLIC_PATHS: '/static, /login*' });
    for (const path of ['/static/app.css', '/static', '/login', '/login-help']) {
      const res = await t.request(path, { headers: { 'X-Auth-User-Id': 'admin' } });
      expect(res.status, path).toBe(200);
    }
    expect(origin.map((r) => r.headers.has('X-Auth-User-Id'))).toEqual([false, false, false, false]);
    expect((await t.request('/static-admin')).status).toBe(401);
    expect((await t.request('/static%2F..%2Fadmin')).status).toBe(401); // no decoding tricks
    expect((await t.request('/static/../admin')).status).toBe(401); // normalised before matching
    expect(t.store.stats.selects).toBe(0);
  });

  it('GET /auth/verify answers 200 with identity headers and an empty body', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const res = await t.request('/auth/verify', bearer(token));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(res.headers.get('X-Auth-User-Id')).toBe('u1');
    expect(res.headers.get('X-Auth-Email')).toBe('u1@example.com');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(origin).toHaveLength(0);
    expect((await t.request('/auth/verify')).status).toBe(401);
  });

  it('POST /auth/logout revokes the session: 204, then 401 for the same token', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    await t.settle();
    expect(t.cache.keys.has('edge-auth:session:s1')).toBe(true);

    const out = await t.request('/auth/logout', { method: 'POST', ...bearer(token) });
    expect(out.status).toBe(204);
    expect(await out.text()).toBe('');
    expect(t.store.sessions.get('s1')!.revokedAt).toBe(T0);
    // Not deleted: replaced by a revoked entry that outlives any write-back in flight, kept until
    // the token expires (an hour: longer than the 60 s minimum).
    expect(JSON.parse(t.cache.keys.get('edge-auth:session:s1')!.value)).toEqual({ v: 1, dead: 'revoked' });
    expect(t.cache.keys.get('edge-auth:session:s1')!.expiresAt).toBe(T0 + 3600_000);

    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
    expect((await t.request('/auth/logout', { method: 'POST', ...bearer(token) })).status).toBe(401);
    expect((await t.request('/auth/logout', bearer(token))).status).toBe(405);
  });

  it('revocation wins the race: a write-back that started before logout cannot revive the session', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    // Hold the first request's write-back until after the logout has answered.
    const release = holdLiveWriteBacks(t);
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    expect((await t.request('/auth/logout', { method: 'POST', ...bearer(token) })).status).toBe(204);
    release();
    await t.settle();
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
    t.clock.now += 59_000; // well past the 10 s cache TTL: the revoked entry is still there
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
    expect(t.store.stats.selects).toBe(1);
  });

  it('a revocation seen in the database replaces a live entry written by an older load', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const release = holdLiveWriteBacks(t);
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    t.store.sessions.get('s1')!.revokedAt = T0; // revoked directly in the database
    t.clock.now += 2_000; // past this isolate's L1 TTL, the bound on seeing a revocation
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
    release();
    await t.settle();
    expect((await t.request('/auth/session', bearer(token))).status).toBe(401);
  });

  it('a 503 still says how far the load got: degraded when Redis is down too, with the db stage', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    t.cache.failing = true;
    t.store.failing = true;
    const res = await t.request('/auth/session', bearer(token));
    expect(res.status).toBe(503);
    expect(res.headers.get('Server-Timing')).toMatch(/cache;dur=[\d.]+;desc="degraded", db;dur=[\d.]+/);
    expect(JSON.parse(t.logLines.at(-1)!)).toMatchObject({ outcome: 'unavailable', served: 'degraded' });
  });

  it('answers 503 with Retry-After, not 401, when the database is down on a cache miss', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    t.store.failing = true;
    const res = await t.request('/auth/session', bearer(token));
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('1');
    expect(await res.json()).toEqual({
      error: 'dependency_unavailable',
      message: 'database is unavailable, retry shortly',
    });
  });

  it('serves from the database when Redis is down, never logging the user out', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    t.cache.failing = true;
    const res = await t.request('/auth/session', bearer(token));
    await t.settle();
    expect(res.status).toBe(200);
    expect(res.headers.get('Server-Timing')).toMatch(/cache;dur=[\d.]+;desc="degraded", db;dur=/);
    expect(t.store.stats.selects).toBe(1);
    // No marker to claim: the UPDATE alone, whose WHERE clause refuses a second write in the interval.
    expect(t.store.stats.touchStatements).toBe(1);
    expect(t.store.stats.lastLoginWrites).toBe(1);
    for (let i = 0; i < 5; i++) expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    await t.settle();
    expect(t.store.stats.selects).toBe(1); // the L1 shields the database while Redis is down
    t.clock.now += 2_000;
    expect((await t.request('/auth/session', bearer(token))).status).toBe(200);
    await t.settle();
    expect(t.store.stats).toMatchObject({ selects: 2, touchStatements: 2, lastLoginWrites: 1 });
  });

  it('GET /readyz without a token: 200 or 503 saying only ready or not, from a result at most 5 s old', async () => {
    const t = memoryApp();
    const answer = async () => {
      const res = await t.request('/readyz');
      return {
        status: res.status,
        retryAfter: res.headers.get('Retry-After'),
        cacheControl: res.headers.get('Cache-Control'),
        body: await res.json(),
      };
    };
    const ready = { status: 200, retryAfter: null, cacheControl: 'no-store', body: { status: 'ready' } };
    const notReady = {
      status: 503,
      retryAfter: '1',
      cacheControl: 'no-store',
      body: { status: 'not_ready' },
    };
    expect(await answer()).toEqual(ready);
    t.cache.failing = true;
    expect(await answer()).toEqual(ready); // the last probe is still fresh: no new one
    expect(t.cache.stats.reads).toBe(1);
    t.clock.now += READINESS_MAX_AGE_MS;
    expect(await answer()).toEqual(notReady);
    t.cache.failing = false;
    t.store.failing = true;
    t.clock.now += READINESS_MAX_AGE_MS;
    expect(await answer()).toEqual(notReady);
    t.store.failing = false;
    t.clock.now += READINESS_MAX_AGE_MS;
    expect(await answer()).toEqual(ready);
  });

  it('writes one JSON log line per request, with outcome, served, touch and durations; never a token', async () => {
    const t = memoryApp({ PUBLIC_PATHS: '/public' });
    const token = await t.login('u1', 's1');
    await t.request('/auth/session', bearer(token));
    await t.request('/api/x?reset=secret-in-query', bearer(token));
    await t.request('/auth/session', bearer(`${token}x`));
    await t.request('/public/a');
    t.store.failing = true;
    const other = await t.login('u2', 's2');
    await t.request('/auth/verify', bearer(other));
    const lines = t.logLines.map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({
        msg: 'request',
        method: 'GET',
        route: 'session',
        status: 200,
        outcome: 'authenticated',
        served: 'miss',
        touch: 'claim',
      }),
      expect.objectContaining({
        route: 'proxy',
        status: 200,
        outcome: 'authenticated',
        served: 'l1',
        touch: 'marked',
      }),
      expect.objectContaining({
        route: 'session',
        status: 401,
        outcome: 'unauthenticated',
        error: 'invalid_token',
      }),
      expect.objectContaining({ route: 'proxy', status: 200, outcome: 'public' }),
      expect.objectContaining({
        route: 'verify',
        status: 503,
        outcome: 'unavailable',
        error: 'dependency_unavailable',
      }),
    ]);
    expect(lines[0].durations).toEqual({
      token: expect.any(Number),
      cache: expect.any(Number),
      db: expect.any(Number),
      total: expect.any(Number),
    });
    for (const line of t.logLines) {
      for (const secret of [token, other, SECRET, 'secret-in-query', 'redis-token'])
        expect(line).not.toContain(secret);
    }
  });

  it('writes one Analytics Engine data point per request when the ANALYTICS binding exists', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    const points: AnalyticsEngineDataPoint[] = [];
    const env = { ANALYTICS: { writeDataPoint: (p: AnalyticsEngineDataPoint) => void points.push(p) } };
    await t.app.request('/auth/session', bearer(token), env, t.ctx);
    await t.app.request('/auth/session', bearer(token), env, t.ctx);
    await t.app.request('/auth/session', {}, env, t.ctx);
    expect(points.map((p) => [p.indexes, p.blobs, p.doubles?.[0]])).toEqual([
      [['session'], ['authenticated', 'miss', 'claim', '', 'GET'], 200],
      [['session'], ['authenticated', 'l1', 'marked', '', 'GET'], 200],
      [['session'], ['unauthenticated', '', '', 'missing_token', 'GET'], 401],
    ]);
    expect(points[0]!.doubles).toHaveLength(6);
    const failing = {
      ANALYTICS: {
        writeDataPoint: () => {
          throw new Error('full');
        },
      },
    };
    expect((await t.app.request('/auth/session', bearer(token), failing, t.ctx)).status).toBe(200);
  });

  it('GET /healthz answers 200 without touching any dependency', async () => {
    const t = memoryApp();
    t.cache.failing = true;
    t.store.failing = true;
    const res = await t.request('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('Server-Timing')).toMatch(/^total;dur=[\d.]+$/);
    expect(t.cache.stats.roundTrips + t.store.stats.selects).toBe(0);
  });

  it('answers 404 for unknown paths when no origin is configured', async () => {
    const t = memoryApp({ ORIGIN_URL: '' });
    const res = await t.request('/anything');
    expect(res.status).toBe(404);
    expect(origin).toHaveLength(0);
  });

  it('answers 502 when the origin is unreachable', async () => {
    const t = memoryApp();
    const token = await t.login('u1', 's1');
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('connect ECONNREFUSED'))),
    );
    const res = await t.request('/x', bearer(token));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: 'bad_gateway', message: 'the origin did not answer' });
  });
});

/** Holds every live write-back (`remember` of a live entry) until the returned release is called. */
function holdLiveWriteBacks(t: ReturnType<typeof memoryApp>): () => void {
  let release = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const remember = t.cache.remember.bind(t.cache);
  t.cache.remember = async (...args) => {
    if ('live' in args[1]) await gate;
    return remember(...args);
  };
  return release;
}
