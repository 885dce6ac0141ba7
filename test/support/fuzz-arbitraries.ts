import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { importJWK, type JWK, jwtVerify } from 'jose';
import type { Env } from '../../src/env';
import { memoryApp, SECRET as SECRET_OF_MEMORY_APP, T0 } from './memory-app';

/**
 * Shared pieces of the property-based fuzzers (src/http/fuzz.test.ts on the
 * in-memory adapters, test/fuzz.test.ts on the bundled Worker in workerd):
 * the users and sessions both layers create, generators of hostile requests,
 * and an oracle written from the README (not from src/) that checks every
 * exchange against the invariants:
 *
 * 1. no 5xx, except a 503 (with `Retry-After`) during an outage the test
 *    injected, and `500 identity_unrepresentable` for a real session of a
 *    user whose stored identity is too long to forward;
 * 2. the origin never receives an identity that was not verified: every
 *    request it receives carries either no identity (and its path cannot be
 *    resolved outside a public prefix) or exactly the identity of a live
 *    session that a token in the request really authenticates; the same
 *    holds for `/auth/verify` headers, `/auth/session` bodies and logouts;
 * 3. no client-sent identity or forwarding header reaches the origin;
 * 4. answers never carry control characters in headers, and every 401
 *    carries `WWW-Authenticate: Bearer realm="edge-auth"…`.
 *
 * @example
 * const arbs = fuzzArbitraries({ secret, cookieName: 'session' });
 * await fc.check(fc.asyncProperty(arbs.request('mixed'), async (req) => { … checkExchange(…) … }));
 */

// ---------------------------------------------------------------------------
// The world: users and sessions both layers create
// ---------------------------------------------------------------------------

export interface WorldUser {
  id: string;
  username: string;
  email: string | null;
  isStaff: boolean;
  isActive: boolean;
  isSuperuser: boolean;
}

export type SessionState = 'live' | 'revoked' | 'expired';

export interface WorldSession {
  id: string;
  userId: string;
  /** The state the test creates it in. */
  state: SessionState;
}

const user = (id: string, extra: Partial<WorldUser> = {}): WorldUser => ({
  id,
  username: `user-${id}`,
  email: `${id}@example.com`,
  isStaff: false,
  isActive: true,
  isSuperuser: false,
  ...extra,
});

/** The longest user id a token may carry (edge-auth refuses longer `sub`s as malformed). */
const MAX_ID = 'x'.repeat(256);

/**
 * Users: ordinary ones, one inactive, values that must be encoded (and two
 * that would collide under a lossy encoding), two whose identity is too long
 * to forward (`500 identity_unrepresentable` is expected exactly for their
 * live sessions), the longest id, and one without any session.
 */
export const WORLD_USERS: WorldUser[] = [
  user('alice', { isStaff: true }),
  user('bob', { email: null, isSuperuser: true }),
  user('carol', { isActive: false }),
  user('rémy 50%', { username: 'rémy 50% \u0007', email: 'a+b@example.com' }),
  user('r%C3%A9my 50%25', { username: 'r%C3%A9my 50%25 ', email: null }),
  user('long', { username: 'é'.repeat(400) }),
  user('longmail', { email: `${'m'.repeat(1020)}@x.io` }),
  user(MAX_ID),
  user('mallory'),
];

const LIVE_PER_USER = 30;
const SESSION_PREFIX: Record<string, string> = {
  alice: 's-alice-',
  bob: 's-bob-',
  'rémy 50%': 's-rémy-',
  'r%C3%A9my 50%25': 's/../%2e;',
  long: 's-long-',
  longmail: 's-longmail-',
  [MAX_ID]: `${'S'.repeat(250)}-`,
};

/** Live sessions for every user with a prefix, plus revoked, expired and inactive-user ones. */
export const WORLD_SESSIONS: WorldSession[] = [
  ...Object.entries(SESSION_PREFIX).flatMap(([userId, prefix]) =>
    Array.from({ length: LIVE_PER_USER }, (_, i) => ({
      id: `${prefix}${i}`,
      userId,
      state: 'live' as const,
    })),
  ),
  { id: 's-alice-revoked', userId: 'alice', state: 'revoked' },
  { id: 's-alice-expired', userId: 'alice', state: 'expired' },
  { id: 's-bob-revoked', userId: 'bob', state: 'revoked' },
  { id: 's-carol-0', userId: 'carol', state: 'live' },
];

/** Session ids no session has. */
const UNKNOWN_SIDS = ['s-ghost', 's-alice-6', 's-alice-', 'S-ALICE-0', 's-alice-0 ', ' s-alice-0'];

/** An `exp` far in the future (2100-01-01), so generated cases stay reproducible for decades. */
export const FAR_FUTURE = 4_102_444_800;
/** An `exp`/`nbf` in the past (2001-09-09). */
const PAST = 1_000_000_000;

/**
 * The world as the oracle knows it: what the test created, plus revocations
 * observed during the run. A session revoked while Redis was down may stay
 * cached until its TTL (README, "Revocation"): it is then accepted either way.
 */
export class FuzzWorld {
  readonly users = new Map(WORLD_USERS.map((u) => [u.id, u]));
  readonly sessions = new Map(WORLD_SESSIONS.map((s) => [s.id, s]));
  private readonly revoked = new Map<string, 'revoked' | 'grace'>();

  /** Records that `sid` was revoked during the run (`duringRedisOutage`: its cache entry may live on). */
  markRevoked(sid: string, duringRedisOutage: boolean): void {
    if (this.revoked.has(sid)) return;
    this.revoked.set(sid, duringRedisOutage ? 'grace' : 'revoked');
  }

  /** Whether the session is one the test created live and has not seen revoked. */
  isLive(sid: string): boolean {
    return this.sessions.get(sid)?.state === 'live' && !this.revoked.has(sid);
  }

