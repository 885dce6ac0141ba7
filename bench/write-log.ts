// An independent record of last_login writes: a trigger on `users` logs every
// row whose last_login was updated, in commit-visible order. The benchmark
// counts rows per user from it and measures how far apart one user's writes
// land, which is how long each convoy transaction really held the row lock.
import type pg from 'pg';

const INSTALL_SQL = `
CREATE TABLE last_login_writes (
  seq bigserial PRIMARY KEY,
  user_id text NOT NULL,
  written_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION record_last_login_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO last_login_writes (user_id) VALUES (NEW.id); RETURN NEW; END $$;
CREATE TRIGGER users_last_login_write AFTER UPDATE OF last_login ON users
  FOR EACH ROW EXECUTE FUNCTION record_last_login_write();`;

/** Reads of the write log. */
export interface WriteLog {
  /** Rows written so far, by user. */
  byUser(): Promise<Map<string, number>>;
  /** The newest entry's position; later reads can ask for what came after it. */
  position(): Promise<number>;
  /**
   * Mean time between consecutive writes of the same user after `position`,
   * over users with at least two writes; null when there are none.
   */
  spacingMs(after: number, users: string[]): Promise<number | null>;
}

/**
 * Installs the trigger and log table in a freshly migrated database.
 * @example const log = await installWriteLog(pool); (await log.byUser()).get('u1') // 3
 */
export async function installWriteLog(pool: pg.Pool): Promise<WriteLog> {
  await pool.query(INSTALL_SQL);
  return {
    async byUser() {
      const { rows } = await pool.query<{ user_id: string; n: string }>(
        'SELECT user_id, count(*) AS n FROM last_login_writes GROUP BY user_id',
      );
      return new Map(rows.map((r) => [r.user_id, Number(r.n)]));
    },
    async position() {
      const { rows } = await pool.query<{ seq: string }>(
        'SELECT coalesce(max(seq), 0) AS seq FROM last_login_writes',
      );
      return Number(rows[0]?.seq ?? 0);
    },
    async spacingMs(after, users) {
      // written_at is clock_timestamp() inside each UPDATE, so gaps are the database's own clock.
      const { rows } = await pool.query<{ gap_ms: number | null }>(
        `SELECT avg(gap_ms)::float8 AS gap_ms FROM (
           SELECT extract(epoch FROM max(written_at) - min(written_at)) * 1000 / (count(*) - 1) AS gap_ms
           FROM last_login_writes WHERE seq > $1 AND user_id = ANY($2)
           GROUP BY user_id HAVING count(*) > 1) per_user`,
        [after, users],
      );
      return rows[0]?.gap_ms ?? null;
    },
  };
}
