import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type JSONWebKeySet,
  type JWKSCacheInput,
  type JWTVerifyGetKey,
  jwksCache,
} from 'jose';
import { DependencyError, describeCause } from '../errors';
import { createCoalescer } from '../util/coalesce';
import type { KeySetStore, StoredKeySet } from './key-set-store';

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
 * - with a `store` (the Workers Cache API), a new isolate starts from the key
 *   set another isolate fetched, within jose's max age, instead of refetching.
 * Only a failure with no key set at all is a `DependencyError` (503).
 *
 * @example
 * const getKey = remoteKeys(new URL('https://id.example/jwks.json'), { fetch, log: console.error });
 * await jwtVerify(token, getKey);
 */
export function remoteKeys(
  url: URL,
  deps: {
    fetch: typeof fetch;
    log: (line: string) => void;
    store?: KeySetStore | undefined;
    /** Clock for the cooldown, ms since the epoch; default `Date.now`. */
    now?: () => number;
  },
): JWTVerifyGetKey {
  const now = deps.now ?? Date.now;
  const once = createCoalescer<{ status: number; body: string }>({ waitMs: JWKS_TIMEOUT_MS, now });
  // jose's cache object: created with what the store had, and updated by jose (only) after each fetch.
  let shared: Partial<StoredKeySet> = {};
  let remote: ReturnType<typeof createRemoteJWKSet> | undefined;
  let published = 0;
  const create = (seed: StoredKeySet | undefined) => {
    shared = seed ? { uat: seed.uat, jwks: seed.jwks } : {};
    published = shared.uat ?? 0;
    return createRemoteJWKSet(url, {
      // jose takes an empty object or a complete one; it fills the empty one after its first fetch.
      [jwksCache]: shared as JWKSCacheInput,
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
  };

  /** The remote set, seeded from the store once per isolate (a failing store is only a cache miss). */
  async function remoteSet() {
    if (remote) return remote;
    const stored = await deps.store?.get().catch((err) => {
      deps.log(`edge-auth: key set cache unavailable: ${describeCause(err)}`);
      return undefined;
    });
    remote ??= create(stored);
    return remote;
  }

  /** After jose fetched a new set, share it with the location's other isolates. */
  async function publish() {
    if (!deps.store || !shared.uat || !shared.jwks || shared.uat === published) return;
    published = shared.uat;
    await deps.store.put({ uat: shared.uat, jwks: shared.jwks }).catch((err) => {
      deps.log(`edge-auth: key set cache write failed: ${describeCause(err)}`);
    });
  }

  let failedAt = Number.NEGATIVE_INFINITY;
  let stale: { set: JSONWebKeySet; getKey: JWTVerifyGetKey } | undefined;
  const lastGood = (): JWTVerifyGetKey | undefined => {
    const set = remote?.jwks();
    if (!set) return undefined;
    if (stale?.set !== set) stale = { set, getKey: createLocalJWKSet(set) };
    return stale.getKey;
  };

  return async (header, token) => {
    const set = await remoteSet();
    const known = lastGood();
    if (known && now() - failedAt < JWKS_COOLDOWN_MS) return known(header, token);
    try {
      return await set(header, token);
    } catch (err) {
      if (!isKeySetFailure(err)) throw err; // the token's problem: a 401
      failedAt = now();
      if (!known) throw new DependencyError('keys', { cause: err });
      deps.log(`edge-auth: key set refresh failed, verifying with the last good one: ${describeCause(err)}`);
      return known(header, token);
    } finally {
      await publish();
    }
  };
}
