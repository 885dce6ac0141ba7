import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from './support/stack';

/**
 * Assertions are for origins, bound to one request (issue #13 item 3), through the
 * bundled Worker in workerd on real Redis and PostgreSQL.
 */
describe('X-Auth-Assertion is bound to one request and handed only to origins', () => {
  let stack: Stack;
  let signingKey: JWK;
  beforeAll(async () => {
    stack = await startStack();
    signingKey = await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function jwksOf(worker: Awaited<ReturnType<Stack['worker']>>) {
    return createLocalJWKSet(
      (await (await worker.fetch('/.well-known/jwks.json')).json()) as { keys: JWK[] },
    );
  }

  it('reverse proxy: only the forwarded request carries it, bound to its method and public URL; /auth/verify never', async () => {
    const worker = await stack.worker({ ASSERTION_SIGNING_KEY: JSON.stringify(signingKey) });
    await stack.user('u-bind');
    const token = await stack.session('s-bind', 'u-bind');
    const jwks = await jwksOf(worker);
    const options = { issuer: 'edge-auth', audience: stack.origin.url, algorithms: ['ES256'] };

    const res = await worker.fetch('/api/orders/7?page=2', { method: 'DELETE', ...bearer(token) });
    expect(res.status).toBe(200);
    expect(res.headers.has('X-Auth-Assertion')).toBe(false);
    const { payload } = await jwtVerify(
      String(stack.origin.seen.at(-1)!.headers['x-auth-assertion']),
      jwks,
      options,
    );
    expect(payload).toMatchObject({
      sub: 'u-bind',
      sid: 's-bind',
      htm: 'DELETE',
      htu: 'http://edge.test/api/orders/7',
    });
    expect(payload.exp! - payload.iat!).toBe(30);

    // Each request its own: another method or path gets another assertion.
    await worker.fetch('/api/orders/7', bearer(token));
    const get = (
      await jwtVerify(String(stack.origin.seen.at(-1)!.headers['x-auth-assertion']), jwks, options)
    ).payload;
    expect([get.htm, get.htu]).toEqual(['GET', 'http://edge.test/api/orders/7']);

    // A client asking /auth/verify (reverse-proxy mode) gets identity, never an assertion.
    for (const headers of [
      {},
      { 'X-Forwarded-Method': 'DELETE', 'X-Forwarded-Uri': '/api/orders/7' },
    ] as Record<string, string>[]) {
      const verify = await worker.fetch('/auth/verify', {
        headers: { ...headers, Authorization: `Bearer ${token}` },
      });
      expect(verify.status).toBe(200);
      expect(verify.headers.get('X-Auth-User-Id')).toBe('u-bind');
      expect(verify.headers.has('X-Auth-Assertion')).toBe(false);
    }
  });

  it('forward-auth: /auth/verify binds it to X-Forwarded-Method/-Uri/-Proto/-Host, and only with method and URI', async () => {
    const worker = await stack.worker({
      ORIGIN_URL: undefined,
      ASSERTION_SIGNING_KEY: JSON.stringify(signingKey),
      ASSERTION_AUDIENCE: 'https://app.example',
    });
    await stack.user('u-fwd');
    const token = await stack.session('s-fwd', 'u-fwd');
    const jwks = await jwksOf(worker);
    const verify = (headers: Record<string, string>) =>
      worker.fetch('/auth/verify', { headers: { Authorization: `Bearer ${token}`, ...headers } });

    const res = await verify({
      'X-Forwarded-Method': 'post',
      'X-Forwarded-Uri': '/cart/checkout?coupon=1#x',
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'app.example',
    });
    expect(res.status).toBe(200);
    const assertion = res.headers.get('X-Auth-Assertion') ?? '';
    const { payload } = await jwtVerify(assertion, jwks, {
      issuer: 'edge-auth',
      audience: 'https://app.example',
    });
    expect(payload).toMatchObject({ sub: 'u-fwd', htm: 'POST', htu: 'https://app.example/cart/checkout' });

    // An origin-side check as docs/security.md shows it: this copy is good for that request only.
    const boundTo = (method: string, url: string) => {
      const u = new URL(url);
      return payload.htm === method && payload.htu === `${u.origin}${u.pathname}`;
    };
    expect(boundTo('POST', 'https://app.example/cart/checkout?coupon=2')).toBe(true);
    expect(boundTo('DELETE', 'https://app.example/cart/checkout')).toBe(false);
    expect(boundTo('POST', 'https://app.example/admin/users')).toBe(false);

    // `//host/path` is a path here: it can never move the host.
    const sneaky = await verify({
      'X-Forwarded-Method': 'GET',
      'X-Forwarded-Uri': '//evil.example/x',
      'X-Forwarded-Host': 'app.example',
    });
    const sneakyClaims = (await jwtVerify(sneaky.headers.get('X-Auth-Assertion') ?? '', jwks)).payload;
    expect(new URL(String(sneakyClaims.htu)).host).toBe('app.example');

    // Nothing to bind to: identity only.
    for (const headers of [
      {},
      { 'X-Forwarded-Method': 'GET' },
      { 'X-Forwarded-Uri': '/x' },
      { 'X-Forwarded-Method': 'G T', 'X-Forwarded-Uri': '/x' },
    ] as Record<string, string>[]) {
      const bare = await verify(headers);
      expect(bare.status).toBe(200);
      expect(bare.headers.get('X-Auth-User-Id')).toBe('u-fwd');
      expect(bare.headers.has('X-Auth-Assertion')).toBe(false);
    }
  });
});
