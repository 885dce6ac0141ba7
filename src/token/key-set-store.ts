import type { JSONWebKeySet } from 'jose';

/** A fetched key set and when it was fetched (ms), as jose's `jwksCache` hook holds it. */
export interface StoredKeySet {
  uat: number;
  jwks: JSONWebKeySet;
}

/** Where a remote key set outlives the isolate that fetched it. */
export interface KeySetStore {
  get(): Promise<StoredKeySet | undefined>;
  put(value: StoredKeySet): Promise<void>;
}

/**
 * A `KeySetStore` on the Workers Cache API (`caches.default`), shared by every
 * isolate of an edge location: a new isolate starts with the key set another
 * one fetched instead of asking the issuer again. Entries expire with jose's
 * max age. `undefined` where there is no Cache API (Node, tests).
 *
 * @example
 * const store = cacheApiKeySetStore(new URL('https://id.example/jwks.json'), 600_000);
 */
export function cacheApiKeySetStore(
  url: URL,
  maxAgeMs: number,
  now: () => number = Date.now,
): KeySetStore | undefined {
  const cache = (globalThis as { caches?: { default?: Cache } }).caches?.default;
  if (!cache) return undefined;
  // A synthetic key: the Cache API wants an http(s) URL, and this one can never be fetched.
  const key = `https://edge-auth.cache.invalid/jwks?url=${encodeURIComponent(url.href)}`;
  return {
    async get() {
      const hit = await cache.match(key);
      if (!hit) return undefined;
      const value = (await hit.json()) as Partial<StoredKeySet>;
      return typeof value.uat === 'number' && value.jwks && Array.isArray(value.jwks.keys)
        ? { uat: value.uat, jwks: value.jwks }
        : undefined;
    },
    async put(value) {
      const ttl = Math.max(1, Math.floor((value.uat + maxAgeMs - now()) / 1000));
      await cache.put(
        key,
        new Response(JSON.stringify(value), {
          headers: { 'Content-Type': 'application/json', 'Cache-Control': `max-age=${ttl}` },
        }),
      );
    },
  };
}
