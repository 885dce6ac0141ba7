// The core of `npm run bench:django`, called by its CLI and the smoke test: the
// seed's site and the same site behind edge-auth, side by side on the stack of
// stack.ts. Each round sends every load shape to both arms (which arm goes
// first alternates round by round, the shapes rotate), each block once the
// machine is quiet, and measured again when others used the CPU meanwhile.
// Every burst's users are new, signed in for it; with `edgeCache: 'warm'` (the
// default) each user's one earlier request, sent to both arms alike and not
// measured, is the page view before the burst, so edge-auth has the session in
// its L1; with 'cold' the burst is the first request after the login (nothing
// in L1 or Redis: edge-auth's slowest case).
import { bundleWorkers } from '../../tools/harness/workerd';
import { createNoiseMeter } from '../noise';
import type { Scenario } from '../run';
import { type DjangoRound, measureBurst } from './burst';
import { type DjangoUser, startDjangoStack } from './stack';

export type { DjangoRound } from './burst';

/** The arms, in report order, with their labels. */
export const DJANGO_ARM_LABELS = {
  seed: 'django + update_or_create',
  edge: 'edge-auth → django',
} as const;
export type DjangoArm = keyof typeof DJANGO_ARM_LABELS;
export const DJANGO_ARMS = Object.keys(DJANGO_ARM_LABELS) as DjangoArm[];

/** N = 1, 5, 20 concurrent requests from one user, and the same N from N users. */
export const DJANGO_SCENARIOS: Scenario[] = [1, 5, 20]
  .map((n) => ({ users: 1, concurrency: n }))
  .concat([5, 20].map((n) => ({ users: n, concurrency: 1 })));

/** What a run can be told. Gunicorn and the hop as issue #16 measured them: gthread ×32, 5 ms each way. */
export const DJANGO_BENCH_DEFAULTS = {
  rounds: 20,
  scenarios: DJANGO_SCENARIOS,
  delayMs: 5,
  threads: 32,
  /**
   * Django's CONN_MAX_AGE: each gunicorn thread keeps its connection, as a site whose database is a
   * network hop away runs (Django's default, 0, opens one per request: --conn-max-age 0).
   */
  connMaxAge: 60,
  /** Others' CPU (cores) above which the machine is not quiet; a block waits for less, up to maxQuietWaitMs. */
  quietCores: 0.2,
  maxQuietWaitMs: 10_000,
  /** Attempts per block: a disturbed one is measured again (new users), the last kept either way. */
  maxAttempts: 3,
  /** No round starts after this long. */
  timeBudgetMs: 600_000,
  /** How often the lock sampler looks at pg_stat_activity during a burst. */
  lockSampleMs: 10,
  /** 'warm': one unmeasured request per user first (both arms); 'cold': the burst is the first. */
  edgeCache: 'warm' as 'warm' | 'cold',
};
export type DjangoBenchSettings = typeof DJANGO_BENCH_DEFAULTS;

export interface DjangoScenarioResult extends Scenario {
  roundsCompleted: number;
  rounds: Record<DjangoArm, DjangoRound[]>;
}

export interface DjangoBenchResult {
  settings: DjangoBenchSettings;
  postgresVersion: string;
  durationMs: number;
  /**
   * Blocks (one shape of a round, both arms) kept; measured again because others used the CPU;
   * kept although disturbed (after maxAttempts); others' mean CPU in the kept ones, cores.
   */
  noise: { blocks: number; discarded: number; keptNoisy: number; foreignCoresMean: number; waitedMs: number };
  scenarios: DjangoScenarioResult[];
}

/** Inputs of a run; everything but the services has a default. */
export type DjangoBenchOptions = Partial<DjangoBenchSettings> & {
  redisUrl: string;
  postgresAdminUrl: string;
  /** A prebuilt edge-auth bundle (the test suite has one); built with wrangler otherwise. */
  edgeAuthScript?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
};

/**
 * Runs the whole benchmark and cleans up after itself (also on error or abort).
 *
 * @example
 * const result = await runDjangoBenchmark({ redisUrl, postgresAdminUrl, rounds: 2 });
 * result.scenarios[2].rounds.seed[0].latencies // 20 latencies, ms
 */
