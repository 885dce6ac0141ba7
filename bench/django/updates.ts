// UPDATEs of auth_user as PostgreSQL saw them, whoever sent them (Django's
// update_or_create or edge-auth's touch): a row trigger logs each updated row
// with the database's clock, so the benchmark counts writes without trusting
// either side, and reads one user's lock hand-offs from their spacing.
import type pg from 'pg';

const INSTALL_SQL = `
CREATE TABLE bench_user_updates (
  seq bigserial PRIMARY KEY,
  user_id integer NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE FUNCTION bench_log_user_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO bench_user_updates (user_id) VALUES (NEW.id);
  RETURN NEW;
END $$;
CREATE TRIGGER auth_user_update_log AFTER UPDATE ON auth_user
  FOR EACH ROW EXECUTE FUNCTION bench_log_user_update();`;

/** Reads of the log. */
export interface UpdateLog {
  /** The newest entry's position (0 when empty). */
  position(): Promise<number>;
  /** Rows updated after `after` for these users, in commit-visible order, times in ms (database clock). */
  since(after: number, userIds: readonly number[]): Promise<{ userId: number; atMs: number }[]>;
}

/**
 * Installs the log in a database `manage.py migrate` prepared (auth_user exists).
 * @example const updates = await installUpdateLog(pool); const from = await updates.position(); …; (await updates.since(from, [1])).length
 */
export async function installUpdateLog(pool: pg.Pool): Promise<UpdateLog> {
  await pool.query(INSTALL_SQL);
  return {
    async position() {
      const { rows } = await pool.query<{ n: string }>(
        'SELECT coalesce(max(seq), 0) AS n FROM bench_user_updates',
      );
      return Number(rows[0]?.n ?? 0);
    },
    async since(after, userIds) {
      const { rows } = await pool.query<{ user_id: number; at_ms: number }>(
        `SELECT user_id, (extract(epoch FROM at) * 1000)::float8 AS at_ms FROM bench_user_updates
         WHERE seq > $1 AND user_id = ANY($2::int[]) ORDER BY seq`,
        [after, userIds],
      );
      return rows.map((r) => ({ userId: r.user_id, atMs: Number(r.at_ms) }));
    },
  };
}