  /**
   * What `sub` + `sid` entitle to: `live` (must be accepted as this user),
   * `grace` (a documented stale window: accepted or refused), or `none`.
   */
  judge(sub: string, sid: string): { kind: 'none' } | { kind: 'live' | 'grace'; user: WorldUser } {
    const session = this.sessions.get(sid);
    const owner = session && this.users.get(session.userId);
    if (!session || !owner || session.userId !== sub || !owner.isActive || session.state !== 'live') {
      return { kind: 'none' };
    }
    const revoked = this.revoked.get(sid);
    if (revoked === 'revoked') return { kind: 'none' };
    return { kind: revoked === 'grace' ? 'grace' : 'live', user: owner };
  }
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

/** How a segment is written: canonical base64url, standard base64 (`+/=`), padded base64url, or raw text. */
export type SegmentEncoding = 'b64url' | 'b64' | 'b64url-pad' | 'raw';
/** How a token is signed. */
export type Signature = 'HS256' | 'HS384' | 'HS512' | 'wrong-secret' | 'empty' | 'garbage';

export interface JwtSpec {
  /** Header members as [name, raw JSON text]. */
  header: [string, string][];
  /** Claims as [name, raw JSON text]; duplicates are kept (JSON.parse keeps the last). */
  claims: [string, string][];
  headerEncoding: SegmentEncoding;
  payloadEncoding: SegmentEncoding;
  /** Bytes of the payload text: UTF-8, Latin-1 (invalid UTF-8 for non-ASCII), or UTF-8 after a BOM. */
  payloadCharset: 'utf8' | 'latin1' | 'bom';
  signature: Signature;
  signatureEncoding: SegmentEncoding;
}

const rawObject = (members: [string, string][]) =>
  `{${members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;

function encodeSegment(bytes: Buffer, encoding: SegmentEncoding): string {
  switch (encoding) {
    case 'b64url':
      return bytes.toString('base64url');
    case 'b64':
      return bytes.toString('base64');
    case 'b64url-pad': {
      const text = bytes.toString('base64url');
      return text + '='.repeat((4 - (text.length % 4)) % 4);
    }
    case 'raw':
      return bytes.toString('utf8');
  }
}

const GARBAGE_SIGNATURE = Buffer.from(
  '00ff7f80c0afdeadbeef00ff7f80c0afdeadbeef00ff7f80c0afdeadbeefcafe',
  'hex',
);

/** Builds a compact JWS exactly as specified (HMACs computed with node:crypto, independently of jose). */
export function buildJwt(secret: string, spec: JwtSpec): string {
  const payloadText = rawObject(spec.claims);
  const payloadBytes =
    spec.payloadCharset === 'latin1'
      ? Buffer.from(payloadText, 'latin1')
      : Buffer.concat([
          spec.payloadCharset === 'bom' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
          Buffer.from(payloadText, 'utf8'),
        ]);
  const header = encodeSegment(Buffer.from(rawObject(spec.header), 'utf8'), spec.headerEncoding);
  const payload =
    spec.payloadEncoding === 'raw' ? payloadText : encodeSegment(payloadBytes, spec.payloadEncoding);
  const input = `${header}.${payload}`;
  const hmac = (hash: string, key: string) => createHmac(hash, key).update(input).digest();
  const signature: Record<Signature, () => Buffer> = {
    HS256: () => hmac('sha256', secret),
    HS384: () => hmac('sha384', secret),
    HS512: () => hmac('sha512', secret),
    'wrong-secret': () => hmac('sha256', `${secret}!`),
    empty: () => Buffer.alloc(0),
    garbage: () => GARBAGE_SIGNATURE,
  };
  const sigEncoding = spec.signatureEncoding === 'raw' ? 'b64url' : spec.signatureEncoding;
  return `${input}.${encodeSegment(signature[spec.signature](), sigEncoding)}`;
}

/** A well-formed HS256 token for `sub` + `sid`, valid until 2100; `extra` claims (iss, aud) appended. */
export function validToken(secret: string, sub: string, sid: string, extra: [string, string][] = []): string {
  return buildJwt(secret, {
    header: [
      ['alg', '"HS256"'],
      ['typ', '"JWT"'],
    ],
    claims: [
      ['sub', JSON.stringify(sub)],
      ['sid', JSON.stringify(sid)],
      ['iat', String(PAST)],
      ['exp', String(FAR_FUTURE)],
      ...extra,
    ],
    headerEncoding: 'b64url',
    payloadEncoding: 'b64url',
    payloadCharset: 'utf8',
    signature: 'HS256',
    signatureEncoding: 'b64url',
  });
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/** Which dependency the test takes down for one case. */
export type Outage = 'none' | 'redis' | 'database' | 'both';

/** One generated request, plain data so a failing case can be pasted into a regression test. */
export interface FuzzRequest {
  method: string;
  /** Path and query, appended to the Worker's origin. */
  path: string;
  headers: [string, string][];
  body: string | null;
  outage: Outage;
}

/** What the fuzzers emphasise; every focus still mixes in everything else. */
export type Focus = 'tokens' | 'cookies' | 'headers' | 'paths' | 'mixed';

/** Public paths both layers configure. */
export const PUBLIC_PATHS = ['/public', '/static*'];

const ALGORITHMS = [
  'none',
  'None',
  'NONE',
  'nOnE',
  'HS256',
  'HS384',
  'HS512',
  'hs256',
  'HS256 ',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'ES256K',
  'PS256',
  'PS384',
  'PS512',
  'EdDSA',
  'Ed25519',
  'XX1',
  '',
  'RSA-OAEP',
  'RSA-OAEP-256',
  'RSA1_5',
  'A128KW',
  'A256GCMKW',
  'dir',
  'ECDH-ES',
  'ECDH-ES+A256KW',
  'PBES2-HS256+A128KW',
];

/** Raw JSON values for hostile header members. */
const HEADER_MEMBERS: Record<string, string[]> = {
  typ: ['"JWT"', '"jwt"', '"at+jwt"', '"JOSE"', '42', 'null', '""'],
  kid: [
    '"k1"',
    '"../../../../etc/passwd"',
    '""',
    `"${'k'.repeat(600)}"`,
    '42',
    'null',
    '"\' OR 1=1 --"',
    '"\\u0000"',
  ],
  jku: ['"https://attacker.example/jwks.json"', '"http://127.0.0.1:1/jwks.json"', '"file:///etc/passwd"'],
  x5u: ['"https://attacker.example/cert.pem"', '"http://169.254.169.254/latest/meta-data/"'],
  jwk: [
    '{"kty":"oct","k":"c2VjcmV0"}',
    '{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}',
  ],
  x5c: ['["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]', '[]', '"x"'],
  crit: ['["b64"]', '["exp"]', '[]', '"b64"', '["b64","b64"]', '[1]', '["x-custom"]'],
  b64: ['false', 'true', '"false"', '0'],
  enc: ['"A256GCM"', '"A128CBC-HS256"'],
  zip: ['"DEF"'],
  cty: ['"JWT"', '"text/plain"'],
};

const WEIRD_ID_RAW = [
  '""',
  '42',
  '0',
  '-1',
  '1e999',
  'null',
  'true',
  'false',
  '[]',
  '{}',
  '["alice"]',
  '{"id":"alice"}',
  '"alice\\u0000"',
  '"alice\\n"',
  '"alice\\r\\nX-Auth-User-Id: admin"',
  '"\\u0000"',
  '"\\ud800"',
  '"alice\\ud800"',
  '"alice "',
  '" alice"',
  '"ALICE"',
  '"alice\\u200b"',
  '"al\\u0069ce"',
  '"r\\u00e9my 50%"',
  '"re\\u0301my 50%"',
  '"admin"',
  '"*"',
  '"%"',
  '"s-alice-%"',
  '"s-alice-0\\u0000"',
  `"${'x'.repeat(257)}"`,
  `"${'S'.repeat(250)}-0"`,
];

const NUMERIC_DATE_RAW = [
  String(FAR_FUTURE),
  '2147483647',
  `${FAR_FUTURE}.5`,
  '1e12',
  '9007199254740993',
  '1e999',
  '-1e999',
  '1.7976931348623157e308',
  '4.1024448e9',
  '0',
  '-0',
  '-1',
  `-${FAR_FUTURE}`,
  String(PAST),
  '1e-7',
  `"${FAR_FUTURE}"`,
  '"NaN"',
  '"Infinity"',
  '"2100-01-01T00:00:00Z"',
  'null',
  'true',
  `[${FAR_FUTURE}]`,
  '{}',
];

/** Pieces of hostile paths: encodings, dot segments, separators, look-alikes. */
const PATH_PIECES = [
  '..',
  '.',
  '...',
  '%2e',
  '%2E',
  '%2e%2e',
  '.%2e',
  '%2e.',
  '%2f',
  '%2F',
  '..%2f',
  '..%2F..%2f',
  '%5c',
  '%5C',
  '..%5c',
  '\\',
  '..\\',
  ';',
  ';x=1',
  '..;',
  '%3b',
  '%3B..',
  '%00',
  'x%00.js',
  '%0a',
  '%0d%0a',
  '%09',
  '%25',
  '%252f',
  '%252e%252e',
  '%25252f',
  '%c0%af',
  '%c0%ae',
  '%c0%ae%c0%ae',
  '%c1%9c',
  '%e0%80%af',
  '%f0%80%80%af',
  '%ef%bc%8f',
  '%EF%BC%8E%EF%BC%8E',
  '%e2%80%a5',
  '／',
  '．．',
  '＼',
  '；',
  '‥',
  '︰',
  '%u002f',
  '%',
  '%zz',
  '%2',
  'admin',
  'secret.txt',
  'app.js',
  'caf%C3%A9.png',
  'café',
  '日本',
  '%E6%97%A5',
  ' ',
  '%20',
  '\t',
  '//',
  '?x=/../admin',
  '#frag',
  '@evil.example',
  'public',
  'static',
];

const PATH_BASES = [
  '/public',
  '/public/',
  '/public/a',
  '/static',
  '/static/',
  '/static-admin',
  '/staticx',
  '/public-admin',
  '/publicx',
  '/PUBLIC',
  '/api',
  '/api/users/1',
  '/admin',
  '/auth/session',
  '/auth/verify',
  '/auth/logout',
  '/auth',
  '/healthz',
  '/readyz',
  '/.well-known/jwks.json',
  '/',
  '//',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
const ODD_METHODS = [
  'get',
  'post',
  'patch',
  'Get',
  'PROPFIND',
  'MKCOL',
  'SEARCH',
  'QUERY',
  'PURGE',
  'X-CUSTOM',
  'M-SEARCH',
  'CONNECT',
  'TRACE',
  'TRACK',
  'G ET',
  '',
  'GÉT',
  "!#$%&'*+-.^_`|~",
];

/** Names only edge-auth may send, and near misses that are not reserved. */
const RESERVED_BASES = [
  'x-auth-user-id',
  'x-auth-session-id',
  'x-auth-username',
  'x-auth-email',
  'x-auth-is-staff',
  'x-auth-is-superuser',
  'x-auth-assertion',
  'x-auth-role',
  'x-auth-',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-user',
  'x-forwarded-',
  'forwarded',
  'x-real-ip',
];
const DECOY_NAMES = [
  'x-auth',
  'x-authority',
  'xauth-user',
  'x-authx-user-id',
  'x-forwarded',
  'forwarded-for',
];
const OTHER_NAMES = [
  'Accept',
  'Content-Type',
  'CF-Connecting-IP',
  'Origin',
  'Access-Control-Request-Method',
  'Connection',
  'Keep-Alive',
  'TE',
  'Trailer',
  'Upgrade',
  'Proxy-Authorization',
  'Proxy-Connection',
  'Cookie',
  'Authorization',
  'Host',
];
/** Connection-level headers an HTTP/1 client decides itself and never sends from the caller. */
const CLIENT_FRAMING = new Set(['connection', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-connection']);
/** Names the HTTP client refuses to send (counted as refusals, never reaching the Worker). */
const UNSENDABLE_NAMES = ['X Auth-User-Id', 'X-Äuth-User-Id', 'x-auth-user-id:', ''];

const HEADER_VALUES = [
  'admin',
  'true',
  'false',
  'alice',
  'bob',
  '1',
  '',
  ' ',
  'for=10.0.0.1;host=admin.internal;proto=https',
  '10.0.0.1',
  '203.0.113.9',
  '10.0.0.1, 203.0.113.9',
  'alice@example.com',
  'r%C3%A9my%2050%25',
  'r%25C3%25A9my%2050%2525',
  'x\u0007y',
  'x\ty',
  '\u007f',
  'x\u001by',
  'é',
  'ÿ',
  'rémy',
  'websocket',
  'keep-alive, X-Auth-User-Id',
  'x'.repeat(9000),
];
/** Values the HTTP client refuses (CR/LF, NUL, beyond Latin-1): rare, they never reach the Worker. */
const UNSENDABLE_VALUES = ['a\r\nX-Auth-User-Id: admin', 'x\u0000y', 'x\ny', '日本'];

const AUTHORIZATION_TEMPLATES = [
  'Bearer {t}',
  'Bearer {t}',
  'Bearer {t}',
  'bearer {t}',
  'BEARER {t}',
  'Bearer  {t}',
  'Bearer\t{t}',
  '  Bearer {t}  ',
  'Bearer\u00a0{t}',
  'Bearer',
  'Bearer ',
  'Bearer {t} {u}',
  'Bearer {t},Bearer {u}',
  'Bearer {t}, Basic dXNlcjpwYXNz',
  'Basic dXNlcjpwYXNz',
  'Basic {t}',
  'Token {t}',
  'Bearer={t}',
  'Bearer:{t}',
  '{t}',
  'Bearer "{t}"',
  'Bearer {t}é',
  'Bearer {t}\u0007',
  'Bearer {t}\r\nX-Auth-User-Id: admin',
];

/** Text of printable Latin-1 and the control characters HTTP clients do send (TAB, BEL, ESC, DEL…). */
function latin1Text(maxLength: number, controls: boolean): fc.Arbitrary<string> {
  const unit = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.integer({ min: 0x20, max: 0xff }).filter((code) => controls || code !== 0x7f),
    },
    {
      weight: 1,
      arbitrary: controls
        ? fc.constantFrom(0x01, 0x07, 0x09, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f)
        : fc.constant(0x09),
    },
  );
  return fc.string({ unit: unit.map((code) => String.fromCharCode(code)), maxLength });
}

