// When each user may send. Every user is active in short windows separated by
// idle gaps longer than both the touch interval and the L1 TTL, staggered so
// the isolates see a steady load. This is what makes the expected number of
// last_login writes exact (one per window a user was active in), derived from
// the rule rather than measured:
//  - a window starts ≥ max(T, L) + margin after the user's previous window
//    ended, so every isolate's L1 entry and the Redis marker have expired and
//    last_login is more than T old: the window's first request claims and writes;
//  - a window lasts T/4, so every request of it (plus processing lag < the
//    margin) falls within T of that claim: no second claim can win, and the
//    WHERE would refuse a second UPDATE anyway.

/** The schedule of a run, in ms relative to the run's start. */
export interface Pacing {
  /** How long a user's window lasts (T/4). */
  activeMs: number;
  /** Window start to next window start of one user: active + max(T, L) + margin. */
  periodMs: number;
  /** Slack for processing lag (dispatch → the Worker's MGET, claim → UPDATE): max(T, L). */
  marginMs: number;
  /** Offset of user `u`'s first window (users evenly staggered over one period). */
  phaseMs(u: number): number;
  /** The window user `u` is in at `relMs`, or -1 between windows. */
  windowAt(u: number, relMs: number): number;
  /** When window `k` of user `u` starts. */
  windowStartMs(u: number, k: number): number;
  /** How long until user `u`'s next window starts (0 inside a window). */
  untilNextMs(u: number, relMs: number): number;
}

/**
 * The schedule for `users` users under touch interval T and L1 TTL L (seconds).
 *
 * @example
 * const pacing = createPacing({ users: 200, touchIntervalSeconds: 2, l1TtlSeconds: 2 });
 * pacing.periodMs // 4500: 500 ms active, then 4000 ms idle
 */
export function createPacing(options: { users: number; touchIntervalSeconds: number; l1TtlSeconds: number }) {
  const { users } = options;
  const longest = Math.max(options.touchIntervalSeconds, options.l1TtlSeconds) * 1000;
  const activeMs = (options.touchIntervalSeconds * 1000) / 4;
  // Under full load on 2 cores a window's first write has landed up to ~0.6 s after its
  // request; the margin must exceed that or the next window's UPDATE meets the WHERE.
  const marginMs = longest;
  const periodMs = activeMs + longest + marginMs;
  const phaseMs = (u: number) => (u * periodMs) / users;
  const pacing: Pacing = {
    activeMs,
    periodMs,
    marginMs,
    phaseMs,
    windowAt(u, relMs) {
      const since = relMs - phaseMs(u);
      if (since < 0) return -1;
      const k = Math.floor(since / periodMs);
      return since - k * periodMs < activeMs ? k : -1;
    },
    windowStartMs: (u, k) => phaseMs(u) + k * periodMs,
    untilNextMs(u, relMs) {
      const since = relMs - phaseMs(u);
      if (since < 0) return -since;
      const k = Math.floor(since / periodMs);
      return since - k * periodMs < activeMs ? 0 : (k + 1) * periodMs - since;
    },
  };
  return pacing;
}