export async function runDjangoBenchmark(options: DjangoBenchOptions): Promise<DjangoBenchResult> {
  const started = performance.now();
  const { redisUrl, postgresAdminUrl, edgeAuthScript, signal, log = () => undefined, ...given } = options;
  const settings: DjangoBenchSettings = { ...DJANGO_BENCH_DEFAULTS, ...given };
  const deadline = Date.now() + settings.timeBudgetMs;
  const shapeName = (s: Scenario) => `${s.users}x${s.concurrency}`;
  // New users for every attempt at a block (and the warm-up), each signed in once: a user's new
  // session never follows an earlier one of the same user, whose traces (edge-auth's per-isolate
  // record of the user's touch) would not be a new login's.
  const attempts = settings.rounds * settings.maxAttempts + 1;
  const names = (arm: DjangoArm, s: Scenario, attempt: number) =>
    Array.from({ length: s.users }, (_, u) => `${arm}-${shapeName(s)}-${attempt}-${u}`);
  const everyone = settings.scenarios.flatMap((s) =>
    DJANGO_ARMS.flatMap((arm) => Array.from({ length: attempts }, (_, a) => names(arm, s, a)).flat()),
  );

  if (!edgeAuthScript) log('building the Worker with wrangler');
  const bundles = edgeAuthScript ? undefined : await bundleWorkers({ 'edge-auth': undefined });
  try {
    signal?.throwIfAborted();
    const stack = await startDjangoStack({
      redisUrl,
      postgresAdminUrl,
      edgeAuthScript: edgeAuthScript ?? (bundles?.scripts['edge-auth'] as string),
      ...settings,
      users: everyone,
      sessions: 1,
      log,
    });
    try {
      const noise = createNoiseMeter({ database: stack.database });
      const quiet = { blocks: 0, discarded: 0, keptNoisy: 0, foreign: 0, waitedMs: 0 };
      const one = (arm: DjangoArm, scenario: Scenario, attempt: number) => {
        const users = names(arm, scenario, attempt).map((name) => stack.users.get(name));
        if (users.some((u) => u === undefined)) throw new Error(`${arm}: a user was not signed in`);
        return measureBurst({ stack, noise, settings }, arm, users as DjangoUser[], scenario.concurrency);
      };

      const rounds = settings.scenarios.map(() => ({ seed: [] as DjangoRound[], edge: [] as DjangoRound[] }));
      // Attempts made per shape: each one's users are new.
      const used = settings.scenarios.map(() => 0);
      // Round 0 is the warm-up: imports, JIT, the first connections and touch markers; not kept.
      for (let round = 0; round <= settings.rounds; round++) {
        if (round > 1 && Date.now() > deadline) {
          log(`time budget reached after ${round - 1} round(s)`);
          break;
        }
        const order = settings.scenarios.map((_, k) => (k + round) % settings.scenarios.length);
        for (const index of order) {
          const scenario = settings.scenarios[index] as Scenario;
          const arms = round % 2 === 0 ? DJANGO_ARMS : [...DJANGO_ARMS].reverse();
          for (let attempt = 1; ; attempt++) {
            signal?.throwIfAborted();
            quiet.waitedMs += await noise.quiet(settings.quietCores, settings.maxQuietWaitMs, signal);
            const start = noise.read();
            const made = used[index] ?? 0;
            used[index] = made + 1;
            const block: [DjangoArm, DjangoRound][] = [];
            for (const arm of arms) block.push([arm, await one(arm, scenario, made)]);
            if (round === 0) break;
            // Others kept a share of a core busy over the block, or took a bite out of one burst.
            const foreign = noise.since(start).cores;
            const disturbed =
              foreign > settings.quietCores ||
              block.some(([, r]) => r.foreignCpuMs > Math.max(20, settings.quietCores * r.wallMs));
            if (disturbed && attempt < settings.maxAttempts) {
              quiet.discarded++;
              log(
                `${scenario.users}x${scenario.concurrency}: others used ${foreign.toFixed(2)} cores, measuring again`,
              );
              continue;
            }
            quiet.blocks++;
            quiet.keptNoisy += disturbed ? 1 : 0;
            quiet.foreign += foreign;
            for (const [arm, record] of block) rounds[index]?.[arm].push(record);
            break;
          }
        }
        log(round === 0 ? 'warm-up round done' : `round ${round}/${settings.rounds}`);
      }
      return {
        settings,
        postgresVersion: await stack.postgresVersion(),
        durationMs: performance.now() - started,
        noise: {
          blocks: quiet.blocks,
          discarded: quiet.discarded,
          keptNoisy: quiet.keptNoisy,
          foreignCoresMean: quiet.foreign / Math.max(1, quiet.blocks),
          waitedMs: quiet.waitedMs,
        },
        scenarios: settings.scenarios.map((s, i) => ({
          ...s,
          roundsCompleted: rounds[i]?.seed.length ?? 0,
          rounds: rounds[i] as DjangoScenarioResult['rounds'],
        })),
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await bundles?.remove();
  }
}