/** Bytes an HTTP/1 client refuses to put in a header value (all controls but TAB). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
const WIRE_FORBIDDEN = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** Spells `base` with the letters' case and `-`/`_` chosen by two bit masks. */
function spell(base: string, caseMask: number, underscoreMask: number): string {
  return [...base]
    .map((ch, i) => {
      const bit = 1 << (i % 30);
      if (ch === '-') return underscoreMask & bit ? '_' : '-';
      return caseMask & bit ? ch.toUpperCase() : ch;
    })
    .join('');
}

export interface ArbitraryOptions {
  /** The HMAC secret the Worker verifies with. */
  secret: string;
  /** The session cookie's name (`SESSION_COOKIE`). */
  cookieName: string;
  /** Longest generated path; the real layer keeps it under workerd's URL limit. */
  maxPathLength?: number;
  /**
   * `fetch` (default): anything `new Request()` accepts, control bytes in
   * header values included. `http`: what an HTTP/1 client puts on the wire
   * (no control bytes but TAB), so few cases are refused before the Worker.
   */
  transport?: 'fetch' | 'http';
  /** `JWT_ISSUER` / `JWT_AUDIENCE` when configured: valid tokens carry them, hostile ones get them wrong. */
  issuer?: string;
  audience?: string[];
}

/**
 * The generators. Tokens embed far-future or fixed past dates, never the
 * clock, so a shrunk case replays identically later.
 */
