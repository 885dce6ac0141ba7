import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { Config } from '../config';
import { AuthError, DependencyError } from '../errors';
import { createCoalescer } from '../util/coalesce';

/** The claims edge-auth relies on, checked for presence and type. */
export interface Claims {
  /** User id. */
  sub: string;
  /** Session id. */
  sid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export interface TokenVerifier {
  verify(token: string): Promise<Claims>;
}

export const MAX_TOKEN_BYTES = 8 * 1024;
const MAX_ID_LENGTH = 256;
/** jose defaults, named so the README can state them. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
export const JWKS_COOLDOWN_MS = 30_000;
const JWKS_TIMEOUT_MS = 5_000;

/**
 * Builds a verifier whose keys are imported once per isolate.
 *
 * @example
 * const verifier = createTokenVerifier(config.token);
 * const { sub, sid } = await verifier.verify(token); // throws AuthError or DependencyError
 */
export function createTokenVerifier(
  options: Config['token'],
  deps: { fetch?: typeof fetch } = {},
): TokenVerifier {
  const getKey = keyResolver(options, deps.fetch ?? ((input, init) => fetch(input, init)));
  const verifyOptions = {
    algorithms: options.algorithms,
    issuer: options.issuer,
    audience: options.audience,
    clockTolerance: options.clockToleranceSeconds,
    requiredClaims: ['sub', 'sid', 'exp'],
  };

  return {
    async verify(token) {
      if (token.length > MAX_TOKEN_BYTES) throw new AuthError('invalid_token', 'token too large');
      // A compact JWS is printable ASCII, so past this check length equals bytes.
      if (!/^[\x21-\x7e]+$/.test(token)) throw new AuthError('invalid_token', 'malformed token');
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, getKey, verifyOptions));
      } catch (err) {
        throw translate(err);
      }
      const { sub, sid, exp } = payload;
      if (!isId(sub) || !isId(sid) || typeof exp !== 'number') {
        throw new AuthError('invalid_token', 'token claims sub, sid and exp are malformed');
      }
      return { sub, sid, exp };
    },
  };
}

function isId(value: unknown): value is string {
  // Control characters would never match a stored id (and Postgres rejects NUL).
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= MAX_ID_LENGTH &&
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting them is the point
    !/[\u0000-\u001f\u007f]/.test(value)
  );
}

function keyResolver(options: Config['token'], fetchImpl: typeof fetch): JWTVerifyGetKey {
  const source = options.keys;
  if (source.kind === 'jwks') {
    return createLocalJWKSet(source.jwks as Parameters<typeof createLocalJWKSet>[0]);
  }
  if (source.kind === 'remote') return remoteKeys(source.url, fetchImpl);

  const secret = new TextEncoder().encode(source.secret);
  // Imported CryptoKeys are cached as values (not promises) so no request
  // ever awaits work started by another.
  const imported = new Map<string, CryptoKey>();
  return async (header) => {
    const alg = header.alg ?? '';
    const hash = HMAC_HASHES[alg];
    if (!hash) throw new errors.JOSEAlgNotAllowed('algorithm not allowed');
    let key = imported.get(alg);
    if (!key) {
      key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash }, false, ['verify']);
      imported.set(alg, key);
    }
    return key;
  };
}

/** The issuer's key set could not be fetched: a dependency failure (503), never the token's fault. */
class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
}

/** jose codes that mean "the key set is down or broken", as opposed to "this token is bad". */
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

function remoteKeys(url: URL, fetchImpl: typeof fetch): JWTVerifyGetKey {
  // jose shares no in-flight fetch on Workers, so a cold isolate under a burst
  // would fetch the key set once per request; coalesce it as plain text.
  const once = createCoalescer<{ status: number; body: string }>({ waitMs: JWKS_TIMEOUT_MS });
  const jwks = createRemoteJWKSet(url, {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: async (input: string, init: RequestInit) => {
      const { status, body } = await once(input, async () => {
        const response = await fetchImpl(input, init);
        return { status: response.status, body: await response.text() };
      }).catch((err: unknown) => {
        throw new KeySetUnavailable('key set fetch failed', { cause: err });
      });
      if (status !== 200) throw new KeySetUnavailable(`key set answered ${status}`);
      try {
        JSON.parse(body);
      } catch (err) {
        throw new KeySetUnavailable('key set is not JSON', { cause: err });
      }
      return new Response(body, { status, headers: { 'Content-Type': 'application/json' } });
    },
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (err) {
      const code = err instanceof errors.JOSEError ? err.code : undefined;
      if (err instanceof KeySetUnavailable || (code !== undefined && KEY_SET_FAILURES.has(code)))
        throw new DependencyError('keys', { cause: err });
      throw err; // the token's problem: translated to a 401 by the caller
    }
  };
}

const HMAC_HASHES: Record<string, string> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

const DESCRIPTIONS: Record<string, string> = {
  ERR_JWT_EXPIRED: 'token expired',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature verification failed',
  ERR_JOSE_ALG_NOT_ALLOWED: 'token algorithm not allowed',
  ERR_JOSE_NOT_SUPPORTED: 'token algorithm not supported',
  ERR_JWKS_NO_MATCHING_KEY: 'no key matches the token',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'several keys match the token',
};

function translate(err: unknown): Error {
  if (err instanceof AuthError || err instanceof DependencyError) return err;
  if (err instanceof errors.JOSEError) {
    const known = DESCRIPTIONS[err.code];
    if (known) return new AuthError('invalid_token', known);
    // jose's claim errors name the claim, never its value.
    if (err instanceof errors.JWTClaimValidationFailed) {
      return new AuthError('invalid_token', `claim "${err.claim}" is missing or invalid`);
    }
    return new AuthError('invalid_token', 'malformed token');
  }
  // jose throws TypeError on some malformed inputs (e.g. bad base64 or JSON).
  return new AuthError('invalid_token', 'malformed token');
}
