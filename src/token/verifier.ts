import { createLocalJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { Config, KeySource } from '../config';
import { AuthError, DependencyError } from '../errors';
import { createL1 } from '../util/l1';
import { warn } from '../util/log';
import { cacheApiKeySetStore } from './key-set-store';
import { JWKS_CACHE_MAX_AGE_MS, remoteKeys } from './remote-keys';

/** The claims edge-auth relies on, checked for presence and type. */
export interface Claims {
  /** User id. */
  sub: string;
  /** Session id. */
  sid: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** What verification needs: the keys, the allowed algorithms and the claim checks. */
export type TokenSettings = Pick<
  Config['token'],
  'algorithms' | 'issuer' | 'audience' | 'clockToleranceSeconds'
> & {
  keys: KeySource;
};

export interface TokenVerifier {
  verify(token: string): Promise<Claims>;
}

export const MAX_TOKEN_BYTES = 8 * 1024;
const MAX_ID_LENGTH = 256;
/**
 * Builds a verifier whose keys are imported once per isolate.
 *
 * @example
 * const verifier = createTokenVerifier(config.token);
 * const { sub, sid } = await verifier.verify(token); // throws AuthError or DependencyError
 */
export function createTokenVerifier(
  options: TokenSettings,
  deps: {
    fetch?: typeof fetch;
    log?: (line: string) => void;
    /**
     * How long this isolate remembers a token it verified (default 0: never).
     * A burst of one user's requests then costs one signature check. Keep it
     * short: a key removed from the key set stops a remembered token only
     * once this time has passed.
     */
    rememberMs?: number;
    now?: () => number;
  } = {},
): TokenVerifier {
  const now = deps.now ?? Date.now;
  const remembered =
    (deps.rememberMs ?? 0) > 0
      ? createL1<Claims>({ maxEntries: REMEMBERED_TOKENS, ttlMs: deps.rememberMs ?? 0, now })
      : undefined;
  const getKey = keyResolver(options, {
    fetch: deps.fetch ?? ((input, init) => fetch(input, init)),
    log: deps.log ?? warn,
    now,
  });
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
      // The exact token string was verified moments ago: only its expiry can have changed since.
      const known = remembered?.get(token);
      if (known && known.exp + options.clockToleranceSeconds > now() / 1000) return known;
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(token, getKey, { ...verifyOptions, currentDate: new Date(now()) }));
      } catch (err) {
        throw translate(err);
      }
      const { sub, sid, exp } = payload;
      if (!isId(sub) || !isId(sid) || typeof exp !== 'number') {
        throw new AuthError('invalid_token', 'token claims sub, sid and exp are malformed');
      }
      const claims = { sub, sid, exp };
      remembered?.set(token, claims);
      return claims;
    },
  };
}

/** Verified tokens one isolate remembers at most (8 KiB each at worst: 8 MiB). */
const REMEMBERED_TOKENS = 1_000;

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

function keyResolver(
  options: TokenSettings,
  deps: { fetch: typeof fetch; log: (line: string) => void; now: () => number },
): JWTVerifyGetKey {
  const source = options.keys;
  if (source.kind === 'jwks') {
    return createLocalJWKSet(source.jwks as Parameters<typeof createLocalJWKSet>[0]);
  }
  if (source.kind === 'remote') {
    return remoteKeys(source.url, {
      ...deps,
      store: cacheApiKeySetStore(source.url, JWKS_CACHE_MAX_AGE_MS, deps.now),
    });
  }

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