export function fuzzArbitraries(options: ArbitraryOptions) {
  const { secret, cookieName } = options;
  const maxPathLength = options.maxPathLength ?? 16_000;
  const wire = options.transport === 'http';
  /** Keeps what the transport can carry. */
  const sendable = (values: string[]) => (wire ? values.filter((v) => !WIRE_FORBIDDEN.test(v)) : values);
  const text = (maxLength: number) => latin1Text(maxLength, !wire);
  /** The claims a valid token needs beyond sub/sid/exp: the configured issuer and audience. */
  const required: [string, string][] = [
    ...(options.issuer ? [['iss', JSON.stringify(options.issuer)] as [string, string]] : []),
    ...(options.audience?.[0] ? [['aud', JSON.stringify(options.audience[0])] as [string, string]] : []),
  ];
  const issuerRaw = fc.constantFrom(
    ...(options.issuer ? [JSON.stringify(options.issuer), JSON.stringify(`${options.issuer}/`)] : []),
    '"https://attacker.example"',
    '""',
    '42',
    'null',
    '["https://login.example"]',
  );
  const audienceRaw = fc.constantFrom(
    ...(options.audience ?? []).flatMap((a) => [
      JSON.stringify(a),
      JSON.stringify([a, 'other']),
      JSON.stringify(a.toUpperCase()),
    ]),
    '"edge-api,other-api"',
    '[]',
    '""',
    '42',
    '[42]',
    'null',
  );
  const liveSessions = WORLD_SESSIONS.filter((s) => s.state === 'live' && s.userId !== 'carol');
  const userIds = WORLD_USERS.map((u) => u.id);
  const sessionIds = WORLD_SESSIONS.map((s) => s.id);

  const overLong = new Set(['long', 'longmail']);
  const forwardable = liveSessions.filter((s) => !overLong.has(s.userId));
  /**
   * A live session, those whose identity cannot be forwarded (a 500 by design)
   * less often, and a few hot ones (the first two of each user) often, so a
   * session is soon used again after it was logged out, across cache expiries.
   */
  const livePair = fc
    .oneof(
      { weight: 3, arbitrary: fc.constantFrom(...forwardable.filter((s) => /[-;][01]$/.test(s.id))) },
      { weight: 5, arbitrary: fc.constantFrom(...forwardable) },
      { weight: 1, arbitrary: fc.constantFrom(...liveSessions.filter((s) => overLong.has(s.userId))) },
    )
    .map((s) => [s.userId, s.id] as const);
  /** A `sub` + `sid` pair: mostly a live session's, else any world pairing, a foreign or unknown one. */
  const pair = fc.oneof(
    { weight: 6, arbitrary: livePair },
    { weight: 2, arbitrary: fc.constantFrom(...WORLD_SESSIONS).map((s) => [s.userId, s.id] as const) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...userIds), fc.constantFrom(...sessionIds)) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...userIds), fc.constantFrom(...UNKNOWN_SIDS)) },
  );

  const standardHeader: [string, string][] = [
    ['alg', '"HS256"'],
    ['typ', '"JWT"'],
  ];
  const canonical = {
    headerEncoding: 'b64url',
    payloadEncoding: 'b64url',
    payloadCharset: 'utf8',
    signature: 'HS256',
    signatureEncoding: 'b64url',
  } as const;
  const claimsOf = (sub: string, sid: string): [string, string][] => [
    ['sub', JSON.stringify(sub)],
    ['sid', JSON.stringify(sid)],
    ['iat', String(PAST)],
    ['exp', String(FAR_FUTURE)],
    ...required,
  ];

  /** Genuine HS256 tokens of world pairings (valid tokens of real users among them). */
  const worldToken = pair.map(([sub, sid]) => validToken(secret, sub, sid, required));
  const liveToken = livePair.map(([sub, sid]) => validToken(secret, sub, sid, required));

  const idRaw = (ids: readonly string[]) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...ids).map((id) => JSON.stringify(id)) },
      { weight: 3, arbitrary: fc.constantFrom(...WEIRD_ID_RAW) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map((s) => JSON.stringify(s)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...ids),
            fc.constantFrom('\u0000', '\u0007', '\n', '\u007f', '\u00a0', '\u2028'),
          )
          .map(([id, ch]) => JSON.stringify(`${id}${ch}`)),
      },
    );
  const dateRaw = fc.oneof(
    { weight: 4, arbitrary: fc.constant(String(FAR_FUTURE)) },
    { weight: 4, arbitrary: fc.constantFrom(...NUMERIC_DATE_RAW) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.integer({ min: -(2 ** 40), max: 1_500_000_000 }),
          fc.integer({ min: FAR_FUTURE, max: 2 ** 40 }),
        )
        .map(String),
    },
  );
  const EXTRA_NAMES = [
    'sub',
    'sid',
    'exp',
    'nbf',
    '__proto__',
    'constructor',
    'is_superuser',
    'user',
    'pad',
    '',
  ];

  /** Genuine signatures over hostile claims: types, ranges, duplicates, missing members. */
  const hostileClaimsToken = fc
    .record({
      sub: fc.option(idRaw(userIds), { nil: undefined, freq: 8 }),
      sid: fc.option(idRaw(sessionIds), { nil: undefined, freq: 8 }),
      exp: fc.option(dateRaw, { nil: undefined, freq: 8 }),
      nbf: fc.option(dateRaw, { nil: undefined, freq: 2 }),
      iat: fc.option(dateRaw, { nil: undefined, freq: 2 }),
      iss: fc.option(issuerRaw, { nil: undefined, freq: options.issuer ? 8 : 2 }),
      aud: fc.option(audienceRaw, { nil: undefined, freq: options.audience ? 8 : 2 }),
      extras: fc.array(fc.tuple(fc.constantFrom(...EXTRA_NAMES), fc.oneof(idRaw(userIds), dateRaw)), {
        maxLength: 3,
      }),
      extrasFirst: fc.boolean(),
      payloadCharset: fc.constantFrom('utf8', 'utf8', 'utf8', 'latin1', 'bom'),
    })
    .map((c) => {
      const base: [string, string][] = [];
      for (const name of ['sub', 'sid', 'nbf', 'iat', 'exp', 'iss', 'aud'] as const) {
        const value = c[name];
        if (value !== undefined) base.push([name, value]);
      }
      return buildJwt(secret, {
        ...canonical,
        header: standardHeader,
        claims: c.extrasFirst ? [...c.extras, ...base] : [...base, ...c.extras],
        payloadCharset: c.payloadCharset,
      });
    });

  const encoding = fc.constantFrom<SegmentEncoding>('b64url', 'b64url', 'b64url', 'b64', 'b64url-pad', 'raw');
  const signature = fc.constantFrom<Signature>(
    'HS256',
    'HS256',
    'HS256',
    'HS384',
    'HS512',
    'wrong-secret',
    'empty',
    'garbage',
  );

  /** Every `alg`, forged `kid`/`jku`/`x5u`/`jwk`/`crit`/`b64`, any signature and segment encoding. */
  const forgedHeaderToken = fc
    .record({
      pair: pair,
      alg: fc.option(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...ALGORITHMS).map((a) => JSON.stringify(a)) },
          { weight: 1, arbitrary: fc.constantFrom('null', '42', '["HS256"]', '{"alg":"HS256"}') },
        ),
        { nil: undefined, freq: 12 },
      ),
      members: fc.subarray(Object.keys(HEADER_MEMBERS), { maxLength: 3 }),
      picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      algFirst: fc.boolean(),
      headerEncoding: encoding,
      payloadEncoding: encoding,
      signature,
      signatureEncoding: encoding,
    })
    .map((r) => {
      const extra = r.members.map((name, i): [string, string] => {
        const values = HEADER_MEMBERS[name] ?? ['null'];
        return [name, values[(r.picks[i] ?? 0) % values.length] ?? 'null'];
      });
      const alg: [string, string][] = r.alg === undefined ? [] : [['alg', r.alg]];
      return buildJwt(secret, {
        header: r.algFirst ? [...alg, ...extra] : [...extra, ...alg],
        claims: claimsOf(r.pair[0], r.pair[1]),
        headerEncoding: r.headerEncoding,
        payloadEncoding: r.payloadEncoding,
        payloadCharset: 'utf8',
        signature: r.signature,
        signatureEncoding: r.signatureEncoding,
      });
    });

  /** A valid token of a live session, then truncated, re-encoded, spliced, case-flipped… */
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      ch: fc.constantFrom('.', '=', '+', '/', ' ', '\t', 'é', '\u0000', '%', 'A', '-', '_', '"', ',', ';'),
    }),
    fc.record({
      op: fc.constant('replace' as const),
      at: fc.nat(),
      ch: fc.constantFrom('A', 'a', '0', '-', '_', '+', '/'),
    }),
    fc.record({ op: fc.constant('flipCase' as const), at: fc.nat() }),
    fc.record({
      op: fc.constant('reencode' as const),
      segment: fc.nat({ max: 2 }),
      to: fc.constantFrom<SegmentEncoding>('b64', 'b64url-pad'),
    }),
    fc.record({ op: fc.constant('dropSegment' as const), segment: fc.nat({ max: 2 }) }),
    fc.record({ op: fc.constant('dupSegment' as const), segment: fc.nat({ max: 2 }) }),
    fc.record({ op: fc.constant('swapSegments' as const) }),
    fc.record({ op: fc.constant('percentEncode' as const) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
  const applyMutation = (token: string, m: Mutation): string => {
    const at = 'at' in m ? m.at % (token.length + 1) : 0;
    const segments = token.split('.');
    switch (m.op) {
      case 'truncate':
        return token.slice(0, at);
      case 'drop':
        return token.slice(0, at) + token.slice(at + 1);
      case 'insert':
        return token.slice(0, at) + m.ch + token.slice(at);
      case 'replace':
        return token.slice(0, at) + m.ch + token.slice(at + 1);
      case 'flipCase': {
        const ch = token[at] ?? '';
        const flipped = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
        return token.slice(0, at) + flipped + token.slice(at + 1);
      }
      case 'reencode': {
        const segment = segments[m.segment];
        if (segment === undefined) return token;
        segments[m.segment] = encodeSegment(Buffer.from(segment, 'base64url'), m.to);
        return segments.join('.');
      }
      case 'dropSegment':
        return segments.filter((_, i) => i !== m.segment).join('.');
      case 'dupSegment':
        return segments.flatMap((s, i) => (i === m.segment ? [s, s] : [s])).join('.');
      case 'swapSegments':
        return [segments[1], segments[0], ...segments.slice(2)].join('.');
      case 'percentEncode':
        return [...token].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    }
  };
  const mutatedToken = fc
    .tuple(liveToken, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([token, ms]) => ms.reduce(applyMutation, token));

  /** Genuine tokens padded to just under, at and over 8 KiB, and far over. */
  const hugeToken = fc
    .tuple(
      livePair,
      fc.oneof(
        fc.constantFrom(8191, 8192, 8193, 8194, 16_384, 65_536),
        fc.integer({ min: 8_100, max: 8_300 }),
      ),
      fc.constantFrom('ascii', 'non-ascii'),
    )
    .map(([[sub, sid], target, kind]) =>
      paddedToken(secret, sub, sid, target, kind === 'non-ascii', required),
    );

  /** Wrong numbers of segments, empty segments, JWE-shaped (5 segments) tokens. */
  const segmentsToken = fc
    .tuple(
      liveToken,
      fc.constantFrom(
        'one',
        'two',
        'trailing-dot',
        'four',
        'leading-dot',
        'double-dots',
        'jwe',
        'jwe-dir',
        'empty',
        'dots',
      ),
    )
    .map(([token, shape]) => {
      const [h = '', p = '', s = ''] = token.split('.');
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const shapes: Record<typeof shape, string> = {
        one: h,
        two: `${h}.${p}`,
        'trailing-dot': `${token}.`,
        four: `${token}.${s}`,
        'leading-dot': `.${token}`,
        'double-dots': `${h}..${p}..${s}`,
        jwe: `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${p}.${s}.${p}.${s}`,
        'jwe-dir': `${b64({ alg: 'dir', enc: 'A128GCM' })}..${s}.${p}.${s}`,
        empty: '',
        dots: '....',
      };
      return shapes[shape];
    });

  const garbageToken = fc.oneof(
    text(60),
    fc.string({ unit: 'binary-ascii', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.base64String({ maxLength: 80 }),
    fc.constantFrom(
      'null',
      'undefined',
      'eyJ',
      'e30.e30.',
      'e30.e30.e30',
      'é'.repeat(3000),
      'a'.repeat(9000),
    ),
  );

  const token = fc.oneof(
    { weight: 5, arbitrary: worldToken },
    { weight: 3, arbitrary: hostileClaimsToken },
    { weight: 3, arbitrary: mutatedToken },
    { weight: 3, arbitrary: forgedHeaderToken },
    { weight: 1, arbitrary: hugeToken },
    { weight: 1, arbitrary: segmentsToken },
    { weight: 1, arbitrary: garbageToken },
  );

  const authorization = (tokens: fc.Arbitrary<string>) =>
    fc
      .tuple(fc.constantFrom(...sendable(AUTHORIZATION_TEMPLATES)), tokens, tokens)
      .map(([template, t, u]) => template.replaceAll('{t}', t).replaceAll('{u}', u));

  const cookieHeader = (tokens: fc.Arbitrary<string>) => {
    const sessionName = fc.oneof(
      { weight: 6, arbitrary: fc.constant(cookieName) },
      {
        weight: 2,
        arbitrary: fc.constantFrom(
          ` ${cookieName}`,
          `${cookieName} `,
          cookieName.toUpperCase(),
          `${cookieName}\t`,
          `__Host-${cookieName}`,
          `${cookieName}_`,
          `"${cookieName}"`,
          `${cookieName}[]`,
          `${cookieName}%20`,
          '',
        ),
      },
    );
    const sessionValue = fc
      .tuple(
        tokens,
        fc.constantFrom(
          'raw',
          'raw',
          'raw',
          'quoted',
          'pct-all',
          'pct-some',
          'spaced',
          'half-quoted',
          'trailing-eq',
          'empty',
          'quotes',
        ),
      )
      .map(([t, how]) => {
        const values: Record<typeof how, () => string> = {
          raw: () => t,
          quoted: () => `"${t}"`,
          'pct-all': () => [...t].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join(''),
          'pct-some': () => t.replaceAll('.', '%2E').replaceAll('-', '%2d'),
          spaced: () => `  ${t}  `,
          'half-quoted': () => `"${t}`,
          'trailing-eq': () => `${t}=`,
          empty: () => '',
          quotes: () => '""',
        };
        return values[how]();
      });
    const sessionCookie = fc.tuple(sessionName, sessionValue).map(([n, v]) => `${n}=${v}`);
    const otherCookie = fc
      .tuple(
        fc.oneof(
          fc.constantFrom(
            '',
            ' ',
            'a',
            'theme',
            'csrftoken',
            '__Secure-x',
            '$Version',
            `${cookieName}2`,
            `x${cookieName}`,
          ),
          fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}$/),
        ),
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.constantFrom(
              ...sendable(['', '""', '"a;b"', 'a=b=c', '%zz', 'é', ' x ', '\u0007']),
            ),
          },
          { weight: 4, arbitrary: text(20) },
          { weight: wire ? 0 : 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 20 }) },
        ),
      )
      .map(([n, v]) => `${n}=${v}`);
    const bare = fc.constantFrom('flag', '', ' ', '=', '==', ';');
    const part = fc.oneof(
      { weight: 3, arbitrary: sessionCookie },
      { weight: 6, arbitrary: otherCookie },
      { weight: 1, arbitrary: bare },
    );
    const few = fc.array(part, { maxLength: 12 });
    const many = fc
      .tuple(fc.integer({ min: 50, max: 400 }), fc.array(part, { maxLength: 4 }), fc.nat())
      .map(([n, parts, at]) => {
        const filler = Array.from({ length: n }, (_, i) => `c${i}=v${i}`);
        filler.splice(at % (n + 1), 0, ...parts);
        return filler;
      });
    return fc
      .tuple(
        fc.oneof({ weight: 5, arbitrary: few }, { weight: 1, arbitrary: many }),
        fc.constantFrom('; ', ';', ' ; ', ', ', ';;'),
      )
      .map(([parts, sep]) => parts.join(sep));
  };

  const reservedName = fc
    .tuple(fc.constantFrom(...RESERVED_BASES), fc.nat(), fc.nat())
    .map(([base, caseMask, underscoreMask]) => spell(base, caseMask, underscoreMask));
  const headerValue = fc.oneof(
    { weight: 30, arbitrary: fc.constantFrom(...sendable(HEADER_VALUES)) },
    { weight: 6, arbitrary: fc.constantFrom(...userIds, ...sessionIds) },
    { weight: 15, arbitrary: text(40) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.constantFrom(...UNSENDABLE_VALUES),
        fc.string({ unit: 'binary-ascii', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 20 }),
      ),
    },
  );
  const headerPair = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(reservedName, headerValue) },
    {
      weight: 2,
      arbitrary: fc.tuple(
        fc.oneof(
          {
            weight: 20,
            arbitrary: fc.constantFrom(
              ...DECOY_NAMES,
              ...OTHER_NAMES.filter((name) => !wire || !CLIENT_FRAMING.has(name.toLowerCase())),
            ),
          },
          { weight: wire ? 0 : 1, arbitrary: fc.constantFrom(...UNSENDABLE_NAMES) },
          { weight: 10, arbitrary: fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,24}$/) },
        ),
        headerValue,
      ),
    },
  );

  const query = fc.oneof(
    fc.constantFrom(
      '?a=1',
      '?redirect=/../admin',
      '?%00',
      '?x=%2f..%2f',
      '?',
      '?é=日本',
      `?q=${'q'.repeat(2000)}`,
    ),
    fc.string({ unit: 'binary-ascii', maxLength: 20 }).map((s) => `?${s}`),
  );
  const ordinaryPath = fc
    .tuple(
      fc.constantFrom(...PATH_BASES),
      fc.array(fc.tuple(fc.constantFrom('/', '/', '/', ''), fc.constantFrom(...PATH_PIECES)), {
        maxLength: 6,
      }),
      fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: query }),
    )
    .map(([base, pieces, q]) => base + pieces.map(([sep, piece]) => sep + piece).join('') + (q ?? ''));
  const longPath = fc
    .tuple(
      fc.constantFrom('/public/', '/static', '/api/', '/public/..%2f'),
      fc.constantFrom('a', '../', '%2e%2e/', 'é', '%C3%A9', '/', 'ab;', '%00'),
      fc.integer({ min: 100, max: 4000 }),
    )
    .map(([base, piece, n]) => base + piece.repeat(n));
  const randomPath = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.webPath(),
    fc.webSegment().map((s) => `/public/${s}`),
  );
  const path = fc
    .oneof(
      { weight: 8, arbitrary: ordinaryPath },
      { weight: 1, arbitrary: longPath },
      { weight: 2, arbitrary: randomPath },
    )
    .map((p) => {
      const rooted = p.startsWith('/') ? p : `/${p}`;
      return rooted.slice(0, maxPathLength);
    });
  const simplePath = fc.constantFrom(
    '/api/x',
    '/auth/session',
    '/auth/verify',
    '/admin',
    '/public/app.js',
    '/',
  );

  const method = fc.oneof(
    { weight: wire ? 40 : 20, arbitrary: fc.constantFrom(...METHODS) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_METHODS) },
    { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/) },
  );
  const outage = fc.oneof(
    { weight: 17, arbitrary: fc.constant<Outage>('none') },
    { weight: 1, arbitrary: fc.constantFrom<Outage>('redis', 'database', 'both') },
  );
  const body = fc.option(fc.string({ maxLength: 64 }), { nil: null });

  /** Tokens tilted towards ones that authenticate, so the forwarding path is well exercised. */
  const mostlyLive = fc.oneof({ weight: 3, arbitrary: liveToken }, { weight: 1, arbitrary: token });

  const weights: Record<Focus, { auth: fc.Arbitrary<string>; path: fc.Arbitrary<string>; headers: number }> =
    {
      tokens: { auth: token, path: simplePath, headers: 2 },
      cookies: { auth: mostlyLive, path: simplePath, headers: 2 },
      headers: { auth: mostlyLive, path: fc.oneof(simplePath, path), headers: 10 },
      paths: { auth: mostlyLive, path, headers: 2 },
      mixed: { auth: token, path, headers: 6 },
    };

  /** A hostile request; `focus` decides what is stressed hardest. */
  const request = (focus: Focus): fc.Arbitrary<FuzzRequest> => {
    const w = weights[focus];
    const credentials = fc.oneof(
      {
        weight: focus === 'cookies' ? 1 : 6,
        arbitrary: fc.tuple(
          fc.option(authorization(w.auth), { nil: undefined, freq: 9 }),
          fc.constant(undefined),
        ),
      },
      {
        weight: focus === 'cookies' ? 8 : 2,
        arbitrary: fc.tuple(fc.constant(undefined), cookieHeader(w.auth)),
      },
      { weight: 1, arbitrary: fc.tuple(authorization(w.auth), cookieHeader(w.auth)) },
    );
    // The endpoints that act on a session, now and then, whatever the focus (logouts revoke for good).
    const route = fc.oneof(
      { weight: 60, arbitrary: fc.tuple(method, w.path) },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.constant('POST'), fc.constantFrom('/auth/logout', '/auth/./logout?x=1')),
      },
      { weight: 1, arbitrary: fc.tuple(fc.constantFrom('GET', 'HEAD'), fc.constant('/auth/session')) },
      { weight: 1, arbitrary: fc.tuple(method, fc.constant('/auth/verify')) },
    );
    // A CORS preflight (passed through unauthenticated with CORS_PREFLIGHT=pass), now and then.
    const preflight = fc.oneof(
      { weight: 19, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.tuple(
          fc.constantFrom('https://app.example', 'null', ''),
          fc.constantFrom('POST', 'DELETE', 'x', ''),
        ),
      },
    );
    return fc
      .record({
        route,
        preflight,
        credentials,
        headers: fc.array(headerPair, { maxLength: w.headers }),
        authorizationFirst: fc.boolean(),
        body,
        outage:
          focus === 'mixed'
            ? fc.constantFrom<Outage>('none', 'none', 'none', 'none', 'none', 'redis', 'database', 'both')
            : outage,
      })
      .map((r): FuzzRequest => {
        const [auth, cookie] = r.credentials;
        const credentialHeaders: [string, string][] = [
          ...(auth === undefined ? [] : [['Authorization', auth] as [string, string]]),
          ...(cookie === undefined ? [] : [['Cookie', cookie] as [string, string]]),
        ];
        const [routeMethod, path] = r.route;
        const method = r.preflight ? 'OPTIONS' : routeMethod;
        const upper = method.toUpperCase();
        const preflightHeaders: [string, string][] = r.preflight
          ? [
              ['Origin', r.preflight[0]],
              ['Access-Control-Request-Method', r.preflight[1]],
            ]
          : [];
        return {
          method,
          path,
          headers: [
            ...preflightHeaders,
            ...(r.authorizationFirst
              ? [...credentialHeaders, ...r.headers]
              : [...r.headers, ...credentialHeaders]),
          ],
          body: upper === 'GET' || upper === 'HEAD' ? null : r.body,
          outage: r.outage,
        };
      });
  };

  return { token, liveToken, worldToken, request };
}

