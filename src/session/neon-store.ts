import type { NeonQueryFunction } from '@neondatabase/serverless';
import { DEFAULT_USERS_TABLE, type UsersTableConfig } from '../config/database';
import { isUserIdOf, profileOf, sessionSql, type UserColumns } from './sql';
import type { SessionStore, StoredSession } from './types';

type Sql = NeonQueryFunction<false, false>;

/** Options for `createNeonSessionStore`. */
export interface NeonSessionStoreOptions {
  sql: Sql;
  /** Bounds every query; a query that times out rejects (the caller answers 503). */
  timeoutMs: number;
  /** The users table (`USERS_TABLE`, `USER_ID_TYPE`, `TOUCH_COLUMN`); default edge-auth's own `users`. */
  users?: UsersTableConfig;
}

/** The Neon store, plus the id check it applies before any statement that compares user ids. */
export type NeonSessionStore = SessionStore & {
  /** Whether `userId` (a token's `sub`) can be an id of the users table's type. */
  isUserId(userId: string): boolean;
};

interface SessionRow extends UserColumns {
  id: string;
  data: Record<string, unknown> | null;
  revoked: boolean;
  remaining_ms: number;
}

/**
 * `SessionStore` on Neon's SQL-over-HTTP driver, for edge-auth's own `users`
 * table or an existing one (Django's `auth_user`). `timeoutMs` bounds every
 * query; a query that times out rejects and the caller answers 503.
 *
 * @example
 * const store = createNeonSessionStore({
 *   sql: neon(env.DATABASE_URL),
 *   timeoutMs: 3000,
 *   users: { table: 'auth_user', idType: 'integer', touchColumn: 'last_login' },
 * });
 */
export function createNeonSessionStore(options: NeonSessionStoreOptions): NeonSessionStore {
  const { sql, timeoutMs } = options;
  const statements = sessionSql(options.users);
  // A user id that is not of the column's type names no user: answered here
  // without a statement, never sent to fail a cast (which would read as an outage).
  const isUserId = (id: string) => isUserIdOf(options.users?.idType ?? DEFAULT_USERS_TABLE.idType, id);
  const opts = () => ({ fetchOptions: { signal: AbortSignal.timeout(timeoutMs) } });

  return {
    isUserId,

    async load(sid): Promise<StoredSession | null> {
      const rows = (await sql.query(statements.load, [sid], opts())) as SessionRow[];
      const row = rows[0];
      if (!row) return null;
      return {
        user: profileOf(row),
        session: { id: row.id, data: row.data ?? {} },
        remainingMs: Number(row.remaining_ms),
        revoked: row.revoked,
      };
    },

    async touch(userId, intervalSeconds) {
      if (!isUserId(userId)) return false;
      const result = await sql.query(statements.touch, [userId, intervalSeconds], {
        ...opts(),
        fullResults: true,
      });
      return result.rowCount === 1;
    },

    async revoke(sid, userId) {
      // edge-auth's own sessions are revoked by their owner only: a token always names one.
      if (userId === undefined || !isUserId(userId)) return false;
      const result = await sql.query(statements.revoke, [sid, userId], { ...opts(), fullResults: true });
      return result.rowCount === 1;
    },

    async ping() {
      await sql.query('SELECT 1', [], opts());
    },
  };
}
