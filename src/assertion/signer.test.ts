import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  exportJWK,
  generateKeyPair,
  type JWK,
  jwtVerify,
} from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AuthSession, UserProfile } from '../session/types';
import { createBoundedCache } from './cache';
import {
  ASSERTION_HEADER,
  AssertionKeyError,
  createAssertionSigner,
  parseSigningKey,
  type SigningKeyJwk,
} from './signer';

const ISSUER = 'edge-auth';
const REQ = { method: 'GET', url: 'https://app.example.com/me' };
const AUDIENCE = 'https://origin.example.com';
// A whole second, so that iat * 1000 equals the clock.
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

let jwk: JWK; // with the key_ops and ext a key-management tool may add
let key: SigningKeyJwk;
let other: SigningKeyJwk;

async function privateJwk(): Promise<JWK> {
  return exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey);
}

function parsed(text: string): SigningKeyJwk {
  const result = parseSigningKey(text);
  if ('problem' in result) throw new Error(result.problem);
  return result.key;
}

beforeAll(async () => {
  jwk = { ...(await privateJwk()), key_ops: ['sign'], ext: true };
  key = parsed(JSON.stringify(jwk));
  other = parsed(JSON.stringify(await privateJwk()));
});

afterEach(() => {
  vi.restoreAllMocks();
});

function auth(user: Partial<UserProfile> = {}, sid = 's1'): AuthSession {
  return {
    user: {
      id: '42',
      username: 'ada',
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      isStaff: false,
      isActive: true,
      isSuperuser: false,
      ...user,
    },
    session: { id: sid, expiresAt: T0 + 3_600_000, data: { theme: 'dark' } },
  };
}

/** A signer on a clock the test moves by hand. */
function signerAt(start = T0, signingKey = key) {
  const clock = { ms: start };
  const signer = createAssertionSigner({
    key: signingKey,
    issuer: ISSUER,
    audience: AUDIENCE,
    now: () => clock.ms,
  });
  return { signer, clock };
}

async function verify(token: string, jwks: { keys: JWK[] }, atMs = T0, audience = AUDIENCE) {
  return jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: ISSUER,
    audience,
    algorithms: ['ES256'],
    currentDate: new Date(atMs),
  });
}

describe('parseSigningKey', () => {
  it('accepts a P-256 private JWK and keeps only the members signing needs', () => {
    expect(key).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d });
    const labelled = parseSigningKey(JSON.stringify({ ...jwk, alg: 'ES256', use: 'sig', kid: 'k-2026' }));
    expect(labelled).toEqual({ key: { ...key, kid: 'k-2026' } });
  });

  // Each variant carries a sentinel that must not appear in the problem.
  const variants: [string, (k: JWK) => unknown, string][] = [
    ['not JSON', (k) => `-----BEGIN PRIVATE KEY-----${k.d}`, 'BEGIN'],
    ['a JSON array', (k) => [k], '['],
    ['JSON null', () => null, 'null'],
    ['another key type', (k) => ({ ...k, kty: 'RSA' }), 'RSA'],
    ['another curve', (k) => ({ ...k, crv: 'P-384' }), 'P-384'],
    ['a public key', (k) => ({ ...k, d: undefined }), 'public-only'],
    ['a short x', (k) => ({ ...k, x: k.x?.slice(0, 42) }), 'short-x'],
    ['a y with a non-base64url character', (k) => ({ ...k, y: `${k.y?.slice(0, 42)}+` }), '+'],
    ['a long d', (k) => ({ ...k, d: `${k.d}A` }), 'long-d'],
    ['a numeric d', () => ({ ...jwk, d: 123456789 }), '123456789'],
    ['another algorithm', (k) => ({ ...k, alg: 'HS256' }), 'HS256'],
    ['an encryption key', (k) => ({ ...k, use: 'enc' }), 'enc'],
    ['an empty kid', (k) => ({ ...k, kid: '' }), 'kid-empty'],
    ['a kid with a newline', (k) => ({ ...k, kid: 'a\nX-Injected: 1' }), 'Injected'],
  ];
  it.each(variants)('rejects %s, naming the variable but not the value', (_, make, sentinel) => {
    const value = make(jwk);
    const result = parseSigningKey(typeof value === 'string' ? value : JSON.stringify(value));
    expect(result).toHaveProperty('problem');
    const problem = 'problem' in result ? result.problem : '';
    expect(problem).toMatch(/^ASSERTION_SIGNING_KEY /);
    for (const secret of [jwk.d, jwk.x, jwk.y, jwk.d?.slice(0, 8), sentinel]) {
      expect(problem).not.toContain(secret);
    }
  });

  it('names every malformed member at once', () => {
    const result = parseSigningKey(JSON.stringify({ ...jwk, x: 'a', d: 'b' }));
    expect(result).toEqual({
      problem: 'ASSERTION_SIGNING_KEY members "x", "d" must be 43 base64url characters',
    });
  });
});

