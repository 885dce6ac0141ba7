import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGate } from './support/gate';
import { bearer, eventually, type Stack, startStack } from './support/stack';

/**
 * What reaches the origin, through the real HTTP surface: the bundled Worker
 * in workerd on real Redis and PostgreSQL, an echo origin recording every
 * header it receives.
 */
describe('trust boundary in workerd', () => {
  let stack: Stack;
  let worker: Awaited<ReturnType<Stack['worker']>>;
  beforeAll(async () => {
    stack = await startStack();
    worker = await stack.worker({ PUBLIC_PATHS: '/public' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const lastSeen = () => stack.origin.seen.at(-1)!;
  /** Header names the origin received, as CGI/WSGI would read them. */
  const cgiNames = (headers: Record<string, unknown>) =>
    Object.keys(headers).map((n) => n.toLowerCase().replaceAll('_', '-'));

  it('a path an origin could resolve outside the public prefix is authenticated, never public', async () => {
    await stack.user('u-paths');
    const token = await stack.session('s-paths', 'u-paths');
    const confusing = [
      '/public/..%2fadmin',
      '/public/..%2Fadmin/secret.txt',
      '/public/..;/admin',
      '/public/%5c..%5cadmin',
      '/public/..%252fadmin',
      '/public/x%00.txt',
      '/public/%c0%af..%c0%afadmin',
      '/public/%EF%BC%8E%EF%BC%8E%EF%BC%8Fadmin',
    ];
    for (const path of confusing) {
      const before = stack.origin.seen.length;
      const res = await worker.fetch(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('WWW-Authenticate'), path).toBe('Bearer realm="edge-auth"');
      expect(stack.origin.seen.length, path).toBe(before);
      // With a valid token it is an ordinary authenticated request, forwarded verbatim.
      const authed = await worker.fetch(path, bearer(token));
      expect(authed.status, path).toBe(200);
      expect(lastSeen().url, path).toBe(path);
      expect(lastSeen().headers['x-auth-user-id'], path).toBe('u-paths');
    }
    for (const path of ['/public', '/public/app.js', '/public/caf%C3%A9.png']) {
      const res = await worker.fetch(path);
      expect(res.status, path).toBe(200);
      expect(lastSeen().url).toBe(path);
      expect(lastSeen().headers['x-auth-user-id']).toBeUndefined();
    }
  });

  it('client-sent identity and forwarding headers never reach the origin, in any spelling', async () => {
    await stack.user('u-spell');
    const token = await stack.session('s-spell', 'u-spell');
    const forged = {
      'X-Auth-User-Id': 'admin',
      'x-auth-is-superuser': 'true',
      X_Auth_User_Id: 'admin',
      'X-Auth_Is_Superuser': 'true',
      X_AUTH_EMAIL: 'root@evil.example',
      'X-Auth-Assertion': 'forged',
      Forwarded: 'for=10.0.0.1;host=admin.internal',
      'X-Real-IP': '10.0.0.1',
      X_Real_IP: '10.0.0.1',
      'X-Forwarded-For': '10.0.0.1',
      X_Forwarded_Host: 'admin.internal',
    };
    for (const [path, auth] of [
      ['/public/page', {}],
      ['/api/me', { Authorization: `Bearer ${token}` }],
    ] as const) {
      const res = await worker.fetch(path, {
        headers: { ...forged, ...auth, 'CF-Connecting-IP': '203.0.113.9' },
      });
      expect(res.status, path).toBe(200);
      const seen = lastSeen().headers;
      const names = cgiNames(seen);
      expect(
        names.filter((n) => n === 'forwarded' || n === 'x-real-ip'),
        path,
      ).toEqual([]);
      expect(
        names.filter((n) => n === 'x-auth-assertion'),
        path,
      ).toEqual([]);
      expect(seen['x-forwarded-for'], path).toBe('203.0.113.9');
      expect(seen['x-forwarded-host'], path).toBe('edge.test');
      const identity = names.filter((n) => n.startsWith('x-auth-')).sort();
      if (path === '/public/page') {
        expect(identity).toEqual([]);
      } else {
        expect(identity).toEqual([
          'x-auth-email',
          'x-auth-is-staff',
          'x-auth-is-superuser',
          'x-auth-session-id',
          'x-auth-user-id',
          'x-auth-username',
        ]);
        expect(seen['x-auth-user-id']).toBe('u-spell');
        expect(seen['x-auth-is-superuser']).toBe('false');
        expect(seen['x-auth-email']).toBe('u-spell@example.com');
      }
    }
  });

  it('identity values are encoded injectively, and a value too long fails closed', async () => {
    await stack.user('u-enc');
    await stack.user('u-enc2');
    await stack.pool.query("UPDATE users SET username = $1, email = 'a+b@example.com' WHERE id = 'u-enc'", [
      'rémy 50% \u0007',
    ]);
    await stack.pool.query("UPDATE users SET username = 'r%C3%A9my 50%25 ' WHERE id = 'u-enc2'");
    const one = await worker.fetch('/api', bearer(await stack.session('s-enc', 'u-enc')));
    expect(one.status).toBe(200);
    const a = lastSeen().headers;
    const two = await worker.fetch('/api', bearer(await stack.session('s-enc2', 'u-enc2')));
    expect(two.status).toBe(200);
    const b = lastSeen().headers;
    expect(a['x-auth-username']).toBe('r%C3%A9my%2050%25%20%07');
    expect(b['x-auth-username']).toBe('r%25C3%25A9my%2050%2525%20');
    expect(decodeURIComponent(String(a['x-auth-username']))).toBe('rémy 50% \u0007');
    expect(a['x-auth-email']).toBe('a%2Bb@example.com');

    await stack.user('u-long');
    await stack.pool.query("UPDATE users SET username = repeat('é', 400) WHERE id = 'u-long'");
    const before = stack.origin.seen.length;
    const long = await worker.fetch('/api', bearer(await stack.session('s-long', 'u-long')));
    expect(long.status).toBe(500);
    expect(await long.json()).toEqual({
      error: 'identity_unrepresentable',
      message: 'X-Auth-Username cannot be forwarded: the stored value is too long or malformed',
    });
    expect(stack.origin.seen.length).toBe(before);
  });

  it('authenticated subrequests bypass the edge cache; /auth/* answers are no-store', async () => {
    await stack.user('u-cache');
    const token = await stack.session('s-cache', 'u-cache');
    expect((await worker.fetch('/api/private', bearer(token))).status).toBe(200);
    // workerd marks a `cache: 'no-store'` subrequest like a browser does.
    expect(lastSeen().headers['cache-control']).toBe('no-cache');
    expect(lastSeen().headers.pragma).toBe('no-cache');
    expect((await worker.fetch('/public/asset.css')).status).toBe(200);
    expect(lastSeen().headers['cache-control']).toBeUndefined();
    for (const path of ['/auth/session', '/auth/verify']) {
      expect((await worker.fetch(path, bearer(token))).headers.get('Cache-Control'), path).toBe('no-store');
    }
  });

  describe('revocation wins every race', () => {
    /**
     * A first request loads the session from the database; its write-back of
     * the live entry is held at a relay in front of the Upstash server. No L1
     * here: these tests are about the shared cache (the L1 bound has its own).
     */
    async function loadWithHeldWriteBack(name: string) {
      const gate = await startGate(stack.upstash.url);
      const held = await stack.worker({ UPSTASH_REDIS_REST_URL: gate.url, L1_CACHE_TTL_SECONDS: '0' });
      await stack.user(`u-${name}`);
      const token = await stack.session(`s-${name}`, `u-${name}`);
      const key = `${stack.prefix}session:s-${name}`;
      const writeBack = gate.hold((body) => body.includes(`["set","${key}"`));
      expect((await held.fetch('/auth/session', bearer(token))).status).toBe(200);
      await writeBack.arrived;
      return { gate, held, token, key, writeBack };
    }

    it('a write-back held until after logout does not revive the session, in any isolate', async () => {
      const { gate, held, token, key, writeBack } = await loadWithHeldWriteBack('race');
      try {
        const other = await stack.worker({ L1_CACHE_TTL_SECONDS: '0' });

        expect((await other.fetch('/auth/logout', { method: 'POST', ...bearer(token) })).status).toBe(204);
        writeBack.release();
        await writeBack.done;

        expect(JSON.parse((await stack.redis.get<string>(key))!)).toEqual({ v: 1, dead: 'revoked' });
        for (const w of [held, other, await stack.worker({ L1_CACHE_TTL_SECONDS: '0' })]) {
          expect((await w.fetch('/auth/session', bearer(token))).status).toBe(401);
        }
      } finally {
        await gate.close();
      }
    });

    it('a revocation seen in the database replaces a live entry from an older load', async () => {
      const { gate, token, key, writeBack } = await loadWithHeldWriteBack('race2');
      try {
        await stack.pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', ['s-race2']);
        expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(401);
        await eventually(
          () => stack.redis.get<string>(key),
          (v) => v?.includes('revoked') === true,
        );
        writeBack.release();
        await writeBack.done;
        expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(401);
        expect(JSON.parse((await stack.redis.get<string>(key))!)).toEqual({ v: 1, dead: 'revoked' });
      } finally {
        await gate.close();
      }
    });
  });

  it('with remote keys and no JWT_ALGORITHMS, none/HMAC/unknown algorithms are 401, not 503', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
    const keyServer = await serveJson({ keys: [jwk] });
    try {
      const remote = await stack.worker({ JWT_SECRET: undefined, JWT_JWKS_URL: keyServer.url });
      await stack.user('u-alg');
      await stack.session('s-alg', 'u-alg');
      const claims = { sub: 'u-alg', sid: 's-alg', exp: Math.floor(Date.now() / 1000) + 600 };
      const good = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(privateKey);
      expect((await remote.fetch('/auth/session', bearer(good))).status).toBe(200);
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const forged = [
        `${b64({ alg: 'none' })}.${b64(claims)}.`,
        await new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', kid: 'k1' })
          .sign(new TextEncoder().encode(JSON.stringify(jwk))),
        `${b64({ alg: 'XX1', kid: 'k1' })}.${b64(claims)}.c2ln`,
        `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM', kid: 'k1' })}.${b64(claims)}.c2ln`,
      ];
      for (const token of forged) {
        const res = await remote.fetch('/auth/session', bearer(token));
        expect(res.status, token.slice(0, 30)).toBe(401);
        expect(res.headers.get('WWW-Authenticate')).toMatch(
          /^Bearer realm="edge-auth", error="invalid_token"/,
        );
      }
    } finally {
      await keyServer.close();
    }
  });

  it('a public prefix never reaches outside its directory: ".." anywhere is authenticated', async () => {
    const assets = await stack.worker({ PUBLIC_PATHS: '/assets*,/public' });
    await stack.user('u-dots');
    const token = await stack.session('s-dots', 'u-dots');
    for (const path of ['/assets../settings.py', '/assets..%2fsettings.py', '/public/a..b', '/assets/x..y']) {
      const before = stack.origin.seen.length;
      const res = await assets.fetch(path);
      expect(res.status, path).toBe(401);
      expect(stack.origin.seen.length, path).toBe(before);
      expect((await assets.fetch(path, bearer(token))).status, path).toBe(200);
      expect(lastSeen().headers['x-auth-user-id'], path).toBe('u-dots');
    }
    expect((await assets.fetch('/assets/app.js')).status).toBe(200);
    expect(lastSeen().headers['x-auth-user-id']).toBeUndefined();
  });

  it('footguns are refused at start-up, every problem named in one message', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(privateKey);
    const risky = await stack.worker({
      JWT_SECRET: undefined,
      JWT_PUBLIC_JWKS: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }] }),
      ASSERTION_SIGNING_KEY: JSON.stringify(jwk),
      PUBLIC_PATHS: '/static,/*',
    });
    const res = await risky.fetch('/anything');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { message: string }).message).toBe(
      'edge-auth configuration is invalid: ' +
        'PUBLIC_PATHS must not cover every path ("/" or "/*" turns authentication off); set PUBLIC_PATHS_ALLOW_ALL=true if that is intended; ' +
        'ASSERTION_SIGNING_KEY must not be one of the JWT_PUBLIC_JWKS keys: use a key of its own',
    );
    const placeholder = await stack.worker({
      JWT_SECRET: 'replace-with-a-random-secret-of-at-least-32-bytes',
    });
    expect(((await (await placeholder.fetch('/api')).json()) as { message: string }).message).toBe(
      "edge-auth configuration is invalid: JWT_SECRET is an example secret published in edge-auth's repository: set a random one",
    );
    // Made explicit, authentication off everywhere is allowed.
    const open = await stack.worker({ PUBLIC_PATHS: '/', PUBLIC_PATHS_ALLOW_ALL: 'true' });
    expect((await open.fetch('/anything')).status).toBe(200);
  });

  it('weak configuration is refused in one message naming every problem', async () => {
    const weak = await stack.worker({
      JWT_SECRET: 'x',
      UPSTASH_REDIS_REST_URL: 'http://redis.example.com',
      NEON_FETCH_ENDPOINT: 'http://neon.example.com/sql',
    });
    const res = await weak.fetch('/auth/session');
    expect(res.status).toBe(500);
    const { message } = (await res.json()) as { message: string };
    expect(message).toBe(
      'edge-auth configuration is invalid: UPSTASH_REDIS_REST_URL must use https (http is accepted only on loopback); ' +
        'NEON_FETCH_ENDPOINT must use https (http is accepted only on loopback); ' +
        'JWT_SECRET must be at least 32 bytes for HS256 (RFC 7518 §3.2)',
    );
  });

  it('with ASSERTION_SIGNING_KEY the origin receives an assertion it can verify with the published key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const signingKey = (await exportJWK(privateKey)) as JWK;
    const signed = await stack.worker({
      ASSERTION_SIGNING_KEY: JSON.stringify(signingKey),
      PUBLIC_PATHS: '/public',
    });
    await stack.user('u-assert', { email: null });
    const token = await stack.session('s-assert', 'u-assert');

    const jwksRes = await signed.fetch('/.well-known/jwks.json');
    expect(jwksRes.status).toBe(200);
    const jwks = (await jwksRes.json()) as { keys: JWK[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const res = await signed.fetch('/api/orders', {
      headers: { Authorization: `Bearer ${token}`, 'X-Auth-Assertion': 'forged' },
    });
    expect(res.status).toBe(200);
    const assertion = String(lastSeen().headers['x-auth-assertion']);
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      issuer: 'edge-auth',
      audience: stack.origin.url,
      algorithms: ['ES256'],
    });
    expect(payload).toMatchObject({ sub: 'u-assert', sid: 's-assert', is_staff: false, is_superuser: false });
    expect(payload).not.toHaveProperty('email');
    expect(payload.exp! - payload.iat!).toBe(30);

    // Reverse-proxy mode: assertions are for the origin, never handed to a client.
    const verify = await signed.fetch('/auth/verify', bearer(token));
    expect(verify.status).toBe(200);
    expect(verify.headers.has('X-Auth-Assertion')).toBe(false);
    expect((await signed.fetch('/public/x', { headers: { 'X-Auth-Assertion': 'forged' } })).status).toBe(200);
    expect(lastSeen().headers['x-auth-assertion']).toBeUndefined();
    expect((await worker.fetch('/.well-known/jwks.json')).status).toBe(404);
  });
});

async function serveJson(body: unknown) {
  const server = createServer((_, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
