import { Hono } from 'hono';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../dev/tokens';
import { instrumentCache, instrumentStore } from '../../test/support/instrument';
import { profile, SECRET, T0 } from '../../test/support/memory-app';
import { ConfigError } from '../errors';
import { createMemorySessionCache } from '../session/memory-cache';
import { createMemorySessionStore } from '../session/memory-store';
import { edgeAuth } from './middleware';
import type { EdgeAuthOptions } from './options';

/** Every option of edgeAuth() does something: each test shows one, through a real Hono app. */
function setup(options: Partial<EdgeAuthOptions> = {}) {
  const clock = { now: T0 };
  const now = () => clock.now;
  const cache = instrumentCache(createMemorySessionCache({ now }));
  const store = instrumentStore(
    createMemorySessionStore({
      now,
      users: new Map([['u1', profile('u1')]]),
      sessions: new Map([['s1', { id: 's1', userId: 'u1', expiresAt: T0 + 3600_000 }]]),
    }),
  );
  const warnings: string[] = [];
  const app = new Hono();
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => pending.push(p), passThroughOnException() {}, props: {} };
  app.use(
    '*',
    edgeAuth({ keys: { secret: SECRET }, cache, store, now, log: (m) => warnings.push(m), ...options }),
  );
  app.get('*', (c) => c.json({ user: c.get('edgeAuth').session.user.id, trace: c.get('edgeAuthTrace') }));
  const request = async (init: RequestInit = {}, path = '/x') => {
    const res = await app.request(path, init, {}, ctx as unknown as ExecutionContext);
    while (pending.length > 0) await Promise.all(pending.splice(0));
    return res;
  };
  return { app, clock, cache, store, warnings, request };
}
const bearer = (token: string): RequestInit => ({ headers: { Authorization: `Bearer ${token}` } });
const token = (claims: { iss?: string; aud?: string } = {}, secret = SECRET) =>
  new SignJWT({ sid: 's1', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('u1')
    .setIssuedAt(T0 / 1000)
    .setExpirationTime(T0 / 1000 + 3600)
    .sign(new TextEncoder().encode(secret));

describe('edgeAuth() options', () => {
  it('keys: a secret, or a JWK set; given as a function, one core per distinct key set', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    const es = await new SignJWT({ sid: 's1' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('u1')
      .setExpirationTime(T0 / 1000 + 60)
      .sign(privateKey);
    const t = setup({ keys: { jwks: { keys: [jwk] } } });
    expect((await t.request(bearer(es))).status).toBe(200);
    expect((await t.request(bearer(await token()))).status).toBe(401); // HS256 is not a key set's algorithm
    let calls = 0;
    const dynamic = setup({ keys: () => (calls++, { secret: SECRET }) });
    for (let i = 0; i < 3; i++) expect((await dynamic.request(bearer(await token()))).status).toBe(200);
    expect(calls).toBe(3);
    // One core: the L1 kept the session after the first load (one SELECT for three requests).
    expect(dynamic.store.stats.selects).toBe(1);
  });

  it('cache and store as functions of the context', async () => {
    const base = setup();
    const t = setup({ cache: () => base.cache, store: () => base.store });
    expect((await t.request(bearer(await token()))).status).toBe(200);
    expect(base.store.stats.selects).toBe(1);
  });

  it('cookie: the token is read from the named cookie', async () => {
    const t = setup({ cookie: (c) => (c.req.path === '/x' ? 'edge' : 'none') });
    expect((await t.request({ headers: { Cookie: `edge=${await token()}` } })).status).toBe(200);
    expect((await t.request({ headers: { Cookie: `session=${await token()}` } })).status).toBe(401);
  });

  it('token: issuer, audience, algorithms and clock tolerance are enforced', async () => {
    const t = setup({ token: { issuer: 'https://id.example', audience: 'web' } });
    expect((await t.request(bearer(await token({ iss: 'https://id.example', aud: 'web' })))).status).toBe(
      200,
    );
    expect((await t.request(bearer(await token({ iss: 'https://other', aud: 'web' })))).status).toBe(401);
    expect((await t.request(bearer(await token({ iss: 'https://id.example', aud: 'api' })))).status).toBe(
      401,
    );
    const long = 'k'.repeat(64);
    expect((await setup({ keys: { secret: long } }).request(bearer(await token({}, long)))).status).toBe(200);
    const hs512 = setup({ keys: { secret: long }, token: { algorithms: ['HS512'] } });
    expect((await hs512.request(bearer(await token({}, long)))).status).toBe(401);
    // Expired 2 s ago: inside the default 5 s leeway, outside a leeway of 0.
    const expired = await mintToken({ secret: SECRET, userId: 'u1', sessionId: 's1', ttlSeconds: 1, at: T0 });
    const lenient = setup();
    lenient.clock.now = T0 + 3000;
    expect((await lenient.request(bearer(expired))).status).toBe(200);
    const strict = setup({ token: { clockToleranceSeconds: 0 } });
    strict.clock.now = T0 + 3000;
    const refused = await strict.request(bearer(expired));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: 'invalid_token', message: 'token expired' });
  });

  it('session: cacheTtlSeconds 0 disables the shared cache; l1 false sends every request to it', async () => {
    const off = setup({ session: { cacheTtlSeconds: 0 } });
    for (let i = 0; i < 2; i++) expect((await off.request(bearer(await token()))).status).toBe(200);
    expect(off.store.stats.selects).toBe(2);
    const noL1 = setup({ session: { l1: false } });
    for (let i = 0; i < 3; i++) await noL1.request(bearer(await token()));
    expect(noL1.cache.stats.reads).toBe(3);
    expect(noL1.store.stats.selects).toBe(1);
    const l1 = setup();
    for (let i = 0; i < 3; i++) await l1.request(bearer(await token()));
    expect(l1.cache.stats.reads).toBe(1);
  });

  it('session.touchIntervalSeconds: one last_login write per user per interval', async () => {
    const t = setup({ session: { touchIntervalSeconds: 60, l1: false } });
    await t.request(bearer(await token()));
    t.clock.now += 30_000;
    await t.request(bearer(await token()));
    expect(t.store.stats.lastLoginWrites).toBe(1);
    t.clock.now += 61_000;
    await t.request(bearer(await token()));
    expect(t.store.stats.lastLoginWrites).toBe(2);
  });

  it('timing: Server-Timing by default, none with timing: false; log receives warnings', async () => {
    const on = setup();
    expect((await on.request(bearer(await token()))).headers.get('Server-Timing')).toMatch(/^token;dur=/);
    const off = setup({ timing: false });
    expect((await off.request(bearer(await token()))).headers.has('Server-Timing')).toBe(false);
    off.cache.failing = true;
    off.clock.now += 60_000;
    expect((await off.request(bearer(await token()))).status).toBe(200);
    expect(off.warnings.join('\n')).toMatch(/session cache unavailable/);
  });

  it('validates options given as values when the middleware is built, naming every problem', () => {
    const cache = createMemorySessionCache();
    const store = createMemorySessionStore();
    const build = (options: Partial<EdgeAuthOptions>) => () =>
      edgeAuth({ keys: { secret: SECRET }, cache, store, ...options });
    expect(build({ keys: { secret: 'short' } })).toThrow(
      'edge-auth configuration is invalid: keys.secret must be at least 32 bytes for HS256 (RFC 7518 §3.2)',
    );
    expect(build({ keys: { secret: 'short' } })).toThrow(ConfigError);
    expect(build({ session: { cacheTtlSeconds: 301, touchIntervalSeconds: 0 } })).toThrow(
      'edge-auth configuration is invalid: session.cacheTtlSeconds must be a whole number from 0 to 300; session.touchIntervalSeconds must be a whole number from 1 to 2592000',
    );
    expect(build({ keys: { jwksUrl: 'http://id.example/jwks' } })).toThrow(/keys.jwksUrl must use https/);
  });
});
