// The soak run: the local stack (dev/stack.ts), several isolates of the
// bundled Worker, a warm-up, the L1 bound probe, then the paced load with
// lock and memory sampling. Returns what was observed; checks.ts judges it.
import { randomBytes } from 'node:crypto';
import { type LocalStack, startLocalStack } from '../../dev/stack';
import { addUsers, openSessions } from '../harness/logins';
import { holdStill } from '../harness/settle';
import { CONTROL_SOURCE, type Isolate, type IsolateSpec, startIsolates } from './isolates';
import { type RequestRecord, runLoad } from './load';
import { sampleLocks } from './locks';
import { memorySampler } from './memory';
import type { SoakObservations, SoakSettings } from './observations';
import { createPacing } from './pacing';
import { probeL1Bound } from './probe';
import { readWrites } from './write-rules';

/** Inputs of a soak run; the services and the bundle are required, the rest has defaults. */
export interface SoakOptions extends Partial<SoakSettings> {
  redisUrl: string;
  postgresAdminUrl: string;
  /** The Worker as `wrangler deploy --dry-run --outdir` bundles it. */
  workerScript: string;
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The full run's settings (`npm run soak`). */
export const SOAK_DEFAULTS: SoakSettings = {
  requests: 50_000,
  users: 200,
  concurrency: 64,
  isolates: 3,
  boundedL1Entries: 50,
  touchIntervalSeconds: 2,
  sessionCacheTtlSeconds: 5,
  l1TtlSeconds: 2,
  minWindows: 10,
  timeLimitSeconds: 300,
  warmupRequests: 300,
  rssGrowthLimitMiB: 30,
  heapGrowthLimitMiB: 4,
};

const WARM_USERS = 20;
/** Counters must hold still this long before they are read: longer than any background step. */
const QUIET_MS = 400;

/**
 * Runs the soak and cleans up after itself (also on error or abort).
 *
 * @example
 * const observed = await runSoak({ redisUrl, postgresAdminUrl, workerScript, requests: 5000 });
 * evaluate(observed).passed // true
 */
export async function runSoak(options: SoakOptions): Promise<SoakObservations> {
  const given = Object.entries(options).filter(([k, v]) => k in SOAK_DEFAULTS && v !== undefined);
  const settings: SoakSettings = { ...SOAK_DEFAULTS, ...Object.fromEntries(given) };
  const log = options.log ?? (() => undefined);
  const secrets = {
    jwtSecret: `soak-jwt-${randomBytes(24).toString('hex')}`,
    redisToken: `soak-redis-${randomBytes(16).toString('hex')}`,
  };
  log('starting the local stack');
  const stack = await startLocalStack({
    label: 'soak',
    redisUrl: options.redisUrl,
    postgresUrl: options.postgresAdminUrl,
    redisToken: secrets.redisToken,
    origin: true,
    poolSize: 2,
  });
  try {
    return await withStack(stack, settings, secrets, options, log);
  } finally {
    await stack.stop();
  }
}

async function withStack(
  stack: LocalStack,
  settings: SoakSettings,
  secrets: { jwtSecret: string; redisToken: string },
  options: SoakOptions,
  log: (line: string) => void,
): Promise<SoakObservations> {
  const measuredIds = Array.from({ length: settings.users }, (_, u) => `soak-${u}`);
  const warmIds = Array.from({ length: WARM_USERS }, (_, u) => `warm-${u}`);
  const probeIds = Array.from({ length: settings.boundedL1Entries + 1 }, (_, u) => `probe-${u}`);
  const tokens = await seed(stack, [...measuredIds, ...warmIds, ...probeIds], secrets.jwtSecret);
  const tokenOf = (id: string) => tokens.get(id) as string;

  const bindings = (extra: Record<string, string>) =>
    Object.fromEntries(
      Object.entries({
        ...stack.env(),
        JWT_SECRET: secrets.jwtSecret,
        TOUCH_INTERVAL_SECONDS: String(settings.touchIntervalSeconds),
        SESSION_CACHE_TTL_SECONDS: String(settings.sessionCacheTtlSeconds),
        L1_CACHE_TTL_SECONDS: String(settings.l1TtlSeconds),
        ...extra,
      }).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  const bounded = settings.boundedL1Entries > 0;
  const specs: IsolateSpec[] = Array.from({ length: settings.isolates }, (_, i) =>
    bounded && i === settings.isolates - 1
      ? {
          bindings: bindings({ L1_CACHE_MAX_ENTRIES: String(settings.boundedL1Entries) }),
          note: `L1_CACHE_MAX_ENTRIES=${settings.boundedL1Entries}`,
        }
      : { bindings: bindings({}), note: '' },
  );
  specs.push({ note: 'control', bindings: { ORIGIN_URL: stack.origin?.url ?? '' }, source: CONTROL_SOURCE });
  log(`starting ${settings.isolates} workerd isolates and the control`);
  const isolates = await startIsolates(options.workerScript, specs);
  const workers = isolates.list.slice(0, settings.isolates);
  const control = isolates.list[settings.isolates] as Isolate;
  let sentOutsideLoad = 0;
  try {
    // Warm-up (JIT, sockets, pools) on users of its own, so the measured users start cold.
    log('warm-up');
    for (const isolate of isolates.list) {
      const sent = await warmUp(isolate, warmIds.map(tokenOf), settings.warmupRequests);
      if (isolate !== control) sentOutsideLoad += sent;
    }
    const last = workers[workers.length - 1] as Isolate;
    const probe = bounded
      ? await probeL1Bound(last, probeIds.map(tokenOf), settings.l1TtlSeconds * 1000)
      : undefined;
    sentOutsideLoad += probe?.requests ?? 0;

    const counters = async () =>
      `${stack.neon.stats().requests}/${stack.upstash.stats().requests}/${await stack.writeLog.position()}`;
    await holdStill(counters, QUIET_MS);
    const logPosition = await stack.writeLog.position();
    stack.neon.resetStats();
    stack.upstash.resetStats();
    const marks = isolates.list.map((i) => i.output.stdout.length);
    const memory = memorySampler(isolates.list, control);
    await memory.sample('start');

    log(`load: ${settings.requests} requests, ${settings.users} users, concurrency ${settings.concurrency}`);
    const pacing = createPacing(settings);
    const locks = await sampleLocks(stack.database.url);
    let middle: Promise<void> = Promise.resolve();
    const load = await runLoad({
      isolates: workers,
      control,
      tokens: measuredIds.map(tokenOf),
      pacing,
      requests: settings.requests,
      concurrency: settings.concurrency,
      minWindows: settings.minWindows,
      deadline: Date.now() + settings.timeLimitSeconds * 1000,
      ...(options.signal ? { signal: options.signal } : {}),
      onSent(sent) {
        if (sent === Math.ceil(settings.requests / 2)) middle = memory.sample('middle');
        // The echo origin keeps every request it saw; the soak does not need them.
        if (sent % 1000 === 0 && stack.origin) stack.origin.seen.length = 0;
        if (sent % 10_000 === 0) log(`${sent} requests sent`);
      },
    });
    await middle;
    log(`load done (${load.stoppedBy}); waiting for background writes to land`);
    await holdStill(counters, QUIET_MS);
    const lockSamples = await locks.stop();
    await memory.sample('end');
    const neon = stack.neon.stats();
    const upstash = stack.upstash.stats();
    const writes = await readWrites(stack.pool, settings.touchIntervalSeconds);
    const postgresVersion = await stack.pool
      .query<{ v: string }>("SELECT current_setting('server_version') AS v")
      .then((r) => r.rows[0]?.v ?? 'unknown');

    await isolates.dispose();
    const output = isolates.list.map((i) => ({
      isolate: i.index,
      note: i.note,
      pid: i.pid,
      stdout: i.output.stdout,
      stderr: i.output.stderr,
      measuredFrom: marks[i.index] ?? 0,
    }));
    const database = new URL(stack.database.url);
    return {
      settings,
      pacing: { activeMs: pacing.activeMs, periodMs: pacing.periodMs, marginMs: pacing.marginMs },
      schedule: measuredIds.map((id, u) => ({ id, phaseMs: pacing.phaseMs(u) })),
      load: {
        startedAt: load.startedAt,
        endedAt: load.endedAt,
        stoppedBy: load.stoppedBy,
        records: load.records satisfies RequestRecord[],
        control: load.control,
      },
      requestsSentOutsideLoad: sentOutsideLoad + memory.pokes(),
      pokesDuringLoad: memory.pokes(),
      writeLogPosition: logPosition,
      writes,
      neon,
      upstash,
      locks: lockSamples,
      memory: isolates.list.map((i) => ({
        isolate: i.index,
        note: i.note,
        pid: i.pid,
        control: i === control,
        requests:
          i === control ? load.control.sent : load.records.filter((r) => r.isolate === i.index).length,
        ...(memory.samples[i.index] as (typeof memory.samples)[number]),
      })),
      probe,
      output,
      secrets: {
        'JWT secret': secrets.jwtSecret,
        'Redis token': secrets.redisToken,
        'database URL': stack.database.url,
        ...(database.password ? { 'database password': decodeURIComponent(database.password) } : {}),
      },
      tokens: [...tokens.values()],
      redisKind: stack.redis.kind,
      postgresVersion,
    };
  } finally {
    await isolates.dispose();
  }
}

/** Users with a live session each, and one token per user. */
async function seed(stack: LocalStack, ids: string[], secret: string): Promise<Map<string, string>> {
  await addUsers(stack.pool, ids);
  const logins = await openSessions(stack.pool, ids, secret, 'soak');
  return new Map(logins.map((l) => [l.userId, l.token]));
}

/** `count` requests over `tokens`, 8 at a time; throws on any non-200. Returns how many were sent. */
async function warmUp(isolate: Isolate, tokens: string[], count: number): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      const res = await isolate.fetch(`/api/orders?warm=${i}`, tokens[i % tokens.length] as string);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`warm-up answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  return count;
}
