import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it, vi } from 'vitest';
import type { KeySetStore, StoredKeySet } from './key-set-store';
import { remoteKeys } from './remote-keys';

const url = new URL('https://id.example/.well-known/jwks.json');

async function issuer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
  const token = await new SignJWT({ sub: 'u1' })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(privateKey);
  return { jwks, token };
}

/** The Cache API stand-in: one per edge location, shared by its isolates. */
function memoryStore(): KeySetStore & { value?: StoredKeySet } {
  const store: KeySetStore & { value?: StoredKeySet } = {
    async get() {
      return store.value && structuredClone(store.value);
    },
    async put(value) {
      store.value = structuredClone(value);
    },
  };
  return store;
}

describe('remote keys across isolates', () => {
  it('a new isolate starts from the key set another fetched: one fetch for five isolates', async () => {
    const { jwks, token } = await issuer();
    const fetchMock = vi.fn(async () => Response.json(jwks));
    const store = memoryStore();
    for (let isolate = 0; isolate < 5; isolate++) {
      const getKey = remoteKeys(url, { fetch: fetchMock, log: () => {}, store });
      expect((await jwtVerify(token, getKey)).payload.sub).toBe('u1');
    }
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(store.value?.jwks).toEqual(jwks);
  });

  it('a stored set older than the max age is refetched, and the fresh one stored', async () => {
    const { jwks, token } = await issuer();
    const fetchMock = vi.fn(async () => Response.json(jwks));
    const store = memoryStore();
    store.value = { uat: Date.now() - 11 * 60_000, jwks };
    const getKey = remoteKeys(url, { fetch: fetchMock, log: () => {}, store });
    await jwtVerify(token, getKey);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(store.value.uat).toBeGreaterThan(Date.now() - 60_000);
  });

  it('a failing store is only a cache miss', async () => {
    const { jwks, token } = await issuer();
    const lines: string[] = [];
    const broken: KeySetStore = {
      get: () => Promise.reject(new Error('cache down')),
      put: () => Promise.reject(new Error('cache down')),
    };
    const getKey = remoteKeys(url, {
      fetch: async () => Response.json(jwks),
      log: (l) => lines.push(l),
      store: broken,
    });
    expect((await jwtVerify(token, getKey)).payload.sub).toBe('u1');
    expect(lines).toEqual([
      'edge-auth: key set cache unavailable: Error: cache down',
      'edge-auth: key set cache write failed: Error: cache down',
    ]);
  });
});
