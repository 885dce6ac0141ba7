import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, bundledWorker, type Stack, startStack } from './support/stack';

/**
 * Isolates are short-lived: with JWT_JWKS_URL the key set lives in the
 * Workers Cache API, so fresh isolates of one location do not refetch it.
 * Several Miniflare instances sharing one cache directory stand for the
 * isolates of one edge location.
 */
describe('remote key set across fresh isolates', () => {
  let stack: Stack;
  let cacheDir: string;
  let keyServer: { url: string; requests: () => number; close: () => Promise<void> };
  const workers: Miniflare[] = [];
  beforeAll(async () => {
    stack = await startStack();
    cacheDir = await mkdtemp(join(tmpdir(), 'edge-auth-cache-'));
  });
  afterAll(async () => {
    await Promise.allSettled(workers.map((w) => w.dispose()));
    await keyServer?.close();
    await stack?.stop();
    await rm(cacheDir, { recursive: true, force: true });
  });

  async function isolate(jwksUrl: string) {
    const mf = new Miniflare({
      ...bundledWorker(),
      bindings: stack.env({ JWT_SECRET: undefined, JWT_JWKS_URL: jwksUrl }),
      cachePersist: cacheDir,
    });
    workers.push(mf);
    await mf.ready;
    return mf;
  }

  it('five fresh isolates, each hit by a burst: one fetch of the key set', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }] };
    keyServer = await serveKeys(jwks);
    await stack.user('u-keys');
    await stack.session('s-keys', 'u-keys');
    const token = await new SignJWT({ sub: 'u-keys', sid: 's-keys' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setExpirationTime('10m')
      .sign(privateKey);

    for (let i = 0; i < 5; i++) {
      const mf = await isolate(keyServer.url);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () =>
          mf.dispatchFetch(
            'http://edge.test/auth/session',
            bearer(token) as Parameters<Miniflare['dispatchFetch']>[1],
          ),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      await Promise.all(answers.map((r) => r.arrayBuffer()));
    }
    expect(keyServer.requests()).toBe(1);
  });
});

async function serveKeys(jwks: unknown) {
  let requests = 0;
  const server = createServer((_, res) => {
    requests++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    requests: () => requests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
