// The run-wide last_login check: every edge-auth user that sent requests was
// written, never twice within one interval (the marker keeps claims an
// interval apart on Redis's clock; by the database's clock two writes are at
// least the UPDATE's refusal window apart), and edge-auth sent no UPDATE the
// database then had to refuse.
import { refusalWindow } from '../src/session/touch';
import { EDGE_AUTH_ARMS } from './arms';
import type { BenchStack } from './stack';

/** last_login writes of edge-auth's users over a whole run. */
export interface TouchCheck {
  intervalSeconds: number;
  /** The shortest gap the UPDATE's WHERE allows between two writes of a user (database clock), s. */
  refusalSeconds: number;
  /** edge-auth users that sent requests (warm-up included). */
  users: number;
  minWritesPerUser: number;
  maxWritesPerUser: number;
  /** Smallest gap between two writes of one user, seconds; null when no user was written twice. */
  minGapSeconds: number | null;
  /** UPDATE statements received by the Neon servers of the edge-auth arms and the primer. */
  updatesSent: number;
  /** Rows the trigger logged for those users. */
  rowsWritten: number;
  /** Every user written at least once, no two writes closer than the refusal window, one row per UPDATE sent. */
  exactlyOnePerInterval: boolean;
}

/**
 * Reads the write log for `users` and edge-auth's UPDATE counters.
 * @example const t = await checkTouches(stack, ['edge-auth-l1-1x20-0'], 300); t.exactlyOnePerInterval // true
 */
export async function checkTouches(
  stack: BenchStack,
  users: readonly string[],
  intervalSeconds: number,
): Promise<TouchCheck> {
  const entries = await stack.writeLog.entries({ users: [...users] });
  const times = new Map<string, number[]>(users.map((u) => [u, []]));
  for (const e of entries) times.get(e.userId)?.push(e.writtenAtMs);
  const counts = [...times.values()].map((t) => t.length);
  const gaps = [...times.values()].flatMap((t) =>
    t
      .sort((a, b) => a - b)
      .slice(1)
      .map((ms, i) => (ms - (t[i] as number)) / 1000),
  );
  const updates = (s: { neon: { stats(): { statements: Record<string, number> } } }) =>
    s.neon.stats().statements.UPDATE ?? 0;
  const updatesSent = [...EDGE_AUTH_ARMS.map((a) => stack.targets[a]), stack.primer].reduce(
    (sum, t) => sum + updates(t),
    0,
  );
  const minGapSeconds = gaps.length > 0 ? Math.min(...gaps) : null;
  const minWritesPerUser = counts.length > 0 ? Math.min(...counts) : 0;
  const refusalSeconds = refusalWindow(intervalSeconds);
  return {
    intervalSeconds,
    refusalSeconds,
    users: users.length,
    minWritesPerUser,
    maxWritesPerUser: counts.length > 0 ? Math.max(...counts) : 0,
    minGapSeconds,
    updatesSent,
    rowsWritten: entries.length,
    exactlyOnePerInterval:
      users.length > 0 &&
      minWritesPerUser >= 1 &&
      (minGapSeconds === null || minGapSeconds >= refusalSeconds) &&
      updatesSent === entries.length,
  };
}
