import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from 'jose';
import { DEFAULT_CONFIG, type FuzzConfig } from './configs';
import type { Exchange, FuzzRequest, OriginRecord } from './exchange';
import { validToken } from './jwt';
import type { CheckContext } from './oracle/context';
import { PUBLIC_PATHS } from './paths';
import { FuzzWorld } from './world';

/**
 * Hand-made exchanges for the checker's own tests (src/http/fuzz-checker*.test.ts):
 * alice's session and identity, and builders of what a client sent, the
 * origin received and the answer said.
 */

/** The identity edge-auth must forward for alice's session `s-alice-0`. */
export const ALICE_IDENTITY: [string, string][] = [
  ['x-auth-user-id', 'alice'],
  ['x-auth-session-id', 's-alice-0'],
  ['x-auth-username', 'user-alice'],
  ['x-auth-email', 'alice@example.com'],
  ['x-auth-is-staff', 'true'],
  ['x-auth-is-superuser', 'false'],
];
/** An authenticated answer's `Cache-Control` when the origin sent none. */
export const PRIVATE_ANSWER: [string, string][] = [['cache-control', 'private']];
/** A real CORS preflight's headers. */
export const PREFLIGHT: [string, string][] = [
  ['Origin', 'https://app.example'],
  ['Access-Control-Request-Method', 'DELETE'],
];
export const OPTIONS: Partial<FuzzRequest> = { method: 'OPTIONS' };
export const LOGOUT: Partial<FuzzRequest> = { method: 'POST', path: '/auth/logout' };

/**
 * `Authorization: Bearer <token>`.
 *
 * @example
 * bearer(alice) // [['Authorization', 'Bearer eyJ…']]
 */
export function bearer(token: string): [string, string][] {
  return [['Authorization', `Bearer ${token}`]];
}

/**
 * An unsigned (`alg: none`) token with `claims`.
 *
 * @example
 * unsigned({ sub: 'alice', sid: 's-alice-0', exp: FAR_FUTURE }) // 'eyJhbGciOiJub25lIn0.eyJ….'
 */
export function unsigned(claims: object): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none' })}.${part(claims)}.`;
}

/**
 * One exchange: a `GET /api` with `headers` (or `request`'s), the answer
 * (200 by default), what the origin received.
 *
 * @example
 * exchange(bearer(alice), { headers: PRIVATE_ANSWER }, forwarded(ALICE_IDENTITY))
 */
export function exchange(
  headers: [string, string][],
  answer: Partial<Exchange['response']> = {},
  origin: OriginRecord[] = [],
  request: Partial<FuzzRequest> = {},
): Exchange {
  const req: FuzzRequest = { method: 'GET', path: '/api', headers, body: null, outage: 'none', ...request };
  const response = { status: 200, headers: [], body: '', ...answer };
  return { request: req, method: req.method, sent: new Headers(headers), response, origin, revoked: [] };
}

/**
 * What the origin received: `headers` plus edge-auth's forwarding headers, at `path`.
 *
 * @example
 * forwarded([['x-real-ip', '10.0.0.1']], '/public/a')
 */
export function forwarded(headers: [string, string][], path = '/api'): OriginRecord[] {
  return [{ path, headers: [['x-forwarded-host', 'localhost'], ['x-forwarded-proto', 'http'], ...headers] }];
}

/**
 * The checker's context for the in-memory app (alice's `s-alice-1` revoked),
 * per config, and alice's identity with an assertion signed by the key the
 * context verifies (`claims` override the claims of a `GET /api`).
 *
 * @example
 * const { alice, context, assertion } = await checkerFixtures(SECRET);
 * await checkExchange(exchange(bearer(alice), {}, forwarded(await assertion({}))), context({ assertion: true }));
 */
export async function checkerFixtures(secret: string) {
  const world = new FuzzWorld();
  world.markRevoked('s-alice-1', false);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const signing = await importJWK(await exportJWK(privateKey), 'ES256');
  const verifyAssertion = async (a: string) =>
    (await jwtVerify(a, publicKey, { issuer: 'edge-auth', audience: 'https://origin.example' })).payload;
  const iat = Math.floor(Date.now() / 1000);
  return {
    alice: validToken(secret, 'alice', 's-alice-0'),
    context: (config: Partial<FuzzConfig> = {}): CheckContext => ({
      world,
      secret,
      publicPaths: PUBLIC_PATHS,
      cookieName: 'session',
      config: { ...DEFAULT_CONFIG, ...config },
      ownOrigin: 'http://localhost',
      ...(config.assertion ? { verifyAssertion } : {}),
    }),
    assertion: async (claims: Record<string, unknown>): Promise<[string, string][]> => {
      const jwt = await new SignJWT({ sid: 's-alice-0', htm: 'GET', htu: 'http://localhost/api', ...claims })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject('alice')
        .setIssuer('edge-auth')
        .setAudience('https://origin.example')
        .setIssuedAt(iat)
        .setExpirationTime(iat + 30)
        .sign(signing);
      return [...ALICE_IDENTITY, ['x-auth-assertion', jwt]];
    },
  };
}
