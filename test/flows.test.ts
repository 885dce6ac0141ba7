import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, eventually, type Stack, startStack } from './support/stack';

describe('edge-auth flows in workerd against real Redis and PostgreSQL', () => {
  let stack: Stack;
  let worker: Awaited<ReturnType<Stack['worker']>>;
  beforeAll(async () => {
    stack = await startStack();
    worker = await stack.worker({ PUBLIC_PATHS: '/public' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('GET /auth/session answers the session from the database, then from the cache', async () => {
    await stack.user('u-json', { email: null });
    const token = await stack.session('s-json', 'u-json', { data: { cart: [1, 2] } });

    const res = await worker.fetch('/auth/session', bearer(token));
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('Server-Timing')).toMatch(
      /token;dur=[\d.]+, cache;dur=[\d.]+;desc="miss", db;dur=/,
    );
    const body = (await res.json()) as { user: Record<string, unknown>; session: { expiresAt: string } };
    expect(body.user).toEqual({
      id: 'u-json',
      username: 'user-u-json',
      email: null,
      firstName: 'Ada',
      lastName: 'Lovelace',
      isStaff: false,
      isActive: true,
      isSuperuser: false,
    });
    expect(body.session).toMatchObject({ id: 's-json', data: { cart: [1, 2] } });
    expect(body.session.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const key = `${stack.prefix}session:s-json`;
    await eventually(
      () => redisExists(stack, key),
      (e) => e,
    );
    const again = await worker.fetch('/auth/session', bearer(token));
    expect(again.headers.get('Server-Timing')).toMatch(/cache;desc="l1"/);
    expect(await again.json()).toEqual(body);
    const elsewhere = await (await stack.worker()).fetch('/auth/session', bearer(token));
    expect(elsewhere.headers.get('Server-Timing')).toMatch(/cache;dur=[\d.]+;desc="hit"/);
    expect(await elsewhere.json()).toEqual(body);
  });

  it('the origin receives the identity headers and never a client-supplied one', async () => {
    await stack.user('u-proxy');
    const token = await stack.session('s-proxy', 'u-proxy');
    const res = await worker.fetch('/api/orders?page=3', {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${token}`,
        'X-Auth-User-Id': 'admin',
        'X-Auth-Is-Superuser': 'true',
        'Content-Type': 'text/plain',
      },
      body: 'hello origin',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Demo-Origin')).toBe('yes');
    const seen = stack.origin.seen.at(-1)!;
    expect(seen.method).toBe('POST');
    expect(seen.url).toBe('/api/orders?page=3');
    expect(seen.body).toBe('hello origin');
    expect(seen.headers['x-auth-user-id']).toBe('u-proxy');
    expect(seen.headers['x-auth-session-id']).toBe('s-proxy');
    expect(seen.headers['x-auth-username']).toBe('user-u-proxy');
    expect(seen.headers['x-auth-email']).toBe('u-proxy@example.com');
    expect(seen.headers['x-auth-is-staff']).toBe('false');
    expect(seen.headers['x-auth-is-superuser']).toBe('false');

    const before = stack.origin.seen.length;
    const spoofed = await worker.fetch('/public/page', { headers: { 'X-Auth-User-Id': 'admin' } });
    expect(spoofed.status).toBe(200);
    expect(stack.origin.seen.length).toBe(before + 1);
    expect(stack.origin.seen.at(-1)!.headers['x-auth-user-id']).toBeUndefined();

    const refused = await worker.fetch('/api/orders', { headers: { 'X-Auth-User-Id': 'admin' } });
    expect(refused.status).toBe(401);
    expect(stack.origin.seen.length).toBe(before + 1);
  });

  it('logout → 204, then 401 on the next request', async () => {
    await stack.user('u-out');
    const token = await stack.session('s-out', 'u-out');
    expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(200);

    const out = await worker.fetch('/auth/logout', { method: 'POST', ...bearer(token) });
    expect(out.status).toBe(204);
    const { rows } = await stack.pool.query('SELECT revoked_at FROM sessions WHERE id = $1', ['s-out']);
    expect(rows[0].revoked_at).toBeInstanceOf(Date);

    const next = await worker.fetch('/auth/session', bearer(token));
    expect(next.status).toBe(401);
    expect(next.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="edge-auth", error="invalid_token", error_description="session revoked"',
    );
    expect((await worker.fetch('/auth/logout', { method: 'POST', ...bearer(token) })).status).toBe(401);
  });

  it('a session revoked directly in the database is refused once the cached entry expires', async () => {
    await stack.user('u-rev');
    const token = await stack.session('s-rev', 'u-rev');
    const noL1 = await stack.worker({ SESSION_CACHE_TTL_SECONDS: '5', L1_CACHE_TTL_SECONDS: '0' });
    expect((await noL1.fetch('/auth/session', bearer(token))).status).toBe(200);
    const key = `${stack.prefix}session:s-rev`;
    await eventually(
      () => stack.redis.pttl(key),
      (ms) => ms > 0,
    );
    expect(await stack.redis.pttl(key)).toBeLessThanOrEqual(5000); // the bound: the cache TTL
    await stack.pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', ['s-rev']);
    expect((await noL1.fetch('/auth/session', bearer(token))).status).toBe(200); // still cached
    await stack.redis.del(key); // what Redis does when the TTL runs out
    expect((await noL1.fetch('/auth/session', bearer(token))).status).toBe(401);
  });

  it('logout clears the L1 of its isolate at once', async () => {
    await stack.user('u-l1');
    const token = await stack.session('s-l1', 'u-l1');
    const isolate = await stack.worker({ L1_CACHE_TTL_SECONDS: '10' });
    expect((await isolate.fetch('/auth/session', bearer(token))).status).toBe(200);
    expect((await isolate.fetch('/auth/session', bearer(token))).headers.get('Server-Timing')).toMatch(
      /desc="l1"/,
    );
    expect((await isolate.fetch('/auth/logout', { method: 'POST', ...bearer(token) })).status).toBe(204);
    const after = await isolate.fetch('/auth/session', bearer(token));
    expect(after.status).toBe(401);
    expect(after.headers.get('Server-Timing')).toMatch(/desc="l1"/);
  });

  it("a signed token for another user's session is refused and does not lock out the owner", async () => {
    await stack.user('owner');
    await stack.user('intruder');
    const ownerToken = await stack.session('s-owned', 'owner');
    const { mintToken } = await import('../dev/tokens');
    const { TEST_SECRET } = await import('./support/stack');
    const forged = await mintToken({ secret: TEST_SECRET, userId: 'intruder', sessionId: 's-owned' });
    expect((await worker.fetch('/auth/session', bearer(forged))).status).toBe(401);
    expect((await worker.fetch('/auth/session', bearer(ownerToken))).status).toBe(200);
    expect(await redisExists(stack, `${stack.prefix}touch:intruder`)).toBe(false);
  });

  it('answers 401 with a plain challenge when no token is sent, and /healthz without dependencies', async () => {
    const res = await worker.fetch('/auth/verify');
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="edge-auth"');
    expect((await worker.fetch('/healthz')).status).toBe(200);
  });
});

async function redisExists(stack: Stack, key: string): Promise<boolean> {
  return (await stack.redis.exists(key)) === 1;
}
