import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';
import { DependencyError, describeCause } from '../errors';
import { createCoalescer } from '../util/coalesce';

/** jose's defaults, named so the README can state them. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
export const JWKS_COOLDOWN_MS = 30_000;
const JWKS_TIMEOUT_MS = 5_000;

/** The issuer's key set could not be fetched: a dependency failure, never the token's fault. */
class KeySetUnavailable extends Error {
  override readonly name = 'KeySetUnavailable';
}

/** jose codes that mean "the key set is down or broken", as opposed to "this token is bad". */
const KEY_SET_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JWKS_INVALID']);

const isKeySetFailure = (err: unknown) =>
  err instanceof KeySetUnavailable || (err instanceof errors.JOSEError && KEY_SET_FAILURES.has(err.code));

/**
 * A remote key set (`JWT_JWKS_URL`) on jose's, with three additions for the
 * edge:
 * - cold fetches are coalesced (jose shares no in-flight fetch on Workers, so a
 *   burst on a cold isolate would fetch once per request);
 * - stale-if-error: when a refresh fails, the last good key set keeps
 *   verifying, so an issuer outage does not log anyone out;
 * - after a failed refresh nothing refetches for the cooldown: an unknown
 *   `kid` during the outage is a 401 from the keys at hand, not a 503 and a
 *   fetch per request.
 * Only a failure with no key set at all is a `DependencyError` (503).
 *
 * @example
 * const getKey = remoteKeys(new URL('https://id.example/jwks.json'), { fetch, log: console.error });
 * await jwtVerify(token, getKey);
 */
export function remoteKeys(
  url: URL,
  deps: { fetch: typeof fetch; log: (line: string) => void },
): JWTVerifyGetKey {
  const once = createCoalescer<{ status: number; body: string }>({ waitMs: JWKS_TIMEOUT_MS });
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: JWKS_COOLDOWN_MS,
    timeoutDuration: JWKS_TIMEOUT_MS,
    [customFetch]: async (input: string, init: RequestInit) => {
      const { status, body } = await once(input, async () => {
        const response = await deps.fetch(input, init);
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

  let failedAt = Number.NEGATIVE_INFINITY;
  let stale: { set: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined;
  const lastGood = (): JWTVerifyGetKey | undefined => {
    const set = remote.jwks();
    if (!set) return undefined;
    if (stale?.set !== set) stale = { set, getKey: createLocalJWKSet(set) };
    return stale.getKey;
  };

  return async (header, token) => {
    const known = lastGood();
    if (known && Date.now() - failedAt < JWKS_COOLDOWN_MS) return known(header, token);
    try {
      return await remote(header, token);
    } catch (err) {
      if (!isKeySetFailure(err)) throw err; // the token's problem: a 401
      failedAt = Date.now();
      if (!known) throw new DependencyError('keys', { cause: err });
      deps.log(`edge-auth: key set refresh failed, verifying with the last good one: ${describeCause(err)}`);
      return known(header, token);
    }
  };
}
