// The benchmark's core, callable from the CLI (bench/main.ts) and the smoke
// test: builds the four Workers, starts the stack, and runs interleaved
// rounds. A round sends one burst of every arm in every load shape (arms in a
// balanced order, shapes in a rotating one), so machine drift hits all arms
// and all shapes alike: one user's burst and N users' are compared within
// the same minutes.
import type { WriteLogEntry } from '../dev/write-log';
import { ARMS, type Arm, armOrder } from './arms';
import { buildBundles } from './build';
import { CLOCK_TICKS_PER_SECOND } from './cpu';
import { createGcMeter, type GcMeter } from './gc';
import { burst, readCounters, settle } from './measure';
import { createNoiseMeter, type NoiseMeter } from './noise';
import type { BenchStack, Login, Target } from './stack';
import { startBenchStack } from './stack';
import { type ArmSummary, type RoundRecord, summarize } from './stats';
import { checkTouches, type TouchCheck } from './touches';

/** Inputs of one benchmark run; everything but the services has a default. */
export interface BenchOptions {
  redisUrl: string;
  postgresAdminUrl: string;
  /** Measured rounds per scenario (each arm once per round). Default 10. */
  rounds?: number;
  /** Load shapes, run one after the other. Default: DEFAULT_SCENARIOS. */
  scenarios?: Scenario[];
  /** Added to every Redis and SQL HTTP request (edge → region distance). Default 0. */
  latencyMs?: number;
  /** Convoy's work while holding the row lock (the story: ~20 ms). Default 20. */
  lockHoldMs?: number;
  /** edge-auth's TOUCH_INTERVAL_SECONDS. Default 300 (the production default). */
  touchIntervalSeconds?: number;
  /** Rounds stop (the run still reports) once this much time has passed. Default 120 s. */
  timeBudgetMs?: number;
  /**
   * Others' CPU (in cores, see bench/noise.ts) above which the machine is not quiet: a round waits
   * for less before it starts, and is measured again if its bursts saw more. Default 0.2.
   */
  quietCores?: number;
  /** Longest wait for a quiet machine before a round starts anyway. Default 10 s. */
  maxQuietWaitMs?: number;
  /** Attempts per round: after this many noisy ones the last is kept (and counted as noisy). Default 4. */
  maxAttempts?: number;
  /** A prebuilt edge-auth bundle (the test suite has one); built with wrangler otherwise. */
  edgeAuthScript?: string;
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** One load shape: `users` users each send `concurrency` requests, all at once. */
export interface Scenario {
  users: number;
  concurrency: number;
}

/** N = 1, 5, 20, 50 concurrent requests from one user, then the same N from N users. */
export const DEFAULT_SCENARIOS: Scenario[] = [
  { users: 1, concurrency: 1 },
  { users: 1, concurrency: 5 },
  { users: 1, concurrency: 20 },
  { users: 1, concurrency: 50 },
  { users: 5, concurrency: 1 },
  { users: 20, concurrency: 1 },
  { users: 50, concurrency: 1 },
];

/** The options as run. */
export type BenchSettings = Required<
  Omit<BenchOptions, 'redisUrl' | 'postgresAdminUrl' | 'edgeAuthScript' | 'signal' | 'log'>
> & { sessionCacheTtlSeconds: number; l1CacheTtlSeconds: number };

export interface ScenarioResult {
  users: number;
  concurrency: number;
  roundsPlanned: number;
  roundsCompleted: number;
  /** Rounds measured again because others used the CPU meanwhile, and noisy rounds kept after maxAttempts. */
  noise: { discarded: number; keptNoisy: number; waitedMs: number; foreignCoresMean: number };
  arms: Record<Arm, ArmSummary>;
  rounds: Record<Arm, RoundRecord[]>;
}

export interface BenchResult {
  settings: BenchSettings;
  postgresVersion: string;
  durationMs: number;
  /** How CPU was read: /proc/<pid>/stat of each Worker's workerd (pid undefined where not found). */
  cpu: { clockTicksPerSecond: number; workerdPids: Record<Arm, number | null> };
  scenarios: ScenarioResult[];
  /** last_login writes of every edge-auth user over the whole run. */
  touches: TouchCheck;
}

/** A Redis entry must have at least this long to live when a burst starts. */
const WARM_MIN_TTL_MS = 3000;

/**
 * Runs the whole benchmark and cleans up after itself (also on error or abort).
 *
 * @example
 * const result = await runBenchmark({ redisUrl, postgresAdminUrl, rounds: 20 });
 * result.scenarios[0].arms.convoy.p99 // ms
 */
export async function runBenchmark(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const settings: BenchSettings = {
    rounds: options.rounds ?? 10,
    scenarios: options.scenarios ?? DEFAULT_SCENARIOS,
    latencyMs: options.latencyMs ?? 0,
    lockHoldMs: options.lockHoldMs ?? 20,
    touchIntervalSeconds: options.touchIntervalSeconds ?? 300,
    timeBudgetMs: options.timeBudgetMs ?? 120_000,
    quietCores: options.quietCores ?? 0.2,
    maxQuietWaitMs: options.maxQuietWaitMs ?? 10_000,
    maxAttempts: options.maxAttempts ?? 4,
    sessionCacheTtlSeconds: 10,
    l1CacheTtlSeconds: 2,
  };
  const log = options.log ?? (() => undefined);
  const deadline = Date.now() + settings.timeBudgetMs;
  log('building the four Workers with wrangler');
  const bundles = await buildBundles(
    options.edgeAuthScript ? { edgeAuthScript: options.edgeAuthScript } : {},
  );
  try {
    options.signal?.throwIfAborted();
    log('starting the stack (database, protocol servers, seven workerd instances)');
    const stack = await startBenchStack({ ...options, ...settings, scripts: bundles.scripts });
    const gc = createGcMeter();
    try {
      stack.setLatency(settings.latencyMs);
      // After the workerd instances started: they count as ours, as do the backends of our database.
      const noise = createNoiseMeter({ database: stack.db.name });
      const edgeAuthUsers: string[] = [];
      const shapes = settings.scenarios.map(
        (sc) => new ShapeRun(stack, settings, sc, options, edgeAuthUsers, noise, gc),
      );
      for (const shape of shapes) await shape.setUp();
      // One unmeasured round: JIT, connection pools and sockets warm up, warm users get their touch.
      for (const shape of shapes) await shape.warmUp();
      let done = 0;
      while (done < settings.rounds && (done === 0 || Date.now() < deadline)) {
        // Rotate the shapes, and reverse them every other round, so their neighbours change.
        const order = shapes.map((_, k) => shapes[(k + done) % shapes.length] as ShapeRun);
        for (const shape of done % 2 === 0 ? order : order.reverse()) await shape.block(done);
        done++;
        log(`round ${done}/${settings.rounds} (every shape, every arm)`);
      }
      if (done < settings.rounds) log(`time budget reached after ${done} round(s)`);
      const scenarios = shapes.map((shape) => shape.result());
      const touches = await checkTouches(stack, edgeAuthUsers, settings.touchIntervalSeconds);
      const pid = (a: Arm) => stack.targets[a].pid ?? null;
      return {
        settings,
        postgresVersion: await stack.postgresVersion(),
        durationMs: performance.now() - started,
        cpu: {
          clockTicksPerSecond: CLOCK_TICKS_PER_SECOND,
          workerdPids: Object.fromEntries(ARMS.map((a) => [a, pid(a)])) as Record<Arm, number | null>,
        },
        scenarios,
        touches,
      };
    } finally {
      gc.stop();
      await stack.stop();
    }
  } finally {
    await bundles.remove();
  }
}

/** What a burst of one arm is sent with. */
interface Prepared {
  target: Target;
  tokens: string[];
  users: string[];
}

/** One load shape: its users, how each arm's burst is prepared, and its measured blocks. */
class ShapeRun {
  private readonly shape: string;
  private readonly quietMs: number;
  private readonly fixed = new Map<Arm, Login[]>();
  /** Per arm, one login per request of a burst, used only to warm the Worker's origin connections. */
  private readonly poolWarmers = new Map<Arm, Login[]>();
  private readonly rounds = Object.fromEntries(ARMS.map((a) => [a, [] as RoundRecord[]])) as Record<
    Arm,
    RoundRecord[]
  >;
  private readonly noiseStats = { discarded: 0, keptNoisy: 0, waitedMs: 0, foreign: [] as number[] };
  /** Attempts so far: names the sessions and users of each one. */
  private attempt = 0;

