import { describeCause } from '../errors';
import { createCoalescer } from '../util/coalesce';

/** Whether both dependencies answered within their budgets, and which did not. */
export interface Readiness {
  ready: boolean;
  dependencies: { redis: 'up' | 'down'; database: 'up' | 'down' };
}

/**
 * How old a readiness result may be when `/readyz` answers from it. Probes
 * are unauthenticated traffic: anyone may call `/readyz`, so its cost must
 * not grow with how often they do.
 */
export const READINESS_MAX_AGE_MS = 5_000;

interface Probe {
  /** When the probe started, on the injected clock: its result is that old at least. */
  at: number;
  readiness: Readiness;
}

/**
 * The isolate's readiness: answered from the last probe while it is younger
 * than `maxAgeMs`, else from a new one that concurrent callers share (at
 * most one probe in flight; a waiter whose leader is gone past `waitMs`
 * probes alone, as in `createCoalescer`). Which dependency is down goes to
 * `log`, once per probe.
 *
 * @example
 * const readiness = createReadinessProber({ checks: { redis: () => cache.ping(), database: () => store.ping() },
 *   now: Date.now, waitMs: 4000, log: console.error });
 * const { ready } = await readiness();
 */
export function createReadinessProber(options: {
  checks: Record<keyof Readiness['dependencies'], () => Promise<void>>;
  now: () => number;
  waitMs: number;
  log: (line: string) => void;
  maxAgeMs?: number;
}): () => Promise<Readiness> {
  const { checks, now, log } = options;
  const maxAgeMs = options.maxAgeMs ?? READINESS_MAX_AGE_MS;
  const coalesce = createCoalescer<Probe>({ waitMs: options.waitMs, now: options.now });
  let latest: Probe | undefined;

  // Started inside a promise: an adapter that throws synchronously still reads as "down".
  const check = (name: string, ping: () => Promise<void>) =>
    Promise.resolve()
      .then(ping)
      .then(
        () => 'up' as const,
        (err) => {
          log(`edge-auth: readiness: ${name} is down: ${describeCause(err)}`);
          return 'down' as const;
        },
      );

  async function probe(): Promise<Probe> {
    const at = now();
    const [redis, database] = await Promise.all([
      check('redis', checks.redis),
      check('database', checks.database),
    ]);
    return {
      at,
      readiness: { ready: redis === 'up' && database === 'up', dependencies: { redis, database } },
    };
  }

  return async function readiness() {
    const last = latest;
    if (last && now() - last.at < maxAgeMs) return last.readiness;
    const fresh = await coalesce('readiness', probe);
    // Requests finish in any order: keep the newest probe.
    if (!latest || fresh.at >= latest.at) latest = fresh;
    return fresh.readiness;
  };
}
