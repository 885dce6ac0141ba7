// The benchmark's core, called by the CLI (main.ts) and the smoke test: builds
// the four Workers (edge-auth's bundle runs in two modes), starts the stack, and runs interleaved rounds. A round
// sends one burst of every arm in every load shape (arms in a balanced order,
// shapes rotated), so machine drift hits all arms and shapes alike.
import { numberArg } from '../tools/harness/cli';
import { bundleWorkers } from '../tools/harness/workerd';
import { ARMS, type Arm, VARIANTS, type Variant } from './arms';
import { createGcMeter, createNoiseMeter } from './noise';
import { shapeRun } from './shape';
import { startBenchStack } from './stack';
import type { ArmSummary, Paired, RoundRecord } from './stats';
import { checkTouches, type TouchCheck } from './touches';

/** One load shape: `users` users each send `concurrency` requests, all at once. */
export interface Scenario {
  users: number;
  concurrency: number;
}

/**
 * `--scenarios`: USERSxREQUESTS-EACH entries, comma-separated; throws a RangeError naming the form.
 * @example parseScenarios('1x20,20x1') // [{ users: 1, concurrency: 20 }, { users: 20, concurrency: 1 }]
 */
export function parseScenarios(text: string): Scenario[] {
  return text.split(',').map((item) => {
    const [users, concurrency, extra] = item.trim().split('x');
    if (extra !== undefined || concurrency === undefined)
      throw new RangeError('--scenarios entries look like 1x20 (users x requests each)');
    return {
      users: numberArg('scenarios users', users, 1, { min: 1, max: 200 }),
      concurrency: numberArg('scenarios requests', concurrency, 1, { min: 1, max: 200 }),
    };
  });
}

/** N = 1, 5, 20, 50 concurrent requests from one user, then the same N from N users. */
export const DEFAULT_SCENARIOS: Scenario[] = [1, 5, 20, 50]
  .map((n) => ({ users: 1, concurrency: n }))
  .concat([5, 20, 50].map((n) => ({ users: n, concurrency: 1 })));

/** What a run can be told; DESIGN_ROUNDS (14) are one full Williams design (arms.ts), 7 half of it. */
export const BENCH_DEFAULTS = {
  rounds: 7,
  /** No round starts after this long (a guard for a machine too busy to be quiet). */
  timeBudgetMs: 300_000,
  /** Others' CPU (cores) that makes the machine "not quiet": a block waits for less, and is measured again after more. */
  quietCores: 0.2,
  maxQuietWaitMs: 10_000,
  /** Attempts per block: after this many noisy ones the last is kept (and counted as noisy). */
  maxAttempts: 4,
};

/** The run's settings: the options, and the configuration edge-auth and the convoy run with. */
export type BenchSettings = typeof BENCH_DEFAULTS & {
  scenarios: Scenario[];
  /** The convoy's work while holding the row lock (the story: ~20 ms). */
  lockHoldMs: number;
  touchIntervalSeconds: number;
  sessionCacheTtlSeconds: number;
  l1CacheTtlSeconds: number;
};

/** Inputs of one run; everything but the services has a default. */
export type BenchOptions = Partial<typeof BENCH_DEFAULTS> & {
  redisUrl: string;
  postgresAdminUrl: string;
  scenarios?: Scenario[];
  /** A prebuilt edge-auth bundle (the test suite has one); built with wrangler otherwise. */
  edgeAuthScript?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
};

export interface ScenarioResult extends Scenario {
  roundsPlanned: number;
  roundsCompleted: number;
  /** Blocks measured again because of noise, noisy ones kept after maxAttempts, time waited for quiet. */
  noise: { discarded: number; keptNoisy: number; waitedMs: number; foreignCoresMean: number };
  arms: Record<Arm, ArmSummary>;
  /** The Django-mode warm burst's wall ÷ the JWT warm burst's in the same round: what the mode costs. */
  djangoVsJwt: Paired;
  /** Every round's raw figures (not saved: the summaries are). */
  rounds: Record<Arm, RoundRecord[]>;
}

export interface BenchResult {
  settings: BenchSettings;
  postgresVersion: string;
  durationMs: number;
  scenarios: ScenarioResult[];
  /** last_login writes of every edge-auth user over the whole run. */
  touches: TouchCheck;
}

/**
 * Runs the whole benchmark and cleans up after itself (also on error or abort).
 *
 * @example
 * const result = await runBenchmark({ redisUrl, postgresAdminUrl, rounds: 2 });
 * result.scenarios[0].arms.convoy.p99 // ms
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const { redisUrl, postgresAdminUrl, edgeAuthScript, signal, log = () => undefined, ...given } = options;
  const settings: BenchSettings = {
    ...BENCH_DEFAULTS,
    scenarios: DEFAULT_SCENARIOS,
    ...given,
    lockHoldMs: 20,
    touchIntervalSeconds: 300,
    sessionCacheTtlSeconds: 10,
    l1CacheTtlSeconds: 2,
  };
  const deadline = Date.now() + settings.timeBudgetMs;
  log('building the Workers with wrangler');
  const { 'edge-auth': _, ...benchOnly } = VARIANTS;
  const bundles = await bundleWorkers<Variant>(edgeAuthScript ? (benchOnly as typeof VARIANTS) : VARIANTS);
  const scripts = { ...bundles.scripts, ...(edgeAuthScript ? { 'edge-auth': edgeAuthScript } : {}) };
  try {
    signal?.throwIfAborted();
    log('starting the stack (database, protocol servers, eight workerd instances)');
    const stack = await startBenchStack({ redisUrl, postgresAdminUrl, ...settings, scripts });
    const gc = createGcMeter();
    try {
      for (const arm of ARMS)
        if (stack.targets[arm].pid === undefined) log(`${arm}: no workerd pid, CPU unknown`);
      // After the workerd instances started: they count as ours, as do the backends of our database.
      const ctx = { stack, settings, signal, log, noise: createNoiseMeter({ database: stack.db.name }), gc };
      const edgeAuthUsers: string[] = [];
      const shapes = settings.scenarios.map((sc) => shapeRun({ ...ctx, edgeAuthUsers }, sc));
      for (const shape of shapes) await shape.setUp();
      // One unmeasured round: JIT, connection pools and sockets warm up, warm users get their touch.
      for (const shape of shapes) await shape.warmUp();
      let done = 0;
      while (done < settings.rounds && (done === 0 || Date.now() < deadline)) {
        // Rotate the shapes, and reverse them every other round, so their neighbours change.
        const order = shapes.map((_, k) => shapes[(k + done) % shapes.length] as (typeof shapes)[number]);
        for (const shape of done % 2 === 0 ? order : order.reverse()) await shape.block(done);
        log(`round ${++done}/${settings.rounds} (every shape, every arm)`);
      }
      if (done < settings.rounds) log(`time budget reached after ${done} round(s)`);
      return {
        settings,
        postgresVersion: await stack.postgresVersion(),
        durationMs: performance.now() - started,
        scenarios: shapes.map((shape) => shape.result()),
        touches: await checkTouches(stack, edgeAuthUsers, settings.touchIntervalSeconds),
      };
    } finally {
      gc.stop();
      await stack.stop();
    }
  } finally {
    await bundles.remove();
  }
}
