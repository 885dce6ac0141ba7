import type { NeonQueryFunction } from '@neondatabase/serverless';
import type { SessionStore, StoredSession } from './types';

type Sql = NeonQueryFunction<false, false>;

/** One SELECT: the session joined with its user, with the remaining life measured by the database's clock. */
export const LOAD_SESSION_SQL = `SELECT s.id, s.user_id, s.data, s.revoked_at IS NOT NULL AS revoked,
  (extract(epoch FROM (s.expires_at - now())) * 1000)::float8 AS remaining_ms,
  u.username, u.email, u.first_name, u.last_name, u.is_staff, u.is_active, u.is_superuser
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = $1`;

/**
 * The touch: one statement, no transaction, no read before it. The WHERE
 * clause keeps last_login monotonic and makes a repeated touch a no-op even
 * when the Redis marker is lost.
 */
export const TOUCH_SQL =
  'UPDATE users SET last_login = now() WHERE id = $1 AND (last_login IS NULL OR last_login < now() - make_interval(secs => $2))';

export const REVOKE_SQL =
  'UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > now()';

interface SessionRow {
  id: string;
  user_id: string;
  data: Record<string, unknown> | null;
  revoked: boolean;
  remaining_ms: number;
  username: string;
  email: string | null;
  first_name: string | null;
  last_name: string | null;
  is_staff: boolean;
  is_active: boolean;
  is_superuser: boolean;
}

/**
 * `SessionStore` on Neon's SQL-over-HTTP driver. `timeoutMs` bounds every
 * query; a query that times out rejects and the caller answers 503.
 *
 * @example
 * const store = createNeonSessionStore({ sql: neon(env.DATABASE_URL), timeoutMs: 3000 });
 */
export function createNeonSessionStore(options: { sql: Sql; timeoutMs: number }): SessionStore {
  const { sql, timeoutMs } = options;
  const opts = () => ({ fetchOptions: { signal: AbortSignal.timeout(timeoutMs) } });

  return {
    async load(sid): Promise<StoredSession | null> {
      const rows = (await sql.query(LOAD_SESSION_SQL, [sid], opts())) as SessionRow[];
      const row = rows[0];
      if (!row) return null;
      return {
        user: {
          id: row.user_id,
          username: row.username,
          email: row.email,
          firstName: row.first_name,
          lastName: row.last_name,
          isStaff: row.is_staff,
          isActive: row.is_active,
          isSuperuser: row.is_superuser,
        },
        session: { id: row.id, data: row.data ?? {} },
        remainingMs: Number(row.remaining_ms),
        revoked: row.revoked,
      };
    },

    async touch(userId, intervalSeconds) {
      const result = await sql.query(TOUCH_SQL, [userId, intervalSeconds], { ...opts(), fullResults: true });
      return result.rowCount === 1;
    },

    async revoke(sid, userId) {
      const result = await sql.query(REVOKE_SQL, [sid, userId], { ...opts(), fullResults: true });
      return result.rowCount === 1;
    },

    async ping() {
      await sql.query('SELECT 1', [], opts());
    },
  };
}