  constructor(
    private readonly stack: BenchStack,
    private readonly settings: BenchSettings,
    private readonly scenario: Scenario,
    private readonly options: BenchOptions,
    /** Every edge-auth user of the run, for the touch check. */
    private readonly edgeAuthUsers: string[],
    private readonly noise: NoiseMeter,
    private readonly gc: GcMeter,
  ) {
    this.shape = `${scenario.users}x${scenario.concurrency}`;
    // Counters must outlast the injected latency: servers count a request when it arrives.
    this.quietMs = 50 + 3 * settings.latencyMs;
  }

  private userIds(arm: Arm, tag = '') {
    const name = arm.replace(':', '-');
    return Array.from({ length: this.scenario.users }, (_, u) => `${name}-${this.shape}${tag}-${u}`);
  }

  /** Seeds the users that keep their identity over the run. */
  async setUp(): Promise<void> {
    const requests = this.scenario.users * this.scenario.concurrency;
    for (const arm of ARMS) {
      const warmers = Array.from(
        { length: requests },
        (_, i) => `${arm.replace(':', '-')}-${this.shape}-pool-${i}`,
      );
      await this.stack.addUsers(warmers);
      if (arm.startsWith('edge-auth')) this.edgeAuthUsers.push(...warmers);
      this.poolWarmers.set(arm, await this.stack.login(warmers, 'pool'));
    }
    for (const arm of ARMS) {
      if (arm === 'edge-auth:cold' || arm === 'edge-auth:redis') continue; // new users every round
      const ids = this.userIds(arm);
      await this.stack.addUsers(ids);
      if (arm.startsWith('edge-auth')) this.edgeAuthUsers.push(...ids);
      // edge-auth's warm arms get a new session every round; the others keep this one.
      if (!arm.startsWith('edge-auth')) this.fixed.set(arm, await this.stack.login(ids, 'fixed'));
    }
  }

