import { describeCause } from '../errors';
import type { SessionCache, SessionStore } from './types';

/** What became of a touch that was due. */
export type TouchOutcome = 'written' | 'unchanged' | 'lost' | 'failed';

/**
 * The `last_login` policy, run in the background once a request has seen the
 * user's marker free: claim the marker (`SET NX EX`, one winner across all
 * isolates), and only the winner sends the conditional UPDATE. If the UPDATE
 * fails, the marker is given back (compare-and-delete on our own token) so a
 * later request retries it instead of the interval's touch being lost.
 *
 * @example
 * const touch = createToucher({ cache, store, intervalSeconds: 300 });
 * ctx.waitUntil(touch('u1'));
 */
export function createToucher(options: {
  cache: SessionCache;
  store: SessionStore;
  intervalSeconds: number;
  log: (line: string) => void;
}) {
  const { cache, store, intervalSeconds, log } = options;
  const refuseWithin = refusalWindow(intervalSeconds);

  /** With the marker: claim it, then write. */
  async function touch(userId: string): Promise<TouchOutcome> {
    const token = crypto.randomUUID();
    try {
      if (!(await cache.claimTouch(userId, token, intervalSeconds))) return 'lost';
    } catch (err) {
      log(`edge-auth: touch marker claim failed: ${describeCause(err)}`);
      return 'failed';
    }
    const outcome = await write(userId);
    if (outcome === 'failed') {
      await cache.releaseTouch(userId, token).catch((err) => {
        log(`edge-auth: touch marker release failed, retried after the interval: ${describeCause(err)}`);
      });
    }
    return outcome;
  }

  /**
   * Without the marker (the cache is down): the UPDATE alone. Its WHERE clause
   * still refuses a second write within the interval.
   */
  async function write(userId: string): Promise<TouchOutcome> {
    try {
      return (await store.touch(userId, refuseWithin)) ? 'written' : 'unchanged';
    } catch (err) {
      log(`edge-auth: last_login touch failed: ${describeCause(err)}`);
      return 'failed';
    }
  }

  /**
   * When the marker's state was not read with the session (a Django session
   * key names its user only once read): read it first (a read, never a write
   * command on the hot path's store), and claim only when it is free.
   */
  async function ifFree(sid: string, userId: string): Promise<TouchOutcome> {
    try {
      if ((await cache.read(sid, userId)).touchMarked) return 'lost';
    } catch (err) {
      log(`edge-auth: touch marker read failed: ${describeCause(err)}`);
      return 'failed';
    }
    return touch(userId);
  }

  return Object.assign(touch, { withoutMarker: write, ifFree });
}

export type Toucher = ReturnType<typeof createToucher>;

/**
 * How recent a `last_login` the UPDATE's WHERE clause refuses to overwrite:
 * the interval less a slack of min(interval / 4, 5 s). The marker keeps
 * claims an interval apart on Redis's clock; the WHERE measures from the last
 * UPDATE's `now()` on the database's. Without the slack, a previous UPDATE
 * that ran late after its claim would make the next, prompt one look
 * redundant and be refused — and that interval's write would be lost while
 * the marker stays set (found by the soak run, unpaced).
 *
 * @example
 * refusalWindow(300) // 295
 */
export function refusalWindow(intervalSeconds: number): number {
  return intervalSeconds - Math.min(intervalSeconds / 4, 5);
}