describe('createAssertionSigner', () => {
  it('signs an ES256 JWT with exactly the identity claims, which verifies against publicJwks', async () => {
    const { signer } = signerAt();
    const token = await signer.sign(auth({ isStaff: true }), REQ);
    const jwks = await signer.publicJwks();
    const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y });

    const { payload, protectedHeader } = await verify(token, jwks);
    expect(protectedHeader).toEqual({ alg: 'ES256', kid, typ: 'JWT' });
    expect(payload).toEqual({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: '42',
      sid: 's1',
      iat: T0 / 1000,
      nbf: T0 / 1000,
      exp: T0 / 1000 + 30,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      username: 'ada',
      email: 'ada@example.com',
      is_staff: true,
      is_superuser: false,
      htm: 'GET',
      htu: 'https://app.example.com/me',
    });
    expect(ASSERTION_HEADER).toBe('X-Auth-Assertion');
  });

  it('omits email when the user has none', async () => {
    const { signer } = signerAt();
    const { payload } = await verify(
      await signer.sign(auth({ email: null }), REQ),
      await signer.publicJwks(),
    );
    expect(payload).not.toHaveProperty('email');
    expect(Object.keys(payload).sort()).toEqual(
      [
        'aud',
        'exp',
        'htm',
        'htu',
        'iat',
        'is_staff',
        'is_superuser',
        'iss',
        'jti',
        'nbf',
        'sid',
        'sub',
        'username',
      ].sort(),
    );
  });

  it('does not verify for another audience, after expiry or before it was issued', async () => {
    const { signer } = signerAt();
    const token = await signer.sign(auth(), REQ);
    const jwks = await signer.publicJwks();
    await expect(verify(token, jwks, T0, 'https://other.example.com')).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'aud',
    });
    await expect(verify(token, jwks, T0 + 29_000)).resolves.toBeDefined();
    await expect(verify(token, jwks, T0 + 30_000)).rejects.toBeInstanceOf(errors.JWTExpired);
    await expect(verify(token, jwks, T0 - 1_000)).rejects.toMatchObject({ claim: 'nbf' });
  });

  it('publishes only the public key, with the thumbprint as kid unless the JWK names its own', async () => {
    const { signer } = signerAt();
    const jwks = await signer.publicJwks();
    const kid = await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: key.x, y: key.y });
    expect(jwks).toEqual({
      keys: [{ kty: 'EC', crv: 'P-256', x: key.x, y: key.y, kid, alg: 'ES256', use: 'sig' }],
    });
    expect(JSON.stringify(jwks)).not.toContain(key.d);
    expect(jwks.keys[0]).not.toHaveProperty('d');

    const named = signerAt(T0, { ...key, kid: 'k-2026' }).signer;
    const token = await named.sign(auth(), REQ);
    expect(decodeProtectedHeader(token).kid).toBe('k-2026');
    expect((await named.publicJwks()).keys[0]?.kid).toBe('k-2026');
    await expect(verify(token, await named.publicJwks())).resolves.toBeDefined();
  });

  it('imports the key once and reuses an assertion for half its lifetime', async () => {
    const importKey = vi.spyOn(crypto.subtle, 'importKey');
    // Verifying imports public keys too; count only imports of the signing key.
    const privateImports = () =>
      importKey.mock.calls.filter(([, , , , usages]) => usages.includes('sign')).length;
    const sign = vi.spyOn(crypto.subtle, 'sign');
    const { signer, clock } = signerAt();

    const first = await signer.sign(auth(), REQ);
    clock.ms = T0 + 14_999;
    for (let i = 0; i < 5; i++) expect(await signer.sign(auth(), REQ)).toBe(first);
    await signer.publicJwks();
    expect(privateImports()).toBe(1);
    expect(sign).toHaveBeenCalledTimes(1);

    clock.ms = T0 + 15_000;
    const second = await signer.sign(auth(), REQ);
    expect(second).not.toBe(first);
    expect(sign).toHaveBeenCalledTimes(2);
    const jwks = await signer.publicJwks();
    const { payload } = await verify(second, jwks, clock.ms);
    expect(payload.iat).toBe(T0 / 1000 + 15);
    expect(payload.jti).not.toBe((await verify(first, jwks)).payload.jti);
    expect(privateImports()).toBe(1);
  });

  it('binds each assertion to one request: another method or URL gets its own', async () => {
    const { signer } = signerAt();
    const jwks = await signer.publicJwks();
    const get = await signer.sign(auth(), REQ);
    const del = await signer.sign(auth(), { ...REQ, method: 'DELETE' });
    const other = await signer.sign(auth(), { ...REQ, url: 'https://app.example.com/admin' });
    expect(new Set([get, del, other]).size).toBe(3);
    expect((await verify(del, jwks)).payload).toMatchObject({ htm: 'DELETE', htu: REQ.url });
    expect((await verify(other, jwks)).payload).toMatchObject({
      htm: 'GET',
      htu: 'https://app.example.com/admin',
    });
    expect(await signer.sign(auth(), REQ)).toBe(get);
  });

  it('never reuses an assertion for a changed identity, another session or an earlier clock', async () => {
    const { signer, clock } = signerAt();
    const jwks = await signer.publicJwks();
    const plain = await signer.sign(auth(), REQ);

    const staff = await signer.sign(auth({ isStaff: true }), REQ);
    expect(staff).not.toBe(plain);
    expect((await verify(staff, jwks)).payload.is_staff).toBe(true);
    expect(await signer.sign(auth({ isStaff: true }), REQ)).toBe(staff);
    expect(await signer.sign(auth({ isStaff: false }), REQ)).not.toBe(staff);
    expect(await signer.sign(auth({ email: null }), REQ)).not.toBe(plain);

    const elsewhere = await signer.sign(auth({}, 's2'), REQ);
    expect((await verify(elsewhere, jwks)).payload.sid).toBe('s2');

    // A clock stepped backwards must not hand out a token that is not yet valid.
    clock.ms = T0 + 5_000;
    const later = await signer.sign(auth(), REQ);
    clock.ms = T0;
    expect(await signer.sign(auth(), REQ)).not.toBe(later);
  });

  it('produces assertions that do not verify against another key', async () => {
    const { signer } = signerAt();
    const foreign = signerAt(T0, other).signer;
    const token = await foreign.sign(auth(), REQ);
    await expect(verify(token, await signer.publicJwks())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);

    // Even under our kid, the signature gives it away.
    const impostor = signerAt(T0, { ...other, kid: 'k-2026' }).signer;
    const jwks = await signerAt(T0, { ...key, kid: 'k-2026' }).signer.publicJwks();
    await expect(verify(await impostor.sign(auth(), REQ), jwks)).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
  });

  it('refuses a well-formed key whose d does not belong to its x and y, without echoing it', async () => {
    const { signer } = signerAt(T0, { ...key, x: other.x, y: other.y });
    for (const attempt of [() => signer.sign(auth(), REQ), () => signer.publicJwks()]) {
      const err = await attempt().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AssertionKeyError);
      expect(err).toMatchObject({
        code: 'assertion_key_invalid',
        message: expect.stringMatching(/ASSERTION_SIGNING_KEY/),
      });
      for (const secret of [key.d, other.x, other.y]) expect(String(err)).not.toContain(secret);
    }
  });

  it('validates its options when built', () => {
    for (const ttlSeconds of [0, 1, 4, 1.5, 301, 3600]) {
      expect(() => createAssertionSigner({ key, issuer: ISSUER, audience: AUDIENCE, ttlSeconds })).toThrow(
        RangeError,
      );
    }
    expect(() => createAssertionSigner({ key, issuer: '', audience: AUDIENCE })).toThrow(TypeError);
  });
});

describe('createBoundedCache', () => {
  it('evicts the oldest entry beyond its bound; replacing an entry makes it the newest', () => {
    const cache = createBoundedCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('a', 3);
    cache.set('c', 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([3, undefined, 4, 2]);
  });
});
