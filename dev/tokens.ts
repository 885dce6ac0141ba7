import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';

export interface MintOptions {
  secret: string;
  userId: string;
  sessionId: string;
  /** Lifetime in seconds; default one hour. */
  ttlSeconds?: number;
  algorithm?: 'HS256' | 'HS384' | 'HS512';
  issuer?: string;
  audience?: string;
  /** Issue time, ms since the epoch; default now (tests with a controlled clock pass theirs). */
  at?: number;
}

/**
 * Mints an HMAC session token the way an origin's login view would.
 *
 * @example
 * const jwt = await mintToken({ secret, userId: 'u1', sessionId: 's1' });
 */
export async function mintToken(options: MintOptions): Promise<string> {
  const now = Math.floor((options.at ?? Date.now()) / 1000);
  let jwt = new SignJWT({ sid: options.sessionId })
    .setProtectedHeader({ alg: options.algorithm ?? 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
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
