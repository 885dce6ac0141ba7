import { randomBytes } from 'node:crypto';
import { importJWK, type JWK, SignJWT } from 'jose';

export interface MintOptions {
  /** The HMAC secret; give it or `privateKey`. */
  secret?: string;
  /** A private JWK to sign with instead (set `algorithm` to its algorithm, e.g. 'ES256'). */
  privateKey?: JWK;
  userId: string;
  sessionId: string;
  /** Lifetime in seconds; default one hour. */
  ttlSeconds?: number;
  /** Default HS256. */
  algorithm?: string;
  /** The `kid` header; none by default. */
  kid?: string;
  issuer?: string;
  audience?: string | string[];
  /** Issue time, ms since the epoch; default now (tests with a controlled clock pass theirs). */
  at?: number;
}

/**
 * Mints a session token the way an origin's login view would, for a session that already exists.
 *
 * @example
 * const jwt = await mintToken({ secret, userId: 'u1', sessionId: 's1' });
 * const rs = await mintToken({ privateKey: jwk, algorithm: 'RS256', kid: 'k1', userId: 'u1', sessionId: 's1' });
 */
export async function mintToken(options: MintOptions): Promise<string> {
  if (!options.privateKey && !options.secret) throw new TypeError('mintToken: give secret or privateKey');
  const alg = options.algorithm ?? 'HS256';
  const key = options.privateKey
    ? await importJWK(options.privateKey, alg)
    : new TextEncoder().encode(options.secret);
  const now = Math.floor((options.at ?? Date.now()) / 1000);
  let jwt = new SignJWT({ sid: options.sessionId })
    .setProtectedHeader({ alg, typ: 'JWT', ...(options.kid ? { kid: options.kid } : {}) })
    .setSubject(options.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(key);
}

/** What `createSession` needs of a database connection: a pg Pool or Client. */
export interface SessionStore {
  query(text: string, values: unknown[]): Promise<unknown>;
}

/** Options for `createSession`. */
export interface NewSession {
  userId: string;
  /** Seconds until the session expires. */
  ttlSeconds: number;
  /** Start of the generated id (`<prefix>-<random>`); default 'session'. */
  idPrefix?: string;
  /** The session's `data` column (JSON). Default {}. */
  data?: Record<string, unknown>;
}

/**
 * Inserts a fresh session row for an existing user and returns its id: a new random id every call,
 * so revoking one (POST /auth/logout) never affects a token minted for another.
 *
 * @example
 * const sid = await createSession(pool, { userId: 'demo-user', ttlSeconds: 3600 });
 * const jwt = await mintToken({ secret, userId: 'demo-user', sessionId: sid, ttlSeconds: 3600 });
 */
export async function createSession(db: SessionStore, session: NewSession): Promise<string> {
  const id = `${session.idPrefix ?? 'session'}-${randomBytes(8).toString('hex')}`;
  try {
    // No reference to the users table by name: sessions.user_id's foreign key finds it, whichever it is.
    await db.query(
      `INSERT INTO sessions (id, user_id, expires_at, data)
       VALUES ($1, $2, now() + make_interval(secs => $3), $4)`,
      [id, session.userId, session.ttlSeconds, JSON.stringify(session.data ?? {})],
    );
  } catch (err) {
    if ((err as { code?: string }).code === '23503') {
      throw new Error(`no user ${JSON.stringify(session.userId)} in the database`);
    }
    throw err;
  }
  return id;
}
