import { base64url, importJWK, type JWK, SignJWT } from 'jose';
import { ASYMMETRIC_ALGORITHMS, HMAC_MIN_SECRET_BYTES } from '../config/keys';

/**
 * Anything that runs one parameterised statement and gives its rows back:
 * `neon(url)` (its `.query`), a `pg` Pool or Client, or a plain
 * `(sql, params) => rows` function.
 */
export type SqlRunner =
  | ((text: string, params: unknown[]) => Promise<unknown>)
  | { query(text: string, params: unknown[]): Promise<unknown> };

/**
 * How the token is signed: an HMAC secret (the Worker's `JWT_SECRET`; at
 * least 32 bytes for HS256, 48 for HS384, 64 for HS512), or a private key
 * whose public half the Worker trusts (`JWT_PUBLIC_JWKS` / `JWT_JWKS_URL`).
 */
export type SigningKey =
  | { secret: string | Uint8Array; alg?: 'HS256' | 'HS384' | 'HS512' }
  | { privateKey: CryptoKey | JWK; alg: string };

export interface IssueSessionOptions {
  sql: SqlRunner;
  /** The user's primary key (`sub`); inserted as the `sessions.user_id` column's type. */
  userId: string | number | bigint;
  /** Whole seconds the session lives, by the database's clock. */
  lifetimeSeconds: number;
  /** The session's `data` (JSON), served by `GET /auth/session`. Default `{}`. */
  data?: Record<string, unknown>;
  key: SigningKey;
  /** `iss`; set it when the Worker has `JWT_ISSUER`. */
  issuer?: string;
  /** `aud`; set it when the Worker has `JWT_AUDIENCE`. */
  audience?: string | string[];
  /** `kid` header; defaults to the private JWK's own `kid`. Lets a JWKS hold old and new keys during a rotation. */
  kid?: string;
}

export interface IssuedSession {
  /** The signed JWT: `sub`, `sid`, `exp`, `iat` (+ `iss`, `aud` when given). */
  token: string;
  sessionId: string;
  /** The row's `expires_at`, equal to the token's `exp`. */
  expiresAt: Date;
}

/** 192 random bits, URL-safe: unguessable, and fine in a JWT claim or a log line. */
const SESSION_ID_BYTES = 24;
const MAX_LIFETIME_SECONDS = 366 * 24 * 3600;

/**
 * Starts a session the way edge-auth expects it: inserts the `sessions` row
 * (a random id, `expires_at` set by the database's clock) and returns a token
 * whose `exp` is exactly that expiry. The key is checked before the insert,
 * so a bad key leaves no row behind.
 *
 * @example
 * const { token, expiresAt } = await issueSession({
 *   sql: neon(env.DATABASE_URL),
 *   userId: user.id,
 *   lifetimeSeconds: 14 * 24 * 3600,
 *   key: { secret: env.JWT_SECRET },
 * });
 * setCookie(c, 'session', token, { expires: expiresAt, httpOnly: true, secure: true });
 */
export async function issueSession(options: IssueSessionOptions): Promise<IssuedSession> {
  const { lifetimeSeconds } = options;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > MAX_LIFETIME_SECONDS) {
    throw new RangeError(`lifetimeSeconds must be a whole number from 1 to ${MAX_LIFETIME_SECONDS}`);
  }
  const signer = await signingKey(options.key);
  const kid = options.kid ?? signer.kid;
  const sessionId = base64url.encode(crypto.getRandomValues(new Uint8Array(SESSION_ID_BYTES)));

  // Whole seconds, so the row's expiry and the token's `exp` are the same
  // instant; both read the database's clock, never this machine's.
  const rows = rowsOf(
    await run(
      options.sql,
      `INSERT INTO sessions (id, user_id, expires_at, data)
       VALUES ($1, $2, date_trunc('second', now()) + make_interval(secs => $3), $4::jsonb)
       RETURNING extract(epoch FROM expires_at)::float8 AS exp,
                 extract(epoch FROM date_trunc('second', now()))::float8 AS iat`,
      [sessionId, String(options.userId), lifetimeSeconds, JSON.stringify(options.data ?? {})],
    ),
  );
  const row = rows[0];
  if (!row) throw new Error('the sessions INSERT returned no row');
  const exp = Number(row.exp);
  const iat = Number(row.iat);

  let jwt = new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: signer.alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .setSubject(String(options.userId))
    .setIssuedAt(iat)
    .setExpirationTime(exp);
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  const token = await jwt.sign(signer.key);
  return { token, sessionId, expiresAt: new Date(exp * 1000) };
}

async function signingKey(
  key: SigningKey,
): Promise<{ key: CryptoKey | Uint8Array; alg: string; kid?: string }> {
  if ('secret' in key) {
    const alg = key.alg ?? 'HS256';
    const bytes = typeof key.secret === 'string' ? new TextEncoder().encode(key.secret) : key.secret;
    const needed = HMAC_MIN_SECRET_BYTES[alg] ?? Number.POSITIVE_INFINITY;
    if (bytes.length < needed) throw new RangeError(`an ${alg} secret must be at least ${needed} bytes`);
    return { key: bytes, alg };
  }
  // Never HMAC with a "private key": the Worker would refuse it, and a public
  // key must never double as an HMAC secret.
  if (!ASYMMETRIC_ALGORITHMS.includes(key.alg)) {
    throw new RangeError(
      `alg must be an asymmetric signature algorithm (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
    );
  }
  if (isCryptoKey(key.privateKey)) return { key: key.privateKey, alg: key.alg };
  const jwk = key.privateKey;
  if (jwk.d === undefined) throw new TypeError('privateKey must be a private JWK (it has no "d")');
  const imported = await importJWK(jwk, key.alg);
  return { key: imported, alg: key.alg, ...(jwk.kid ? { kid: jwk.kid } : {}) };
}

function isCryptoKey(value: CryptoKey | JWK): value is CryptoKey {
  // Duck-typed: a CryptoKey from another realm (or runtime) fails instanceof.
  return 'algorithm' in value && 'usages' in value;
}

function run(sql: SqlRunner, text: string, params: unknown[]): Promise<unknown> {
  // `.query` first: neon() is itself a function, but only as a tagged template.
  if ('query' in sql && typeof sql.query === 'function') return sql.query(text, params);
  return (sql as (text: string, params: unknown[]) => Promise<unknown>)(text, params);
}

/** neon() and plain functions give rows; pg gives `{ rows }`. */
function rowsOf(result: unknown): Record<string, unknown>[] {
  if (Array.isArray(result)) return result as Record<string, unknown>[];
  const rows = (result as { rows?: unknown } | null)?.rows;
  if (Array.isArray(rows)) return rows as Record<string, unknown>[];
  throw new TypeError('sql must return rows (an array) or a result with rows');
}