  /** One burst of every arm, not measured. */
  async warmUp(): Promise<void> {
    for (const arm of ARMS) await this.round(arm, 'w');
  }

  /**
   * Round `k` of this shape: every arm once, in a balanced order, on a quiet machine. Measured
   * again while others used the CPU meanwhile (at most `maxAttempts` times; the last is kept).
   */
  async block(k: number): Promise<void> {
    const { quietCores, maxQuietWaitMs, maxAttempts } = this.settings;
    const log = this.options.log ?? (() => undefined);
    for (let attempts = 1; ; attempts++) {
      this.options.signal?.throwIfAborted();
      const { waitedMs } = await this.noise.quiet(quietCores, maxQuietWaitMs, this.options.signal);
      this.noiseStats.waitedMs += waitedMs;
      const start = this.noise.read();
      const records = new Map<Arm, RoundRecord>();
      const tag = `a${this.attempt++}`;
      for (const arm of armOrder(k)) records.set(arm, await this.round(arm, tag));
      const foreign = this.noise.since(start);
      // Others kept a share of a core busy over the block, or took a bite out of one burst; or this
      // process (client and origin) stalled a burst in a major garbage collection (bench/gc.ts).
      const disturbed =
        foreign.cores > quietCores ||
        [...records.values()].some((r) => r.foreignCpuMs > Math.max(20, quietCores * r.wallMs));
      const paused = [...records.values()].some((r) => r.harnessMajorGcMs > 0);
      const noisy = disturbed || paused;
      if (noisy && attempts < maxAttempts) {
        this.noiseStats.discarded++;
        log(
          `${this.shape}: ${disturbed ? `others used ${foreign.cores.toFixed(2)} cores` : 'the harness paused for a major GC'}, measuring again`,
        );
        continue;
      }
      if (noisy) this.noiseStats.keptNoisy++;
      this.noiseStats.foreign.push(foreign.cores);
      for (const [arm, record] of records) this.rounds[arm].push(record);
      return;
    }
  }

  result(): ScenarioResult {
    const n = this.noiseStats;
    const completed = this.rounds.convoy.length;
    return {
      users: this.scenario.users,
      concurrency: this.scenario.concurrency,
      roundsPlanned: this.settings.rounds,
      roundsCompleted: completed,
      noise: {
        discarded: n.discarded,
        keptNoisy: n.keptNoisy,
        waitedMs: n.waitedMs,
        foreignCoresMean: n.foreign.reduce((a, b) => a + b, 0) / Math.max(1, n.foreign.length),
      },
      arms: Object.fromEntries(ARMS.map((a) => [a, summarize(this.rounds[a])])) as Record<Arm, ArmSummary>,
      rounds: this.rounds,
    };
  }

