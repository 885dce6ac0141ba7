// The benchmark's core, callable from the CLI (bench/main.ts) and the smoke
// test: builds the three Workers, starts the stack, and runs interleaved
// rounds (every variant once per round, order rotated) so machine drift
// hits all variants alike.
import { buildBundles, VARIANTS, type Variant } from './build';
import { burst, type Counters, readCounters, settle } from './measure';
import { type BenchStack, sessionOf, startBenchStack, type Target } from './stack';
import { type Ratio, type RoundRecord, ratio, summarize, type VariantSummary } from './stats';

/** Inputs of one benchmark run; everything but the services has a default. */
export interface BenchOptions {
  redisUrl: string;
  postgresAdminUrl: string;
  /** Measured rounds per scenario (each variant once per round). Default 30. */
  rounds?: number;
  /** Load shapes, run one after the other. Default: the story, 1 user × 20 concurrent requests. */
  scenarios?: Scenario[];
  /** Added to every Redis and SQL HTTP request (edge → region distance). Default 0. */
  latencyMs?: number;
  /** Convoy's work while holding the row lock (the story: ~20 ms). Default 20. */
  lockHoldMs?: number;
  /** edge-auth's TOUCH_INTERVAL_SECONDS. Default 300 (the production default). */
  touchIntervalSeconds?: number;
  /** Rounds stop (the run still reports) once this much time has passed. Default 100 s. */
  timeBudgetMs?: number;
  /** A prebuilt edge-auth bundle (the test suite has one); built with wrangler otherwise. */
  edgeAuthScript?: string;
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One load shape: every user sends `concurrency` requests at once, all users together. */
export interface Scenario {
  users: number;
  concurrency: number;
}

/** The options as run. */
export type BenchSettings = Required<
  Omit<BenchOptions, 'redisUrl' | 'postgresAdminUrl' | 'edgeAuthScript' | 'signal' | 'log'>
> & { sessionCacheTtlSeconds: number };

export interface ScenarioResult {
  users: number;
  concurrency: number;
  roundsPlanned: number;
  roundsCompleted: number;
  variants: Record<Variant, VariantSummary>;
  ratios: { convoyOverEdgeAuth: Ratio; edgeAuthOverPassthrough: Ratio };
  rounds: Record<Variant, RoundRecord[]>;
}

export interface BenchResult {
  settings: BenchSettings;
  postgresVersion: string;
  durationMs: number;
  scenarios: ScenarioResult[];
}

/** Below this remaining TTL the session entry is refreshed before a round, so every round runs warm. */
const WARM_MIN_TTL_MS = 3000;

/**
 * Runs the whole benchmark and cleans up after itself (also on error or abort).
 *
 * @example
 * const result = await runBenchmark({ redisUrl, postgresAdminUrl, rounds: 20 });
 * result.scenarios[0].variants.convoy.slowest // ms
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const settings: BenchSettings = {
    rounds: options.rounds ?? 30,
    scenarios: options.scenarios ?? [{ users: 1, concurrency: 20 }],
    latencyMs: options.latencyMs ?? 0,
    lockHoldMs: options.lockHoldMs ?? 20,
    touchIntervalSeconds: options.touchIntervalSeconds ?? 300,
    timeBudgetMs: options.timeBudgetMs ?? 100_000,
    sessionCacheTtlSeconds: 10,
  };
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + settings.timeBudgetMs;
  log('building the three Workers with wrangler');
  const bundles = await buildBundles(
    options.edgeAuthScript ? { edgeAuthScript: options.edgeAuthScript } : {},
  );
  try {
    options.signal?.throwIfAborted();
    log('starting the stack (database, protocol servers, workerd)');
    const stack = await startBenchStack({ ...options, ...settings, scripts: bundles.scripts });
    try {
      stack.setLatency(settings.latencyMs);
      const scenarios: ScenarioResult[] = [];
      for (const [i, scenario] of settings.scenarios.entries()) {
        // Each scenario gets an equal share of what is left of the budget.
        const share = (deadline - Date.now()) / (settings.scenarios.length - i);
        scenarios.push(await runScenario(stack, settings, scenario, Date.now() + share, options));
      }
      return {
        settings,
        postgresVersion: await stack.postgresVersion(),
        durationMs: performance.now() - started,
        scenarios,
      };
    } finally {
      await stack.stop();
    }
  } finally {
    await bundles.remove();
  }
}

async function runScenario(
  stack: BenchStack,
  settings: BenchSettings,
  { users, concurrency }: Scenario,
  deadline: number,
  options: BenchOptions,
): Promise<ScenarioResult> {
  const log = options.log ?? (() => undefined);
  // Counters must outlast the injected latency: servers count a request when it arrives.
  const quietMs = 50 + 3 * settings.latencyMs;
  const ids = {} as Record<Variant, string[]>;
  const tokens = {} as Record<Variant, string[]>;
  for (const variant of VARIANTS) {
    ids[variant] = Array.from({ length: users }, (_, u) => `${variant}-${users}x${concurrency}-${u}`);
    tokens[variant] = await stack.seed(ids[variant]);
  }
  const round = async (variant: Variant): Promise<RoundRecord> => {
    const target = stack.targets[variant];
    if (variant === 'edge-auth') await warm(stack, target, ids[variant], tokens[variant], quietMs);
    const read = () => readCounters(stack, target, ids[variant]);
    const before = await read();
    const result = await burst(target, tokens[variant], concurrency);
    const after = await settle(read, quietMs);
    const writeSpacingMs = await stack.writeLog.spacingMs(before.logPosition, ids[variant]);
    return { ...result, ...delta(before, after), writeSpacingMs };
  };

  // One unmeasured burst per variant: JIT, connection pools and sockets warm up.
  for (const variant of VARIANTS) await round(variant);
  const rounds: Record<Variant, RoundRecord[]> = { convoy: [], 'edge-auth': [], passthrough: [] };
  let done = 0;
  while (done < settings.rounds && (done === 0 || Date.now() < deadline)) {
    options.signal?.throwIfAborted();
    // Rotate the order so no variant always runs right after another.
    const order = VARIANTS.map((_, k) => VARIANTS[(k + done) % VARIANTS.length] as Variant);
    for (const variant of order) rounds[variant].push(await round(variant));
    done++;
    log(`${users} user(s) × ${concurrency}: round ${done}/${settings.rounds}`);
  }
  if (done < settings.rounds) log(`time budget reached after ${done} round(s)`);

  const variants = {
    convoy: summarize(rounds.convoy),
    'edge-auth': summarize(rounds['edge-auth']),
    passthrough: summarize(rounds.passthrough),
  };
  return {
    users,
    concurrency,
    roundsPlanned: settings.rounds,
    roundsCompleted: done,
    variants,
    ratios: {
      convoyOverEdgeAuth: ratio(variants.convoy, variants['edge-auth']),
      edgeAuthOverPassthrough: ratio(variants['edge-auth'], variants.passthrough),
    },
    rounds,
  };
}

/**
 * Makes sure every user's session is cached with time to spare: where it is
 * not, one unmeasured request re-caches it, then its background work lands.
 */
async function warm(stack: BenchStack, target: Target, users: string[], tokens: string[], quietMs: number) {
  const cold = [];
  for (const [u, id] of users.entries()) {
    if ((await stack.sessionTtlMs(sessionOf(id))) < WARM_MIN_TTL_MS) cold.push(u);
  }
  if (cold.length === 0) return;
  for (const u of cold) {
    // A still-live entry would be a hit and keep its short TTL: drop it so this request re-caches.
    await stack.forgetSession(sessionOf(users[u] as string));
    const res = await target.fetch('/api/orders?warm', tokens[u] as string);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`edge-auth warm-up answered ${res.status}`);
  }
  await settle(() => readCounters(stack, target, users), quietMs);
  for (const u of cold) {
    if ((await stack.sessionTtlMs(sessionOf(users[u] as string))) < WARM_MIN_TTL_MS)
      throw new Error('edge-auth did not cache the session after a warm-up request');
  }
}

function delta(before: Counters, after: Counters) {
  const perUser = [...after.rows].map(([u, n]) => n - (before.rows.get(u) ?? 0));
  return {
    sqlRequests: after.sqlRequests - before.sqlRequests,
    updates: after.updates - before.updates,
    redisRequests: after.redisRequests - before.redisRequests,
    rows: perUser.reduce((a, b) => a + b, 0),
    maxRowsPerUser: Math.max(0, ...perUser),
  };
}
