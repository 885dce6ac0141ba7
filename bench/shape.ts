// One load shape of a run: its users, how each arm's burst is prepared (the
// cache states), the burst with the counters around it, and its rounds,
// measured again when the machine was disturbed (noise.ts).
import type { Login } from '../tools/harness/logins';
import { ARMS, type Arm, armOrder, DJANGO_ARM, EDGE_AUTH_ARMS } from './arms';
import { difference, writeFigures } from './counts';
import { burst, readCounters, settle } from './measure';
import type { GcMeter, NoiseMeter } from './noise';
import type { BenchSettings, Scenario, ScenarioResult } from './run';
import type { BenchStack, Target } from './stack';
import { pairedWalls, type RoundRecord, summarizeShape } from './stats';

/** A Redis entry must have at least this long to live when a burst starts. */
const WARM_MIN_TTL_MS = 3000;
/** Counters must hold still this long before they are read: the servers count a request on arrival. */
const QUIET_MS = 50;

export interface ShapeContext {
  stack: BenchStack;
  settings: BenchSettings;
  signal: AbortSignal | undefined;
  log: (line: string) => void;
  noise: NoiseMeter;
  gc: GcMeter;
  /** Every edge-auth user of the run, for the touch check. */
  edgeAuthUsers: string[];
}

/**
 * One load shape: `setUp()` seeds its users, `warmUp()` sends one unmeasured burst per arm,
 * `block(k)` measures round k, `result()` summarises.
 * @example const shape = shapeRun(ctx, { users: 1, concurrency: 20 }); await shape.setUp();
 */