  /**
   * One burst of one arm, with the counters around it and its background work settled. Before it,
   * as many unmeasured requests as the burst has, all at once, from other users: the Worker's
   * connections to the origin are then as warm for every arm (workerd drops idle ones after ~4 s),
   * and no arm's cache state changes (each warm-up user is only ever a warm-up user).
   */
  private async round(arm: Arm, tag: string): Promise<RoundRecord> {
    const { target, tokens, users } = await this.prepare(arm, tag);
    await prime(target, this.poolWarmers.get(arm) ?? [], 'warm');
    const read = () => readCounters(this.stack, target);
    await settle(read, this.quietMs);
    const before = await read();
    const mark = this.noise.read();
    const burstStart = performance.now();
    const result = await burst(target, tokens, this.scenario.concurrency);
    const burstEnd = performance.now();
    const foreignCpuMs = this.noise.since(mark).cpuMs;
    const after = await settle(read, this.quietMs);
    // Read after settling (≥ 50 ms later): GC entries are delivered a tick after the collection.
    const gc = this.gc.between(burstStart, burstEnd);
    const writes = await this.stack.writeLog.entries({ after: before.logPosition, users });
    return {
      ...result,
      foreignCpuMs,
      harnessGcMs: gc.pausedMs,
      harnessMajorGcMs: gc.majorMs,
      workerCpuMs: after.workerCpuMs - before.workerCpuMs,
      originConnections: after.originConnections - before.originConnections,
      redisRequests: after.redisRequests - before.redisRequests,
      redisCommands: difference(after.redisCommands, before.redisCommands),
      sqlRequests: after.sqlRequests - before.sqlRequests,
      statements: difference(after.statements, before.statements),
      ...writeFigures(writes),
    };
  }

  private async prepare(arm: Arm, tag: string): Promise<Prepared> {
    const fixed = this.fixed.get(arm);
    const target = this.stack.targets[arm];
    if (fixed) return { target, tokens: fixed.map((l) => l.token), users: fixed.map((l) => l.userId) };
    // New users each round for cold, and for L1 miss too: the primer's load then claims their touch
    // marker afresh, so no marker of an earlier round can expire between the priming and the burst
    // (which would make a due touch, a correct write, land in a burst meant to measure warm reads).
    const fresh = arm === 'edge-auth:cold' || arm === 'edge-auth:redis';
    const ids = this.userIds(arm, fresh ? `-${tag}` : '');
    if (fresh) {
      await this.stack.addUsers(ids);
      this.edgeAuthUsers.push(...ids);
    }
    const logins = await this.stack.login(ids, tag);
    if (arm !== 'edge-auth:cold') {
      // L1 hit: this isolate loads the new session itself (L1 lives 2 s from here);
      // L1 miss: another isolate does, so only Redis has it.
      const loader = arm === 'edge-auth:l1' ? target : this.stack.primer;
      await prime(loader, logins);
      await settle(() => readCounters(this.stack, loader), this.quietMs);
      for (const { sessionId } of logins) {
        if ((await this.stack.sessionTtlMs(sessionId)) < WARM_MIN_TTL_MS)
          throw new Error(`${arm}: the session was not cached in Redis after priming`);
      }
    }
    return { target, tokens: logins.map((l) => l.token), users: logins.map((l) => l.userId) };
  }
}

/** One request per login, all at once; each must reach the origin. */
async function prime(target: Target, logins: Login[], why = 'prime') {
  await Promise.all(
    logins.map(async ({ token }) => {
      const res = await target.fetch(`/api/orders?${why}`, token);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${why} request answered ${res.status}`);
    }),
  );
}

function difference(after: Record<string, number>, before: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(after)) if (n !== (before[k] ?? 0)) out[k] = n - (before[k] ?? 0);
  return out;
}

/** Rows written, the most-written user's count and the mean gap between one user's writes. */
function writeFigures(entries: WriteLogEntry[]) {
  const times = new Map<string, number[]>();
  for (const e of entries) times.set(e.userId, [...(times.get(e.userId) ?? []), e.writtenAtMs]);
  const gaps = [...times.values()]
    .filter((t) => t.length > 1)
    .map((t) => (Math.max(...t) - Math.min(...t)) / (t.length - 1));
  return {
    rows: entries.length,
    maxRowsPerUser: Math.max(0, ...[...times.values()].map((t) => t.length)),
    writeSpacingMs: gaps.length > 0 ? gaps.reduce((a, b) => a + b, 0) / gaps.length : null,
  };
}
