// A small issuer for `JWT_JWKS_URL` tests: serves the public half of an EC
// P-256 key at /jwks.json, signs session tokens with the private half, and can
// be made to fail. Every request is counted, failed ones included, so a test
// can assert how often the Worker refetches the key set during an outage.
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { closeServer, listen, sendJson, sleep } from '../../dev/http';

/**
 * - `none`: serves the key set.
 * - `down`: every connection is cut without an answer (a network error for the
 *   Worker, like a refused connection, but the attempt is still counted).
 * - `http500`: answers 500 with a non-JSON body.
 */
export type KeyServerFault = 'none' | 'down' | 'http500';

export interface KeyServer {
  /** The key set's URL, for `JWT_JWKS_URL`. */
  url: string;
  /** The `kid` of the published key. */
  kid: string;
  /** A session token signed with the published key. */
  sign(userId: string, sessionId: string): Promise<string>;
  /** A token signed with a key the set does not hold (its `kid` is unknown to the Worker). */
  signUnknown(userId: string, sessionId: string): Promise<string>;
  /** Private key material, for the "secrets never appear" check. */
  secrets(): Record<string, string>;
  /** Key set requests received, failed ones included. */
  requests(): number;
  resetRequests(): void;
  setFault(mode: KeyServerFault): void;
  /** Delay before every answer (a slow issuer). */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

async function keyPair(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

/**
 * Starts the key server on a free loopback port (http: is accepted on loopback only).
 * @example
 * const keys = await startKeyServer();
 * const worker = await stack.worker({ JWT_SECRET: undefined, JWT_JWKS_URL: keys.url });
 * await worker.fetch('/auth/session', bearer(await keys.sign('u1', 's1')));
 */
export async function startKeyServer(): Promise<KeyServer> {
  const published = await keyPair('edge-auth-test-key');
  const unpublished = await keyPair('not-in-the-set');
  let fault: KeyServerFault = 'none';
  let latencyMs = 0;
  let requests = 0;

  const http: Server = createServer((req, res) => {
    requests++;
    void sleep(latencyMs).then(() => {
      if (fault === 'down') req.socket.destroy();
      else if (fault === 'http500')
        res.writeHead(500, { 'content-type': 'text/plain' }).end('key server broke');
      else if (new URL(req.url ?? '/', 'http://local').pathname !== '/jwks.json') sendJson(res, 404, {});
      else sendJson(res, 200, { keys: [published.publicJwk] });
    });
  });
  const port = await listen(http, '127.0.0.1', 0);
  // The private scalar `d` is what makes either key a signing key.
  const privateParts: Record<string, string> = {};
  for (const key of [published, unpublished]) {
    const { d } = (await exportJWK(key.privateKey)) as JWK;
    if (d) privateParts[`private key ${key.kid}`] = d;
  }

  const sign = (key: Awaited<ReturnType<typeof keyPair>>, userId: string, sessionId: string) =>
    new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key.privateKey);

  return {
    url: `http://127.0.0.1:${port}/jwks.json`,
    kid: published.kid,
    sign: (userId, sessionId) => sign(published, userId, sessionId),
    signUnknown: (userId, sessionId) => sign(unpublished, userId, sessionId),
    secrets: () => ({ ...privateParts }),
    requests: () => requests,
    resetRequests() {
      requests = 0;
    },
    setFault(mode) {
      fault = mode;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    async close() {
      http.closeAllConnections();
      await closeServer(http);
    },
  };
}
