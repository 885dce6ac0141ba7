// An independent record of last_login writes: a trigger on `users` logs every
// row whose last_login was updated, in commit-visible order, with the value it
// replaced. Tests and the benchmarks count writes with it, and check that
// last_login only moves forward, without trusting the Worker or the servers.
import type pg from 'pg';

// Idempotent, so a kept database (npm run dev) can install it on every start.
const INSTALL_SQL = `
CREATE TABLE IF NOT EXISTS last_login_writes (
  seq bigserial PRIMARY KEY,
  user_id text NOT NULL,
  value timestamptz,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
-- Added later: a kept database has the table without it.
ALTER TABLE last_login_writes ADD COLUMN IF NOT EXISTS old_value timestamptz;
CREATE OR REPLACE FUNCTION record_last_login_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO last_login_writes (user_id, old_value, value) VALUES (NEW.id, OLD.last_login, NEW.last_login);
  RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS users_last_login_write ON users;
CREATE TRIGGER users_last_login_write AFTER UPDATE OF last_login ON users
  FOR EACH ROW EXECUTE FUNCTION record_last_login_write();`;

/** One logged write. */
export interface WriteLogEntry {
  /** Position in the log (commit-visible order). */
  seq: number;
  userId: string;
  /** The last_login the UPDATE wrote. */
  value: Date | null;
  /** The last_login it replaced (null for a user's first login). */
  oldValue: Date | null;
  /** When the UPDATE ran, by the database's clock, in ms since the epoch (sub-ms precision). */
  writtenAtMs: number;
}

/** Reads of the write log. */
export interface WriteLog {
  /** Rows written so far, for one user or for everyone. */
  count(userId?: string): Promise<number>;
  /** Rows written so far, by user. */
  byUser(): Promise<Map<string, number>>;
  /** The newest entry's position (0 when empty); `entries({ after })` reads what came later. */
  position(): Promise<number>;
  /** The log in order, optionally only after a position and for some users. */
  entries(filter?: { after?: number; users?: string[] }): Promise<WriteLogEntry[]>;
}

/**
 * Installs the trigger and log table in a migrated database and returns its reader.
 * @example const log = await installWriteLog(pool); await log.count('u1') // 3
 */
export async function installWriteLog(pool: pg.Pool): Promise<WriteLog> {
  await pool.query(INSTALL_SQL);
  const number = async (sql: string, params: unknown[] = []) =>
    Number((await pool.query<{ n: string }>(sql, params)).rows[0]?.n ?? 0);
  return {
    count: (userId) =>
      userId === undefined
        ? number('SELECT count(*) AS n FROM last_login_writes')
        : number('SELECT count(*) AS n FROM last_login_writes WHERE user_id = $1', [userId]),
    async byUser() {
      const { rows } = await pool.query<{ user_id: string; n: string }>(
        'SELECT user_id, count(*) AS n FROM last_login_writes GROUP BY user_id',
      );
      return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
    },
    position: () => number('SELECT coalesce(max(seq), 0) AS n FROM last_login_writes'),
    async entries({ after = 0, users } = {}) {
      const { rows } = await pool.query<{
        seq: string;
        user_id: string;
        value: Date | null;
        old_value: Date | null;
        ms: number;
      }>(
        `SELECT seq, user_id, value, old_value, extract(epoch FROM written_at)::float8 * 1000 AS ms
         FROM last_login_writes WHERE seq > $1 AND ($2::text[] IS NULL OR user_id = ANY($2)) ORDER BY seq`,
        [after, users ?? null],
      );
      return rows.map((r) => ({
        seq: Number(r.seq),
        userId: r.user_id,
        value: r.value,
        oldValue: r.old_value,
        writtenAtMs: r.ms,
      }));
    },
  };
}