export function shapeRun(ctx: ShapeContext, scenario: Scenario) {
  const { stack, settings, noise } = ctx;
  const shape = `${scenario.users}x${scenario.concurrency}`;
  const name = (arm: Arm) => arm.replace(':', '-');
  const userIds = (arm: Arm, tag: string) =>
    Array.from({ length: scenario.users }, (_, u) => `${name(arm)}-${shape}${tag}-${u}`);
  const addUsers = async (arm: Arm, ids: string[]) => {
    await stack.addUsers(arm, ids);
    // The touch check reads the write log on `users`: the Django-mode arm's users are in auth_user.
    if ((EDGE_AUTH_ARMS as readonly Arm[]).includes(arm)) ctx.edgeAuthUsers.push(...ids);
  };
  /** Logins that keep their session over the run; per arm, one per request, used only to warm its origin connections. */
  const fixed = new Map<Arm, Login[]>();
  const poolWarmers = new Map<Arm, Login[]>();
  const rounds = Object.fromEntries(ARMS.map((a) => [a, [] as RoundRecord[]])) as Record<Arm, RoundRecord[]>;
  const stats = { discarded: 0, keptNoisy: 0, waitedMs: 0, foreign: [] as number[] };
  let attempt = 0;

  /** The logins of one burst, with edge-auth's caches in the arm's state. */
  const prepare = async (arm: Arm, tag: string): Promise<Login[]> => {
    const kept = fixed.get(arm);
    if (kept) return kept;
    // New users each round for cold, and for L1 miss too: the primer's load then claims their touch
    // marker afresh, so no marker of an earlier round can expire between the priming and the burst
    // (which would make a due touch, a correct write, land in a burst meant to measure warm reads).
    // And for Django mode, whose cookie names no user, so a load cannot read the user's marker with
    // the session: the isolate's own record of the claim (as long-lived as an L1 entry) stands in.
    // A new session of a user this isolate served less than an L1 TTL ago would outlive that record
    // and re-check the marker in the background during the burst; a production user's session does not.
    const fresh = arm === 'edge-auth:redis' || arm === 'edge-auth:cold' || arm === DJANGO_ARM;
    const ids = userIds(arm, fresh ? `-${tag}` : '');
    if (fresh) await addUsers(arm, ids);
    const logins = await stack.login(arm, ids, tag);
    if (arm !== 'edge-auth:cold') {
      // L1 hit (JWT or Django): this isolate loads the new session itself (its L1 lives 2 s from
      // here); L1 miss: the primer does, so only Redis has it.
      const loader = arm === 'edge-auth:redis' ? stack.primer : stack.targets[arm];
      await prime(loader, logins);
      await settle(() => readCounters(stack, loader), QUIET_MS);
      for (const { sessionId } of logins) {
        if ((await stack.sessionTtlMs(sessionId)) < WARM_MIN_TTL_MS)
          throw new Error(`${arm}: the session was not cached in Redis after priming`);
      }
    }
    return logins;
  };

  /**
   * One burst of one arm, with the counters around it and its background work settled. Before it,
   * as many unmeasured requests as the burst has, from other users: the Worker's connections to
   * the origin are then as warm for every arm (workerd drops idle ones after ~4 s), and no arm's
   * cache state changes (each warm-up user is only ever a warm-up user).
   */
  const round = async (arm: Arm, tag: string): Promise<RoundRecord> => {
    const target = stack.targets[arm];
    const logins = await prepare(arm, tag);
    await prime(target, poolWarmers.get(arm) ?? [], 'warm');
    const read = () => readCounters(stack, target);
    const before = await settle(read, QUIET_MS);
    const mark = noise.read();
    const t0 = performance.now();
    const result = await burst(
      target,
      logins.map((l) => l.token),
      scenario.concurrency,
    );
    const t1 = performance.now();
    const foreignCpuMs = noise.since(mark).cpuMs;
    const after = await settle(read, QUIET_MS);
    const users = logins.map((l) => l.userId);
    return {
      ...result,
      foreignCpuMs,
      // Read after settling (≥ 50 ms later): GC entries are delivered a tick after the collection.
      harnessMajorGcMs: ctx.gc.majorMs(t0, t1),
      workerCpuMs: after.workerCpuMs - before.workerCpuMs,
      redisRequests: after.redisRequests - before.redisRequests,
      redisCommands: difference(after.redisCommands, before.redisCommands),
      sqlRequests: after.sqlRequests - before.sqlRequests,
      statements: difference(after.statements, before.statements),
      ...writeFigures(
        (await stack.writeLog.entries({ after: before.logPosition, users })).map((e) => ({
          userId: e.userId,
          atMs: e.writtenAtMs,
        })),
      ),
    };
  };

  return {
    /** Seeds the users that keep their identity over the run. */
    async setUp() {
      for (const arm of ARMS) {
        const warmers = Array.from(
          { length: scenario.users * scenario.concurrency },
          (_, i) => `${name(arm)}-${shape}-pool-${i}`,
        );
        await addUsers(arm, warmers);
        poolWarmers.set(arm, await stack.login(arm, warmers, 'pool'));
      }
      for (const arm of ARMS) {
        if (arm === 'edge-auth:cold' || arm === 'edge-auth:redis' || arm === DJANGO_ARM) continue; // new users every round
        const ids = userIds(arm, '');
        await addUsers(arm, ids);
        // edge-auth's warm arms get a new session every round; the others keep this one.
        if (!arm.startsWith('edge-auth')) fixed.set(arm, await stack.login(arm, ids, 'fixed'));
      }
    },
    /** One burst of every arm, not measured. */
    async warmUp() {
      for (const arm of ARMS) await round(arm, 'w');
    },
    /** Round `k`: every arm once, in a balanced order, on a quiet machine; measured again when disturbed. */
    async block(k: number) {
      const { quietCores, maxQuietWaitMs, maxAttempts } = settings;
      for (let attempts = 1; ; attempts++) {
        ctx.signal?.throwIfAborted();
        stats.waitedMs += await noise.quiet(quietCores, maxQuietWaitMs, ctx.signal);
        const start = noise.read();
        const tag = `a${attempt++}`;
        const records = new Map<Arm, RoundRecord>();
        for (const arm of armOrder(k)) records.set(arm, await round(arm, tag));
        const foreign = noise.since(start);
        const list = [...records.values()];
        // Others kept a share of a core busy over the block, or took a bite out of one burst; or
        // this process (client and origin) stalled a burst in a major garbage collection.
        const disturbed =
          foreign.cores > quietCores ||
          list.some((r) => r.foreignCpuMs > Math.max(20, quietCores * r.wallMs));
        const noisy = disturbed || list.some((r) => r.harnessMajorGcMs > 0);
        if (noisy && attempts < maxAttempts) {
          stats.discarded++;
          ctx.log(
            `${shape}: ${disturbed ? `others used ${foreign.cores.toFixed(2)} cores` : 'the harness paused for a major GC'}, measuring again`,
          );
          continue;
        }
        if (noisy) stats.keptNoisy++;
        stats.foreign.push(foreign.cores);
        for (const [arm, record] of records) rounds[arm].push(record);
        return;
      }
    },
    result(): ScenarioResult {
      const { discarded, keptNoisy, waitedMs, foreign } = stats;
      const foreignCoresMean = foreign.reduce((a, b) => a + b, 0) / Math.max(1, foreign.length);
      return {
        ...scenario,
        roundsPlanned: settings.rounds,
        roundsCompleted: rounds.convoy.length,
        noise: { discarded, keptNoisy, waitedMs, foreignCoresMean },
        arms: summarizeShape(rounds),
        djangoVsJwt: pairedWalls(rounds[DJANGO_ARM], rounds['edge-auth:l1']),
        rounds,
      };
    },
  };
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
