// Row-lock waits, sampled while the load runs: a lock convoy would show up as
// ungranted locks and backends waiting on a Lock event in the run's database.
// Sampling (every ~100 ms, never overlapping) rather than timing assertions:
// the figure is how many waits were seen, which must be zero.
import pg from 'pg';

/** What the sampler saw. */
export interface LockSamples {
  samples: number;
  /** Sum over samples of `pg_locks` rows of this database's backends with `NOT granted`. */
  notGranted: number;
  /** Sum over samples of this database's backends whose `wait_event_type` is 'Lock'. */
  lockWaits: number;
  /** Samples whose query failed (the figure is then incomplete). */
  failed: number;
}

// pg_locks.database is null for transaction-id locks (what a row-lock wait is),
// so backends are matched to the database through pg_stat_activity.
const SAMPLE_SQL = `
SELECT
  (SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE NOT l.granted AND a.datname = current_database()) AS not_granted,
  (SELECT count(*) FROM pg_stat_activity
    WHERE wait_event_type = 'Lock' AND datname = current_database()) AS lock_waits`;

/**
 * Starts sampling the database at `url` every `everyMs`; `stop()` ends it and returns the totals.
 *
 * @example
 * const sampler = await sampleLocks(stack.database.url);
 * … the load …
 * const { samples, lockWaits } = await sampler.stop();
 */
export async function sampleLocks(url: string, everyMs = 100) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  const totals: LockSamples = { samples: 0, notGranted: 0, lockWaits: 0, failed: 0 };
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = (async () => {
      try {
        const { rows } = await client.query<{ not_granted: string; lock_waits: string }>(SAMPLE_SQL);
        totals.samples++;
        totals.notGranted += Number(rows[0]?.not_granted ?? 0);
        totals.lockWaits += Number(rows[0]?.lock_waits ?? 0);
      } catch {
        totals.failed++;
      }
      if (!stopped) timer = setTimeout(tick, everyMs);
    })();
  };
  tick();
  return {
    async stop(): Promise<LockSamples> {
      stopped = true;
      clearTimeout(timer);
      await running;
      await client.end().catch(() => undefined);
      return { ...totals };
    },
  };
}