/**
 * A genuine token of `sub` + `sid` whose length is exactly `target` (padding
 * claims in the header and payload), optionally with non-ASCII padding.
 */
function paddedToken(
  secret: string,
  sub: string,
  sid: string,
  target: number,
  nonAscii: boolean,
  required: [string, string][],
): string {
  const build = (headerPad: number, payloadPad: number) =>
    buildJwt(secret, {
      header: [
        ['alg', '"HS256"'],
        ['typ', '"JWT"'],
        ['x', JSON.stringify('h'.repeat(headerPad))],
      ],
      claims: [
        ['sub', JSON.stringify(sub)],
        ['sid', JSON.stringify(sid)],
        ['exp', String(FAR_FUTURE)],
        ['pad', JSON.stringify((nonAscii ? 'é' : 'p').repeat(payloadPad))],
        ...required,
      ],
      headerEncoding: 'b64url',
      payloadEncoding: 'b64url',
      payloadCharset: 'utf8',
      signature: 'HS256',
      signatureEncoding: 'b64url',
    });
  const base = build(0, 0).length;
  const estimate = Math.max(0, Math.floor(((target - base) * 3) / 4 / (nonAscii ? 2 : 1)));
  let best = build(0, estimate);
  for (let p = Math.max(0, estimate - 4); p <= estimate + 4; p++) {
    for (let h = 0; h < 4; h++) {
      const candidate = build(h, p);
      if (candidate.length === target) return candidate;
      if (Math.abs(candidate.length - target) < Math.abs(best.length - target)) best = candidate;
    }
  }
  return best;
}

