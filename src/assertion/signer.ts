import { calculateJwkThumbprint, importJWK, SignJWT } from 'jose';
import { NUMBERS } from '../config/defaults';
import type { AuthSession } from '../session/types';
import { createBoundedCache } from './cache';
import { AssertionKeyError, SIGNING_KEY_VARIABLE, type SigningKeyJwk } from './key';

export { AssertionKeyError, parseSigningKey, type SigningKeyJwk } from './key';

/**
 * The request header that carries the signed identity assertion to the origin.
 * Clients cannot forge it: edge-auth strips every incoming `X-Auth-*` header.
 * An origin verifies it with jose and edge-auth's `/.well-known/jwks.json`:
 *
 * ```ts
 * import { createRemoteJWKSet, jwtVerify } from 'jose';
 * const JWKS = createRemoteJWKSet(new URL('https://auth.example.com/.well-known/jwks.json'));
 * const { payload } = await jwtVerify(req.headers.get('x-auth-assertion') ?? '', JWKS, { issuer: 'edge-auth', audience: 'https://origin.example.com', algorithms: ['ES256'] });
 * const url = new URL(req.url);
 * if (payload.htm !== req.method || payload.htu !== `https://app.example.com${url.pathname}`) throw new Error('not for this request');
 * ```
 */
export const ASSERTION_HEADER = 'X-Auth-Assertion';

/** The one key `publicJwks` publishes. */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

/** Assertions live 30 s by default, 5 s to 5 min: a copy is replayable that long, logout or not. */
const {
  default: ASSERTION_TTL_DEFAULT_SECONDS,
  min: ASSERTION_TTL_MIN_SECONDS,
  max: ASSERTION_TTL_MAX_SECONDS,
} = NUMBERS.ASSERTION_TTL_SECONDS;

/**
 * The request an assertion is for, as in RFC 9449 (DPoP): `htm` is its
 * method, `htu` its URL without query or fragment.
 */
export interface RequestBinding {
  method: string;
  /** `scheme://host[:port]/path`, no query, no fragment. */
  url: string;
}

export interface AssertionSignerOptions {
  /** From `parseSigningKey`. */
  key: SigningKeyJwk;
  /** The `iss` claim, e.g. `'edge-auth'`. */
  issuer: string;
  /** The `aud` claim: the origin, e.g. `'https://origin.example.com'`. */
  audience: string;
  /** Assertion lifetime in seconds; default 30, from 5 to 300. */
  ttlSeconds?: number;
  /** Clock in ms since the epoch; default `Date.now`. */
  now?: () => number;
}

export interface AssertionSigner {
  /** A compact ES256 JWT with the session's identity claims, valid for the one request `binding` names. */
  sign(auth: AuthSession, binding: RequestBinding): Promise<string>;
  /** The public half of the key, for `/.well-known/jwks.json`. */
  publicJwks(): Promise<{ keys: PublicJwk[] }>;
}

const MAX_CACHED_ASSERTIONS = 1000;

/**
 * Signs short-lived identity assertions for the origin. Build it once per
 * isolate: it imports the key on first use and caches assertions.
 *
 * An assertion is bound to one request (`htm`, `htu`), so a copy is useless
 * for any other method or URL. It is reused for the same session, identity
 * and request for up to half its lifetime (so every one the origin sees has at
 * least half its life left), which spares an ECDSA signature when a page
 * polls one URL. Its `jti` is therefore unique per assertion, not per request:
 * origins must not use it to reject replays within that window.
 *
 * @example
 * const signer = createAssertionSigner({ key, issuer: 'edge-auth', audience: 'https://origin.example.com' });
 * headers.set(ASSERTION_HEADER, await signer.sign(auth, { method: 'GET', url: 'https://app.example.com/me' }));
 */
export function createAssertionSigner(options: AssertionSignerOptions): AssertionSigner {
  const { key, issuer, audience, ttlSeconds = ASSERTION_TTL_DEFAULT_SECONDS, now = Date.now } = options;
  if (
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < ASSERTION_TTL_MIN_SECONDS ||
    ttlSeconds > ASSERTION_TTL_MAX_SECONDS
  ) {
    throw new RangeError(
      `ttlSeconds must be a whole number from ${ASSERTION_TTL_MIN_SECONDS} to ${ASSERTION_TTL_MAX_SECONDS}`,
    );
  }
  if (!issuer || !audience) throw new TypeError('issuer and audience must not be empty');
  const publicKey = { kty: key.kty, crv: key.crv, x: key.x, y: key.y };

  // Held as values, never as a shared promise: on Workers a promise started in
  // one request's I/O must not be awaited by another. Two racing first calls
  // may both import; the last one stored wins, and both keys are equivalent.
  let loaded: { privateKey: CryptoKey; kid: string } | undefined;
  const load = async () => {
    if (loaded) return loaded;
    const [privateKey, kid] = await Promise.all([
      // The runtimes check here that `d` belongs to `x`/`y`, so a mismatched
      // pair fails on first use rather than publishing a key nothing verifies.
      importJWK(key, 'ES256').catch((cause: unknown) => {
        throw new AssertionKeyError(`${SIGNING_KEY_VARIABLE} is not a valid P-256 key pair`, { cause });
      }),
      key.kid ?? calculateJwkThumbprint(publicKey),
    ]);
    loaded = { privateKey, kid };
    return loaded;
  };

  const cache = createBoundedCache<{ identity: string; token: string; from: number; until: number }>(
    MAX_CACHED_ASSERTIONS,
  );

  return {
    async sign({ user, session }, binding) {
      const claims = {
        sub: user.id,
        sid: session.id,
        username: user.username,
        ...(user.email === null ? {} : { email: user.email }),
        is_staff: user.isStaff,
        is_superuser: user.isSuperuser,
        htm: binding.method,
        htu: binding.url,
      };
      // The claims themselves are the fingerprint: any change re-signs.
      const identity = JSON.stringify(claims);
      const cacheKey = `${session.id}\n${binding.method}\n${binding.url}`;
      const nowMs = now();
      const hit = cache.get(cacheKey);
      if (hit && hit.identity === identity && hit.from <= nowMs && nowMs < hit.until) return hit.token;

      const { privateKey, kid } = await load();
      const iat = Math.floor(nowMs / 1000);
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + ttlSeconds)
        .setJti(crypto.randomUUID())
        .sign(privateKey);
      cache.set(cacheKey, { identity, token, from: iat * 1000, until: iat * 1000 + ttlSeconds * 500 });
      return token;
    },

    async publicJwks() {
      const { kid } = await load();
      return { keys: [{ ...publicKey, kid, alg: 'ES256', use: 'sig' }] };
    },
  };
}
