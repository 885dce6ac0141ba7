// The soak run: the local stack (dev/stack.ts), several isolates of the
// bundled Worker, a warm-up, the L1 bound probe, then the paced load with
// lock and memory sampling. Returns what was observed; checks.ts judges it.
import { randomBytes } from 'node:crypto';
import { type LocalStack, startLocalStack } from '../../dev/stack';
import { mintToken } from '../../dev/tokens';
import { holdStill } from '../settle';
import { CONTROL_SOURCE } from './control';
import { liveHeap } from './heap';
import { type Isolate, type IsolateSpec, rssMiB, startIsolates } from './isolates';
import { type RequestRecord, runLoad } from './load';
import { sampleLocks } from './locks';
import type { MemorySamples, SoakObservations, SoakSettings } from './observations';
import { createPacing } from './pacing';
import { probeL1Bound } from './probe';

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
  const settings: SoakSettings = { ...SOAK_DEFAULTS };
  for (const key of Object.keys(SOAK_DEFAULTS) as (keyof SoakSettings)[]) {
    const value = options[key];
    if (value !== undefined) (settings as unknown as Record<string, unknown>)[key] = value;
  }
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
    // /healthz requests that keep an isolate's event loop running while its heap is read.
    let pokes = 0;
    const memory = isolates.list.map(() => ({
      rss: { start: Number.NaN, middle: Number.NaN, end: Number.NaN },
      heap: { start: Number.NaN, middle: Number.NaN, end: Number.NaN },
    }));
    const sampleMemory = async (at: keyof MemorySamples) => {
      for (const [i, isolate] of isolates.list.entries()) {
        const m = memory[i] as (typeof memory)[number];
        const poke = async () => {
          const res = await isolate.fetch('/healthz', '');
          await res.arrayBuffer();
          if (isolate !== control) pokes++;
        };
        // The heap first: its full GC can only lower the RSS read right after.
        const heap = await liveHeap(isolate.inspectorUrl, poke);
        m.heap[at] = heap ? heap.usedMiB + heap.backingMiB : Number.NaN;
        m.rss[at] = (await rssMiB(isolate.pid)) ?? Number.NaN;
      }
    };
    await sampleMemory('start');

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
        if (sent === Math.ceil(settings.requests / 2)) middle = sampleMemory('middle');
        // The echo origin keeps every request it saw; the soak does not need them.
        if (sent % 1000 === 0 && stack.origin) stack.origin.seen.length = 0;
        if (sent % 10_000 === 0) log(`${sent} requests sent`);
      },
    });
    await middle;
    log(`load done (${load.stoppedBy}); waiting for background writes to land`);
    await holdStill(counters, QUIET_MS);
    const lockSamples = await locks.stop();
    await sampleMemory('end');
    const neon = stack.neon.stats();
    const upstash = stack.upstash.stats();
    const writes = await readWrites(stack, settings.touchIntervalSeconds);
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
      requestsSentOutsideLoad: sentOutsideLoad + pokes,
      pokesDuringLoad: pokes,
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
        ...(memory[i.index] as (typeof memory)[number]),
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

/** Users with a live session each (`s-<id>`), and one token per user. */
async function seed(stack: LocalStack, ids: string[], secret: string): Promise<Map<string, string>> {
  await stack.pool.query('INSERT INTO users (id, username) SELECT u, u FROM unnest($1::text[]) u', [ids]);
  await stack.pool.query(
    `INSERT INTO sessions (id, user_id, expires_at)
     SELECT 's-' || u, u, now() + interval '1 hour' FROM unnest($1::text[]) u`,
    [ids],
  );
  const tokens = await Promise.all(ids.map((id) => mintToken({ secret, userId: id, sessionId: `s-${id}` })));
  return new Map(ids.map((id, i) => [id, tokens[i] as string]));
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

/**
 * Every row of the write log, judged by the database itself: `forward` (the
 * new last_login is later than the one it replaced), `spaced` (by at least the
 * touch interval) and `chained` (the replaced value is the user's previous
 * logged one: no write escaped the log).
 */
async function readWrites(stack: LocalStack, touchIntervalSeconds: number) {
  const { rows } = await stack.pool.query<{
    seq: string;
    user_id: string;
    value_ms: number;
    old_ms: number | null;
    forward: boolean;
    spaced: boolean;
    chained: boolean;
  }>(
    `SELECT seq, user_id,
       extract(epoch FROM value)::float8 * 1000 AS value_ms,
       extract(epoch FROM old_value)::float8 * 1000 AS old_ms,
       (old_value IS NULL OR value > old_value) AS forward,
       (old_value IS NULL OR value - old_value >= make_interval(secs => $1)) AS spaced,
       (old_value IS NOT DISTINCT FROM lag(value) OVER (PARTITION BY user_id ORDER BY seq)) AS chained
     FROM last_login_writes ORDER BY seq`,
    [touchIntervalSeconds],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    userId: r.user_id,
    valueMs: r.value_ms,
    oldMs: r.old_ms,
    forward: r.forward,
    spaced: r.spaced,
    chained: r.chained,
  }));
}
