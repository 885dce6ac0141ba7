// Users and sessions seeded straight into the database, and the tokens an
// origin's login view would mint for them: what the benchmark and the soak
// send their requests with.
import type pg from 'pg';
import { mintToken } from '../../dev/tokens';

/** A user's login: who, which session, and the token that carries both. */
export interface Login {
  userId: string;
  sessionId: string;
  token: string;
}

/**
 * Creates users (no session yet).
 * @example await addUsers(pool, ['u1', 'u2']);
 */
export async function addUsers(pool: pg.Pool, userIds: string[]): Promise<void> {
  await pool.query('INSERT INTO users (id, username) SELECT u, u FROM unnest($1::text[]) AS u', [userIds]);
}

/**
 * Opens one new session (valid for an hour) per user, named `s-<user>-<tag>`, and mints its
 * token: a new session id is unknown to every L1 and to Redis.
 * @example const [login] = await openSessions(pool, ['u1'], secret, 'r3'); login.token // 'eyJ…'
 */
export async function openSessions(
  pool: pg.Pool,
  userIds: string[],
  secret: string,
  tag: string,
): Promise<Login[]> {
  const sessionIds = userIds.map((u) => `s-${u}-${tag}`);
  await pool.query(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT s, u, now() + interval '1 hour' FROM unnest($1::text[], $2::text[]) AS t(s, u)`,
    [sessionIds, userIds],
  );
  return Promise.all(
    userIds.map(async (userId, i) => {
      const sessionId = sessionIds[i] as string;
      return { userId, sessionId, token: await mintToken({ secret, userId, sessionId }) };
    }),
  );
}