// ---------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------

/** Leeway beyond edge-auth's 5 s clock tolerance, so no case depends on timing. */
const ORACLE_LEEWAY_SECONDS = 65;

function lenientBase64(segment: string): Buffer | undefined {
  const bare = segment.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/_-]*$/.test(bare)) return undefined;
  return Buffer.from(bare.replaceAll('+', '-').replaceAll('/', '_'), 'base64url');
}

function jsonObject(bytes: Buffer | undefined): Record<string, unknown> | undefined {
  if (!bytes) return undefined;
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The `sub` + `sid` a token really authenticates, judged independently of
 * edge-auth and generously (any base64 alphabet or padding): three segments,
 * an HMAC-SHA-256 under the secret over the first two, `alg: HS256`, string
 * `sub` and `sid`, a numeric `exp` not past, and no numeric `nbf` in the future.
 */
export function authenticClaims(
  token: string,
  secret: string,
  expect: { issuer?: string; audience?: string[] } = {},
): { sub: string; sid: string } | undefined {
  const segments = token.split('.');
  if (segments.length !== 3) return undefined;
  const [h = '', p = '', s = ''] = segments;
  const signature = lenientBase64(s);
  const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  if (!signature?.equals(mac)) return undefined;
  if (jsonObject(lenientBase64(h))?.alg !== 'HS256') return undefined;
  const claims = jsonObject(lenientBase64(p));
  if (!claims) return undefined;
  const { sub, sid, exp, nbf } = claims;
  const now = Date.now() / 1000;
  if (typeof sub !== 'string' || typeof sid !== 'string' || typeof exp !== 'number') return undefined;
  if (!(exp > now - ORACLE_LEEWAY_SECONDS)) return undefined;
  if (typeof nbf === 'number' && nbf > now + ORACLE_LEEWAY_SECONDS) return undefined;
  if (expect.issuer !== undefined && claims.iss !== expect.issuer) return undefined;
  const { audience } = expect;
  if (audience !== undefined) {
    const aud = claims.aud;
    const offered = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
    if (!offered.some((a) => typeof a === 'string' && audience.includes(a))) return undefined;
  }
  return { sub, sid };
}

/**
 * Every string in the request that could be read as its token: each word of
 * `Authorization`, and each cookie value (raw, unquoted, percent-decoded),
 * whatever its name. Generous on purpose: the identity forwarded must be one
 * of these tokens' (invariant 2).
 */
export function tokenCandidates(headers: Headers): string[] {
  const out = new Set<string>();
  for (const word of (headers.get('authorization') ?? '').split(/[\s,"]+/)) if (word) out.add(word);
  for (const part of (headers.get('cookie') ?? '').split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const raw = part.slice(eq + 1).trim();
    for (const value of [raw, raw.replace(/^"|"$/g, '')]) {
      out.add(value);
      try {
        out.add(decodeURIComponent(value));
      } catch {
        // not decodable: the raw value is already a candidate
      }
    }
  }
  return [...out];
}

const IDENTITY_KEEP = /^[A-Za-z0-9\-_.!~*'()@]$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** README "Identity headers": every UTF-8 byte outside the set percent-encoded; over 1024 bytes refused. */
export function encodeIdentityValue(raw: string): string | undefined {
  if (LONE_SURROGATE.test(raw)) return undefined;
  let out = '';
  for (const byte of Buffer.from(raw, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out +=
      byte < 0x80 && IDENTITY_KEEP.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.length > 1024 ? undefined : out;
}

/** The six identity headers edge-auth must send for this user and session; `undefined` if unrepresentable. */
export function expectedIdentity(u: WorldUser, sid: string): Map<string, string> | undefined {
  const pairs: [string, string | null][] = [
    ['x-auth-user-id', u.id],
    ['x-auth-session-id', sid],
    ['x-auth-username', u.username],
    ['x-auth-email', u.email],
    ['x-auth-is-staff', String(u.isStaff)],
    ['x-auth-is-superuser', String(u.isSuperuser)],
  ];
  const out = new Map<string, string>();
  for (const [name, raw] of pairs) {
    if (raw === null) continue;
    const value = encodeIdentityValue(raw);
    if (value === undefined) return undefined;
    out.set(name, value);
  }
  return out;
}

/** README "Public paths": `/x` matches `/x` and `/x/…`; `/x*` is a plain prefix. */
export function publicRule(entries: string[]): (path: string) => boolean {
  return (path) =>
    entries.some((entry) =>
      entry.endsWith('*')
        ? path.startsWith(entry.slice(0, -1))
        : path === entry || path.startsWith(`${entry.replace(/\/+$/, '')}/`),
    );
}

function decodeBytes(path: string, mode: 'utf8' | 'latin1' | 'overlong'): string {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const hex = path.slice(i + 1, i + 3);
    if (path[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(path[i] ?? '', 'utf8'));
    }
  }
  if (mode === 'latin1') return Buffer.from(bytes).toString('latin1');
  if (mode === 'utf8') return new TextDecoder().decode(Uint8Array.from(bytes));
  // Overlong UTF-8, as lax decoders read it: C0 AF is '/', E0 80 AE is '.'.
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    const n1 = bytes[i + 1] ?? 0;
    const n2 = bytes[i + 2] ?? 0;
    if ((b & 0xe0) === 0xc0 && (n1 & 0xc0) === 0x80) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (n1 & 0x3f));
      i += 1;
    } else if ((b & 0xf0) === 0xe0 && (n1 & 0xc0) === 0x80 && (n2 & 0xc0) === 0x80) {
      out += String.fromCharCode(((b & 0x0f) << 12) | ((n1 & 0x3f) << 6) | (n2 & 0x3f));
      i += 2;
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

const PATH_READINGS: ((p: string) => string)[] = [
  (p) => decodeBytes(p, 'utf8'),
  (p) => decodeBytes(p, 'latin1'),
  (p) => decodeBytes(p, 'overlong'),
  (p) => p.replace(/%u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  (p) => p.normalize('NFKC'),
  (p) => p.replaceAll('\\', '/'),
  (p) =>
    p
      .split('/')
      .map((segment) => segment.replace(/;.*$/, ''))
      .join('/'),
  (p) => p.split('\u0000')[0] ?? '',
  (p) => p.replace(/\/+/g, '/'),
];

function resolveDots(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    if (segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/**
 * Whether `path` (as the origin received it) may be treated as public: it
 * matches a rule, and so does every way a reasonable origin could read it —
 * decoded once or more (UTF-8, Latin-1, overlong, `%u`), NFKC-normalised, `\`
 * as `/`, `;` parameters dropped, cut at NUL, slashes merged, dot segments
 * resolved.
 */
export function mayBePublic(entries: string[], path: string): boolean {
  const rule = publicRule(entries);
  if (!rule(path)) return false;
  const seen = new Set([path]);
  let frontier = [path];
  for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const form of frontier) {
      for (const read of PATH_READINGS) {
        const reading = read(form);
        if (seen.has(reading) || seen.size > 400) continue;
        seen.add(reading);
        next.push(reading);
      }
    }
    frontier = next;
  }
  return [...seen].every(
    (reading) => rule(resolveDots(reading)) && rule(resolveDots(reading.replace(/\/+/g, '/'))),
  );
}

// ---------------------------------------------------------------------------
// Checking one exchange
// ---------------------------------------------------------------------------

/** A request as the origin received it: its path (no query) and every header as sent. */
export interface OriginRecord {
  path: string;
  headers: [string, string][];
}

/** One case as observed by a layer. */
export interface Exchange {
  request: FuzzRequest;
  /** The method as the client sent it (`fetch` upper-cases the six standard ones). */
  method: string;
  /** The headers the client really sent (after the HTTP client's normalisation). */
  sent: Headers;
  response: { status: number; headers: [string, string][]; body: string };
  /** Requests the origin received while this case ran. */
  origin: OriginRecord[];
  /** Sessions whose revocation this case caused (read from the store). */
  revoked: string[];
}

export interface CheckContext {
  world: FuzzWorld;
  secret: string;
  publicPaths: string[];
  /** The `X-Forwarded-Host` edge-auth must set (the host the client asked for). */
  forwardedHost: string;
  /** The `CF-Connecting-IP` the runtime supplies when the client sends none (workerd: 127.0.0.1). */
  runtimeClientIp?: string;
  /**
   * How the runtime hands a header value the client sent on to the origin
   * (workerd reads header bytes as UTF-8, so a lone 0x80 arrives as U+FFFD).
   */
  runtimeHeaderText?: (sent: string) => string;
  /** `JWT_ISSUER` / `JWT_AUDIENCE`, when configured: a token without them authenticates nothing. */
  issuer?: string;
  audience?: string[];
  /** `CORS_PREFLIGHT=pass`: preflights go to the origin without authentication and without identity. */
  corsPreflightPass?: boolean;
  /** Verifies an `X-Auth-Assertion` and returns its claims, or throws. */
  verifyAssertion?: (assertion: string) => Promise<{ sub?: unknown; sid?: unknown }>;
}

const EDGE_IDENTITY_NAMES = new Set([
  'x-auth-user-id',
  'x-auth-session-id',
  'x-auth-username',
  'x-auth-email',
  'x-auth-is-staff',
  'x-auth-is-superuser',
  'x-auth-assertion',
]);
const EDGE_FORWARDING_NAMES = new Set(['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-for']);
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const cgi = (name: string) => name.toLowerCase().replaceAll('_', '-');

/** The sessions the request's tokens really authenticate, with what the world entitles them to. */
function entitlements(ex: Exchange, ctx: CheckContext) {
  const out: { sub: string; sid: string; kind: 'live' | 'grace'; user: WorldUser }[] = [];
  for (const candidate of tokenCandidates(ex.sent)) {
    const claims = authenticClaims(candidate, ctx.secret, {
      ...(ctx.issuer === undefined ? {} : { issuer: ctx.issuer }),
      ...(ctx.audience === undefined ? {} : { audience: ctx.audience }),
    });
    if (!claims) continue;
    const verdict = ctx.world.judge(claims.sub, claims.sid);
    if (verdict.kind !== 'none') out.push({ ...claims, kind: verdict.kind, user: verdict.user });
  }
  return out;
}

/**
 * Checks a set of identity headers (at the origin or on a `/auth/verify`
 * answer): exactly edge-auth's names, the values of a session a token in the
 * request really authenticates, and a genuine assertion for that session.
 */
async function checkIdentity(
  where: string,
  headers: [string, string][],
  ex: Exchange,
  ctx: CheckContext,
  problems: string[],
): Promise<void> {
  const identity = headers.filter(([name]) => cgi(name).startsWith('x-auth-'));
  for (const [name] of identity) {
    if (name.toLowerCase() !== cgi(name) || !EDGE_IDENTITY_NAMES.has(name.toLowerCase())) {
      problems.push(`${where}: client-spelled identity header ${JSON.stringify(name)} got through`);
    }
  }
  const got = new Map<string, string>();
  for (const [name, value] of identity) {
    const key = name.toLowerCase();
    if (got.has(key)) problems.push(`${where}: identity header ${key} sent twice`);
    got.set(key, value);
  }
  const assertion = got.get('x-auth-assertion');
  got.delete('x-auth-assertion');
  const matches = entitlements(ex, ctx).filter(({ user, sid }) => {
    const expected = expectedIdentity(user, sid);
    return (
      expected !== undefined &&
      expected.size === got.size &&
      [...expected].every(([name, value]) => got.get(name) === value)
    );
  });
  if (matches.length === 0) {
    problems.push(
      `${where}: identity ${JSON.stringify(Object.fromEntries(got))} is not that of a live session a token in the request authenticates`,
    );
    return;
  }
  if (!ctx.verifyAssertion) {
    if (assertion !== undefined) problems.push(`${where}: an assertion was sent but none is configured`);
    return;
  }
  if (assertion === undefined) {
    problems.push(`${where}: identity without X-Auth-Assertion`);
    return;
  }
  try {
    const claims = await ctx.verifyAssertion(assertion);
    if (!matches.some(({ sub, sid }) => claims.sub === sub && claims.sid === sid)) {
      problems.push(`${where}: X-Auth-Assertion names ${JSON.stringify([claims.sub, claims.sid])}`);
    }
  } catch (err) {
    problems.push(`${where}: X-Auth-Assertion does not verify: ${String(err)}`);
  }
}

/**
 * Every invariant on one exchange; returns the violations (empty when it holds).
 *
 * @example
 * const problems = await checkExchange(exchange, { world, secret, publicPaths, forwardedHost: 'localhost' });
 */
export async function checkExchange(ex: Exchange, ctx: CheckContext): Promise<string[]> {
  const problems: string[] = [];
  const { status, headers, body } = ex.response;
  const outage = ex.request.outage;
  const responseHeaders = new Headers(headers);
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed !== null && typeof parsed === 'object') json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }

  // 1. No 5xx but an injected outage's 503 and an unrepresentable identity's 500.
  if (status === 503) {
    const databaseDown = outage === 'database' || outage === 'both';
    // /readyz answers 503 for Redis alone (a HEAD of it has no body); nothing else may.
    const readiness =
      json?.status === 'not_ready' || (body === '' && ex.request.method.toUpperCase() === 'HEAD');
    if (!databaseDown && !(outage === 'redis' && readiness)) {
      problems.push(`503 without a database outage (outage: ${outage}): ${body.slice(0, 200)}`);
    }
    if (responseHeaders.get('retry-after') === null) problems.push('503 without Retry-After');
  } else if (
    status === 500 &&
    (json?.error === 'identity_unrepresentable' ||
      (body === '' && ex.request.method.toUpperCase() === 'HEAD'))
  ) {
    // A HEAD answer has no body: the cause is then judged from the request alone.
    const owners = entitlements(ex, ctx).filter(({ user, sid }) => !expectedIdentity(user, sid));
    if (owners.length === 0)
      problems.push('500 identity_unrepresentable without a session of an over-long identity');
  } else if (status >= 500) {
    problems.push(`${status}: ${body.slice(0, 200)}`);
  }

  // 2 + 3. What the origin received.
  if (ex.origin.length > 1) problems.push(`the origin received ${ex.origin.length} requests for one`);
  for (const [i, record] of ex.origin.entries()) {
    const where = `origin request ${i}`;
    const names = record.headers.map(([name]) => name);
    const hasIdentity = names.some((name) => cgi(name).startsWith('x-auth-'));
    const preflight =
      ctx.corsPreflightPass === true &&
      ex.method === 'OPTIONS' &&
      ex.sent.has('origin') &&
      ex.sent.has('access-control-request-method');
    if (!hasIdentity && !preflight && !mayBePublic(ctx.publicPaths, record.path)) {
      problems.push(
        `${where}: forwarded without identity on a non-public path ${JSON.stringify(record.path)}`,
      );
    }
    if (hasIdentity) await checkIdentity(where, record.headers, ex, ctx, problems);
    // An empty value is no address: the runtime then supplies its own.
    const asForwarded = (value: string | null) =>
      value === null || !ctx.runtimeHeaderText ? value : ctx.runtimeHeaderText(value);
    const clientIp = asForwarded(ex.sent.get('cf-connecting-ip') || ctx.runtimeClientIp || null);
    for (const [name, value] of record.headers) {
      const normal = cgi(name);
      if (normal === 'forwarded' || normal === 'x-real-ip') {
        problems.push(`${where}: client header ${JSON.stringify(name)} got through`);
      } else if (normal.startsWith('x-forwarded-')) {
        if (name.toLowerCase() !== normal || !EDGE_FORWARDING_NAMES.has(normal)) {
          problems.push(`${where}: client header ${JSON.stringify(name)} got through`);
        } else if (
          normal === 'x-forwarded-host' &&
          value !== ctx.forwardedHost &&
          value !== asForwarded(ex.sent.get('host'))
        ) {
          problems.push(`${where}: X-Forwarded-Host ${JSON.stringify(value)}`);
        } else if (normal === 'x-forwarded-proto' && value !== 'http') {
          problems.push(`${where}: X-Forwarded-Proto ${JSON.stringify(value)}`);
        } else if (normal === 'x-forwarded-for' && value !== clientIp) {
          problems.push(`${where}: X-Forwarded-For ${JSON.stringify(value)} is not CF-Connecting-IP`);
        }
      }
    }
  }

  // 2. Identity handed back to a forward-auth proxy, a session answer, a logout.
  if (headers.some(([name]) => cgi(name).startsWith('x-auth-'))) {
    await checkIdentity('answer headers', headers, ex, ctx, problems);
  }
  const answered = json as { user?: { id?: unknown }; session?: { id?: unknown } } | undefined;
  if (status === 200 && ex.origin.length === 0 && answered?.user && answered.session) {
    const ok = entitlements(ex, ctx).some(
      ({ sub, sid }) => answered.user?.id === sub && answered.session?.id === sid,
    );
    if (!ok) problems.push(`session answer for ${JSON.stringify([answered.user.id, answered.session.id])}`);
  }
  for (const sid of ex.revoked) {
    if (!entitlements(ex, ctx).some((e) => e.sid === sid)) {
      problems.push(`session ${JSON.stringify(sid)} revoked by a request without its token`);
    }
  }

  // 4. Answer headers.
  for (const [name, value] of headers) {
    if (CONTROL.test(name) || CONTROL.test(value)) {
      problems.push(
        `answer header ${JSON.stringify(name)} has a control character: ${JSON.stringify(value)}`,
      );
    }
  }
  if (status === 401 && !responseHeaders.get('www-authenticate')?.startsWith('Bearer realm="edge-auth"')) {
    problems.push(`401 with WWW-Authenticate ${JSON.stringify(responseHeaders.get('www-authenticate'))}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------
// Running
// ---------------------------------------------------------------------------

/**
 * Seed and number of runs: fixed defaults, `FUZZ_SEED` and `FUZZ_RUNS` (the
 * layer's total, shared out in proportion to the defaults) override them.
 */
export function fuzzSettings(defaultSeed: number, defaultTotal: number) {
  const seed = process.env.FUZZ_SEED ? Number.parseInt(process.env.FUZZ_SEED, 10) : defaultSeed;
  const total = process.env.FUZZ_RUNS ? Number.parseInt(process.env.FUZZ_RUNS, 10) : defaultTotal;
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(total) || total < 1) {
    throw new Error('FUZZ_SEED and FUZZ_RUNS must be integers (FUZZ_RUNS ≥ 1)');
  }
  return { seed, total, runs: (share: number) => Math.max(1, Math.round((total * share) / defaultTotal)) };
}

/** Tallies of one property's run, printed and checked for coverage. */
export class FuzzStats {
  cases = 0;
  refused = 0;
  /** Why requests were refused before reaching the Worker. */
  refusedBecause = new Map<string, number>();
  byStatus = new Map<number, number>();
  identityForwarded = 0;
  publicForwarded = 0;
  outages = 0;

  record(ex: Exchange): void {
    this.cases++;
    this.byStatus.set(ex.response.status, (this.byStatus.get(ex.response.status) ?? 0) + 1);
    if (ex.request.outage !== 'none') this.outages++;
    for (const record of ex.origin) {
      if (record.headers.some(([name]) => name.toLowerCase() === 'x-auth-user-id')) this.identityForwarded++;
      else this.publicForwarded++;
    }
  }

  /** Counts a request the HTTP client (or the runtime's HTTP server) would not deliver. */
  refuse(reason: string): void {
    this.refused++;
    this.refusedBecause.set(reason, (this.refusedBecause.get(reason) ?? 0) + 1);
  }

  summary(): string {
    const statuses = [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    return (
      `${this.cases} reached the Worker, ${this.refused} refused before it (${[...this.refusedBecause]
        .sort(([, a], [, b]) => b - a)
        .map(([why, n]) => `${why} ×${n}`)
        .join(', ')}); ` +
      `origin: ${this.identityForwarded} with identity, ${this.publicForwarded} public; ` +
      `${this.outages} with an outage; statuses ${statuses.join(' ')}`
    );
  }
}

/** The problems and the request, long strings shortened for reading (the exact input is in `request`). */
export function describeCounterexample(request: FuzzRequest, problems: string[]): string {
  const short = JSON.stringify(request, (_, value: unknown) =>
    typeof value === 'string' && value.length > 300
      ? `${value.slice(0, 300)}…(${value.length} chars)`
      : value,
  );
  return `${problems.join('\n')}\nrequest: ${short}`;
}

/**
 * Writes a failing case, exactly, where a regression test can be made from
 * it; returns the file's path.
 */
export function saveCounterexample(name: string, request: FuzzRequest): string {
  const dir = join(tmpdir(), 'edge-auth-fuzz');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(request, null, 2)}\n`);
  return file;
}

// ---------------------------------------------------------------------------
// The in-memory layer
// ---------------------------------------------------------------------------

const MEMORY_ORIGIN = 'https://origin.example';
/** Simulated time between two cases. */
const CLOCK_STEP_MS = 500;

/**
 * The whole app on the in-memory adapters (test/support/memory-app.ts) with
 * the world seeded, `PUBLIC_PATHS` and, with `assertionKey`, signed
 * assertions. The test installs `originFetch` as the global `fetch` (the
 * recording origin); `exchange` runs one request and observes everything the
 * invariants need.
 *
 * @example
 * const h = memoryHarness({ secret: SECRET });
 * vi.stubGlobal('fetch', h.originFetch);
 * const ex = await h.exchange(request); // 'refused' when the HTTP client would not send it
 * expect(await checkExchange(ex, h.context)).toEqual([]);
 */
export async function memoryHarness(options: { assertionKey?: JWK; env?: Partial<Env> } = {}) {
  const key = options.assertionKey;
  const t = memoryApp({
    PUBLIC_PATHS: PUBLIC_PATHS.join(','),
    ...(key ? { ASSERTION_SIGNING_KEY: JSON.stringify(key) } : {}),
    ...options.env,
  });
  for (const u of WORLD_USERS) {
    t.store.users.set(u.id, { ...u, firstName: 'Ada', lastName: 'Lovelace', lastLogin: null });
  }
  for (const s of WORLD_SESSIONS) {
    t.store.sessions.set(s.id, {
      id: s.id,
      userId: s.userId,
      expiresAt: s.state === 'expired' ? T0 - 3_600_000 : T0 + 365 * 86_400_000,
      revokedAt: s.state === 'revoked' ? T0 - 1_000 : null,
    });
  }
  const world = new FuzzWorld();
  let records: OriginRecord[] = [];
  /** Outbound requests to anything but the origin (a `jku` or `x5u` followed, say). */
  const strayFetches: string[] = [];
  const originFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== MEMORY_ORIGIN) strayFetches.push(request.url);
    records.push({ path: url.pathname, headers: [...request.headers] });
    return new Response('origin answer', { status: 200, headers: { 'X-Origin': 'yes' } });
  };
  let verifyAssertion: CheckContext['verifyAssertion'];
  if (key) {
    const { d: _, ...publicJwk } = key;
    const publicKey = await importJWK({ ...publicJwk, alg: 'ES256' }, 'ES256');
    verifyAssertion = async (assertion) =>
      (
        await jwtVerify(assertion, publicKey, {
          issuer: 'edge-auth',
          audience: MEMORY_ORIGIN,
          algorithms: ['ES256'],
        })
      ).payload;
  }
  const { issuer, audience } = t.config.token;
  const context: CheckContext = {
    world,
    secret: SECRET_OF_MEMORY_APP,
    publicPaths: PUBLIC_PATHS,
    forwardedHost: 'localhost',
    ...(verifyAssertion ? { verifyAssertion } : {}),
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
    corsPreflightPass: t.config.origin.corsPreflight === 'pass',
  };

  return {
    app: t,
    world,
    context,
    originFetch,
    strayFetches,
    /** Runs one request; `'refused'` when the HTTP client itself refuses to build it. */
    async exchange(req: FuzzRequest): Promise<Exchange | 'refused'> {
      const url = `http://localhost${req.path}`;
      let sent: Request;
      try {
        sent = new Request(url, {
          method: req.method,
          headers: req.headers,
          ...(req.body === null ? {} : { body: req.body }),
        });
      } catch {
        return 'refused';
      }
      const clientHeaders = new Headers(sent.headers);
      records = [];
      // Time moves between cases, so L1 (2 s) and Redis entries (10 s, revoked 60 s) and touch intervals expire.
      t.clock.now += CLOCK_STEP_MS;
      const liveBefore = WORLD_SESSIONS.filter((s) => world.isLive(s.id));
      t.cache.failing = req.outage === 'redis' || req.outage === 'both';
      t.store.failing = req.outage === 'database' || req.outage === 'both';
      let response: Response;
      let body: string;
      try {
        response = await t.app.request(sent, undefined, {}, t.ctx);
        body = await response.text();
        await t.settle();
      } finally {
        t.cache.failing = false;
        t.store.failing = false;
      }
      const revoked = liveBefore
        .filter((s) => t.store.sessions.get(s.id)?.revokedAt != null)
        .map((s) => s.id);
      return {
        request: req,
        method: sent.method,
        sent: clientHeaders,
        response: { status: response.status, headers: [...response.headers], body },
        origin: records,
        revoked,
      };
    },
    /**
     * Runs one case and checks every invariant. A logout is a scenario: the
     * credentials are used once (`GET /auth/session`, so caches hold the live
     * session), then the logout, then after a revocation the same credentials
     * are tried again across every cache expiry (L1, Redis, revoked entry).
     * `undefined` when the HTTP client refuses the request.
     */
    async run(req: FuzzRequest): Promise<{ exchange: Exchange; problems: string[] } | undefined> {
      const problems: string[] = [];
      if (req.method === 'POST' && URL.parse(`http://localhost${req.path}`)?.pathname === '/auth/logout') {
        const before = await this.exchange({ ...req, method: 'GET', path: '/auth/session', body: null });
        if (before !== 'refused') {
          for (const problem of await this.check(before))
            problems.push(`GET /auth/session first: ${problem}`);
        }
      }
      const ex = await this.exchange(req);
      if (ex === 'refused') return undefined;
      problems.push(...(await this.check(ex)));
      return { exchange: ex, problems };
    },

    /** Checks one exchange (see `run`), records its revocations and probes after a logout. */
    async check(ex: Exchange): Promise<string[]> {
      const problems = await checkExchange(ex, context);
      if (strayFetches.length > 0) {
        problems.push(`outbound requests beyond the origin: ${strayFetches.splice(0).join(', ')}`);
      }
      for (const sid of ex.revoked) {
        world.markRevoked(sid, ex.request.outage === 'redis' || ex.request.outage === 'both');
      }
      if (ex.revoked.length === 0 || problems.length > 0) return problems;
      const probe: FuzzRequest = {
        method: 'GET',
        path: '/auth/session',
        headers: ex.request.headers,
        body: null,
        outage: 'none',
      };
      for (const delayMs of LOGOUT_PROBE_DELAYS_MS) {
        t.clock.now += delayMs - CLOCK_STEP_MS;
        const after = await this.exchange(probe);
        if (after === 'refused') break;
        for (const problem of await checkExchange(after, context)) {
          problems.push(`${delayMs} ms after the logout, GET /auth/session: ${problem}`);
        }
      }
      return problems;
    },
  };
}

/** When the credentials of a logout are tried again: past L1, the Redis entry, the revoked entry. */
const LOGOUT_PROBE_DELAYS_MS = [2_500, 5_000, 9_000, 30_000, 61_000];
