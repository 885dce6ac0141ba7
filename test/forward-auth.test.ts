import type { IncomingHttpHeaders } from 'node:http';
import { type CryptoKey, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningWorker, startListeningWorker } from './support/listening-worker';
import { type Answer, type ProxyKind, type RunningProxy, send, startProxy } from './support/proxies';
import { type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * examples/nginx/nginx.conf and examples/caddy/Caddyfile, run by the real nginx and Caddy
 * in front of the bundled Worker (listening on a TCP port) and the stack's echo origin.
 */
const KINDS: ProxyKind[] = ['nginx', 'caddy'];

/** Identity headers a client tries to forge, in the spellings a proxy or an app might confuse. */
const FORGED: Record<string, string> = {
  'X-Auth-User-Id': 'admin',
  'x-auth-is-superuser': 'true',
  X_Auth_User_Id: 'admin',
  'X-Auth_Is_Superuser': 'true',
  'X-AUTH-EMAIL': 'x@evil',
  'x_auth-session-id': 'forged',
  'X-Auth-Is-Staff': 'yes',
  X_AUTH_USERNAME: 'root',
  'X-Auth-Assertion': 'forged.assertion.value',
  X_Auth_Tenant: 'evil',
};
/** Caddy removes every x-auth-* name; nginx only the names it sets (README, Forward-auth). */
const FORGED_OTHER_NAMES: Record<ProxyKind, Record<string, string>> = {
  nginx: {},
  caddy: { 'X-Auth-Role': 'admin' },
};

/** edge-auth refuses longer tokens (README: "≤ 8 KiB"). */
const MAX_TOKEN_BYTES = 8 * 1024;

const normalise = (name: string) => name.toLowerCase().replaceAll('_', '-');

/** The headers whose name, normalised, starts with x-auth-, under the name they arrived with. */
function identityOf(headers: IncomingHttpHeaders | Headers): Record<string, string> {
  const entries: [string, string][] =
    headers instanceof Headers ? [...headers] : Object.entries(headers).map(([k, v]) => [k, String(v)]);
  return Object.fromEntries(entries.filter(([name]) => normalise(name).startsWith('x-auth-')));
}

describe('forward-auth recipes in front of the Worker, through the real nginx and Caddy', () => {
  let stack: Stack;
  let assertionKey: CryptoKey;
  const workers: ListeningWorker[] = [];
  /** Signs identity assertions, so X-Auth-Assertion is part of what the proxies must copy. */
  let worker: ListeningWorker;
  /** Its database is unreachable: a session that is not cached answers 503. */
  let workerDbDown: ListeningWorker;
  const proxies = new Map<string, RunningProxy>();

  beforeAll(async () => {
    stack = await startStack();
    const keys = await generateKeyPair('ES256', { extractable: true });
    assertionKey = keys.publicKey;
    const started = await Promise.allSettled([
      // Forward-auth mode: no ORIGIN_URL, so /auth/verify hands out assertions bound to the forwarded request.
      startListeningWorker(stack, {
        ORIGIN_URL: undefined,
        ASSERTION_SIGNING_KEY: JSON.stringify(await exportJWK(keys.privateKey)),
        ASSERTION_AUDIENCE: stack.origin.url,
      }),
      startListeningWorker(stack, {
        NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql',
        DATABASE_TIMEOUT_MS: '300',
      }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') workers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    [worker, workerDbDown] = workers as [ListeningWorker, ListeningWorker];

    const app = `127.0.0.1:${stack.origin.port}`;
    const launches = KINDS.flatMap((kind) => [
      startProxy(kind, { worker: worker.address, app }).then((p) => proxies.set(kind, p)),
      startProxy(kind, { worker: workerDbDown.address, app }).then((p) => proxies.set(`${kind}-db-down`, p)),
    ]);
    // Wait for every launch, so that afterAll stops all that started even if one failed.
    for (const s of await Promise.allSettled(launches)) if (s.status === 'rejected') throw s.reason;
  }, 300_000); // apt-get installs nginx and Caddy first when they are missing

  afterAll(async () => {
    await Promise.allSettled([...proxies.values()].map((p) => p.stop()));
    await Promise.allSettled(workers.map((w) => w.dispose()));
    await stack?.stop();
  });

  /** What edge-auth itself answers on /auth/verify: the reference for what the proxies pass on. */
  const verifyDirectly = (w: ListeningWorker, token?: string) =>
    fetch(`${w.url}/auth/verify`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});

  /** edge-auth's identity for a token, asked directly as a proxy would for `method` and `uri`; asserts the 200. */
  async function identityFromEdgeAuth(token: string, method = 'GET', uri = '/') {
    const res = await fetch(`${worker.url}/auth/verify`, {
      headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-Method': method, 'X-Forwarded-Uri': uri },
    });
    expect(res.status).toBe(200);
    return identityOf(res.headers);
  }

  /**
   * The x-auth-* headers at the app, in any spelling, are exactly edge-auth's: the same names
   * and values, and an assertion that verifies and names the same user and session (it is
   * compared by its claims: edge-auth may re-sign it between two calls), bound to the request
   * the proxy forwarded (`htm`, `htu`: `url` without its query).
   */
  async function expectIdentityAtApp(
    seen: IncomingHttpHeaders,
    expected: Record<string, string>,
    request: { method: string; url: string },
  ) {
    const { 'x-auth-assertion': assertion, ...identity } = identityOf(seen);
    const { 'x-auth-assertion': expectedAssertion, ...expectedIdentity } = expected;
    expect(identity).toEqual(expectedIdentity);
    expect(expectedAssertion).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    const { payload } = await jwtVerify(String(assertion), assertionKey, {
      issuer: 'edge-auth',
      audience: stack.origin.url,
      algorithms: ['ES256'],
    });
    const decoded = (name: string) => {
      const value = expectedIdentity[name];
      return value === undefined ? undefined : decodeURIComponent(value);
    };
    expect(payload.sub).toBe(decoded('x-auth-user-id'));
    expect(payload.sid).toBe(decoded('x-auth-session-id'));
    expect(payload.username).toBe(decoded('x-auth-username'));
    expect(payload.email).toBe(decoded('x-auth-email'));
    const url = new URL(request.url);
    expect(payload).toMatchObject({ htm: request.method, htu: `${url.origin}${url.pathname}` });
  }

  describe.each(KINDS)('%s', (kind) => {
    const proxy = (suffix = '') => proxies.get(`${kind}${suffix}`)!;

    it('a live session: the app gets the request and exactly the identity edge-auth answered; no forged X-Auth-*', async () => {
      const uid = `u-${kind}`;
      await stack.user(uid);
      // Non-ASCII arrives percent-encoded from edge-auth and must pass through unchanged.
      await stack.pool.query('UPDATE users SET username = $2, is_staff = true WHERE id = $1', [
        uid,
        `Zoë Ω ${kind}`,
      ]);
      const token = await stack.session(`s-${kind}`, uid);
      const expected = await identityFromEdgeAuth(token, 'POST', '/api/orders?page=3');
      expect(expected).toMatchObject({
        'x-auth-user-id': uid,
        'x-auth-session-id': `s-${kind}`,
        'x-auth-username': encodeURIComponent(`Zoë Ω ${kind}`),
        'x-auth-email': `${uid}@example.com`,
        'x-auth-is-staff': 'true',
        'x-auth-is-superuser': 'false',
      });

      const before = stack.origin.seen.length;
      const forged = { ...FORGED, ...FORGED_OTHER_NAMES[kind] };
      const res = await send(`${proxy().url}/api/orders?page=3`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/plain', ...forged },
        body: 'hello app',
      });
      expect(res.status).toBe(200);
      expect(res.headers['x-demo-origin']).toBe('yes');
      expect(stack.origin.seen.length).toBe(before + 1);
      const seen = stack.origin.seen.at(-1)!;
      expect(seen.method).toBe('POST');
      expect(seen.url).toBe('/api/orders?page=3');
      expect(seen.body).toBe('hello app');
      await expectIdentityAtApp(seen.headers, expected, { method: 'POST', url: `${proxy().url}/api/orders` });
      // Each forged spelling: at most edge-auth's own header of that name arrived, never the client's.
      for (const [name, value] of Object.entries(forged)) {
        const arrived = Object.keys(seen.headers).filter((k) => normalise(k) === normalise(name));
        expect(arrived, name).toEqual(normalise(name) in expected ? [normalise(name)] : []);
        expect(seen.headers[normalise(name)], name).not.toBe(value);
      }
    });

    it('a large identity (the longest ids and values edge-auth forwards, and the assertion repeating them) arrives whole', async () => {
      const uid = `u-large-${kind}-`.padEnd(256, 'u'); // edge-auth's longest ids
      const sid = `s-large-${kind}-`.padEnd(256, 's');
      await stack.user(uid, { email: `${'m'.repeat(1012)}@example.com` }); // 1 KiB values
      await stack.pool.query('UPDATE users SET username = $2 WHERE id = $1', [
        uid,
        `${kind}-`.padEnd(1024, 'n'),
      ]);
      const token = await stack.session(sid, uid);
      const expected = await identityFromEdgeAuth(token);
      const bytes = Object.entries(expected).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
      expect(bytes).toBeGreaterThan(6 * 1024); // beyond nginx's default proxy_buffer_size (one 4 KiB page)

      const res = await send(`${proxy().url}/large`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      await expectIdentityAtApp(stack.origin.seen.at(-1)!.headers, expected, {
        method: 'GET',
        url: `${proxy().url}/large`,
      });
    });

    it("a token at edge-auth's 8 KiB limit gets through", async () => {
      const uid = `u-big-token-${kind}`;
      await stack.user(uid);
      await stack.session(`s-big-token-${kind}`, uid);
      const token = await tokenOfLength(MAX_TOKEN_BYTES, uid, `s-big-token-${kind}`);
      expect(token.length).toBeGreaterThan(MAX_TOKEN_BYTES - 8);
      const expected = await identityFromEdgeAuth(token);

      const res = await send(`${proxy().url}/big`, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      await expectIdentityAtApp(stack.origin.seen.at(-1)!.headers, expected, {
        method: 'GET',
        url: `${proxy().url}/big`,
      });
    });

    it('a user without an email: no X-Auth-Email at the app, whatever the client sends', async () => {
      const uid = `u-no-email-${kind}`;
      await stack.user(uid, { email: null });
      const token = await stack.session(`s-no-email-${kind}`, uid);
      const expected = await identityFromEdgeAuth(token);
      expect(expected['x-auth-email']).toBeUndefined();
      expect(expected['x-auth-user-id']).toBe(uid);

      const res = await send(`${proxy().url}/profile`, {
        headers: { Authorization: `Bearer ${token}`, 'X-AUTH-EMAIL': 'x@evil', x_auth_email: 'x@evil' },
      });
      expect(res.status).toBe(200);
      const seen = stack.origin.seen.at(-1)!;
      expect(seen.url).toBe('/profile');
      expect(Object.keys(seen.headers).filter((k) => normalise(k) === 'x-auth-email')).toEqual([]);
      await expectIdentityAtApp(seen.headers, expected, { method: 'GET', url: `${proxy().url}/profile` });
    });

    it("no token or a bad one: 401 with edge-auth's challenge, the app never reached", async () => {
      const before = stack.origin.seen.length;
      for (const token of [undefined, 'not-a-jwt']) {
        const direct = await verifyDirectly(worker, token);
        expect(direct.status).toBe(401);
        const challenge = direct.headers.get('WWW-Authenticate');
        expect(challenge).toMatch(/^Bearer realm="edge-auth"/);
        const { error } = (await direct.json()) as { error: string };

        const res = await send(`${proxy().url}/api/orders`, {
          method: 'POST',
          headers: {
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
            'X-Auth-User-Id': 'admin',
            'Content-Type': 'text/plain',
          },
          body: 'must not arrive',
        });
        expect(res.status, String(token)).toBe(401);
        expect(res.headers['www-authenticate'], String(token)).toBe(challenge);
        expect(parseJson(res).error, String(token)).toBe(error);
      }
      expect(stack.origin.seen.length).toBe(before);
    });

    it('edge-auth answers 503 (database down, session not cached): the client gets 503 with Retry-After, the app is not reached', async () => {
      const uid = `u-db-down-${kind}`;
      await stack.user(uid);
      const token = await stack.session(`s-db-down-${kind}`, uid);
      const direct = await verifyDirectly(workerDbDown, token);
      expect(direct.status).toBe(503);
      const retryAfter = direct.headers.get('Retry-After');
      expect(retryAfter).toBe('1');
      const { error } = (await direct.json()) as { error: string };

      const before = stack.origin.seen.length;
      const res = await send(`${proxy('-db-down').url}/api/orders`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe(retryAfter);
      expect(parseJson(res).error).toBe(error);
      expect(stack.origin.seen.length).toBe(before);
    });
  });
});

/** A valid session token as close to `length` characters as base64url allows, padded with a claim. */
async function tokenOfLength(length: number, userId: string, sessionId: string): Promise<string> {
  const mint = (pad: string) =>
    new SignJWT({ sid: sessionId, pad })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(TEST_SECRET));
  let padding = Math.floor(((length - (await mint('')).length) * 3) / 4);
  let token = await mint('x'.repeat(padding));
  while (token.length > length) token = await mint('x'.repeat(--padding));
  return token;
}

function parseJson(res: Answer): { error?: string } {
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  return JSON.parse(res.body) as { error?: string };
}
