// Summaries of measured rounds. Percentiles pool every request of every
// measured round (nearest rank); counts are per request or per round (one
// round = one burst of one arm).

/** One measured round (burst) of one arm, with the deltas it caused. */
export interface RoundRecord {
  latencies: number[];
  wallMs: number;
  errors: number;
  /** Server-Timing cache labels (edge-auth only). */
  served: Record<string, number>;
  /** CPU of the Worker's workerd process over the burst and its background work, ms. */
  workerCpuMs: number;
  /** CPU of this Node process (client, origin, protocol servers) during the burst, ms. */
  harnessCpuMs: number;
  /** CPU others used on this machine during the burst, ms (bench/noise.ts). */
  foreignCpuMs: number;
  /** Time this Node process (the client and origin) was paused for garbage collection during the burst, ms. */
  harnessGcMs: number;
  /** The part of it spent in major (mark-compact) collections, ms. */
  harnessMajorGcMs: number;
  /** New TCP connections the origin accepted during the burst (a Worker's pool growing). */
  originConnections: number;
  redisRequests: number;
  redisCommands: Record<string, number>;
  sqlRequests: number;
  statements: Record<string, number>;
  /** last_login rows written (trigger), all users together. */
  rows: number;
  /** Rows written for the most-written user. */
  maxRowsPerUser: number;
  /** Mean gap between one user's consecutive writes (a convoy's lock hand-offs); null with < 2 writes. */
  writeSpacingMs: number | null;
}

/** Redis commands that only read; every other command counts as a write. */
export const READ_COMMANDS = new Set([
  'GET',
  'MGET',
  'EXISTS',
  'TTL',
  'PTTL',
  'KEYS',
  'PING',
  'SCAN',
  'STRLEN',
]);

/** Mean, least and greatest of a per-round count. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/** Figures of one arm in one load shape. Latencies in ms. */
export interface ArmSummary {
  rounds: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  /** The slowest single request of all measured rounds. */
  max: number;
  /** All requests ÷ the sum of burst wall times (first dispatch → last body byte). */
  requestsPerSecond: number;
  workerCpuMsPerRequest: number;
  harnessCpuMsPerRequest: number;
  /** New origin connections per burst. */
  originConnectionsPerRound: Spread;
  redis: {
    roundTripsPerRequest: number;
    roundTripsPerRound: Spread;
    readsPerRequest: number;
    readsPerRound: Spread;
    writesPerRequest: number;
    writesPerRound: Spread;
    /** Totals over the measured rounds, by command. */
    commands: Record<string, number>;
  };
  sql: {
    roundTripsPerRequest: number;
    selectsPerRound: Spread;
    updatesPerRound: Spread;
  };
  rowsPerRound: Spread;
  maxRowsPerUserPerRound: number;
  /** Mean over rounds that wrote a user at least twice; NaN when none did. */
  writeSpacingMs: number;
  /** Server-Timing cache labels, totals. */
  served: Record<string, number>;
}

/**
 * Nearest-rank percentile of an ascending array (NaN when empty).
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : sum(xs) / xs.length);
const maxOf = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : Math.max(...xs));
const spread = (xs: readonly number[]): Spread => ({
  mean: mean(xs),
  min: xs.length === 0 ? Number.NaN : Math.min(...xs),
  max: maxOf(xs),
});

/**
 * Sums named counters.
 * @example addCounts([{ MGET: 1 }, { MGET: 1, SET: 2 }]) // { MGET: 2, SET: 2 }
 */
export function addCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, n] of Object.entries(counts)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/**
 * Reads and writes among Redis commands.
 * @example splitCommands({ MGET: 1, SET: 2 }) // { reads: 1, writes: 2 }
 */
export function splitCommands(commands: Record<string, number>): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [name, n] of Object.entries(commands)) {
    if (READ_COMMANDS.has(name)) reads += n;
    else writes += n;
  }
  return { reads, writes };
}

/**
 * Summarises the rounds of one arm.
 * @example summarize([{ latencies: [3, 5], wallMs: 6, errors: 0, … }]).p50 // 3
 */
export function summarize(rounds: readonly RoundRecord[]): ArmSummary {
  const all = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const requests = all.length;
  const perRequest = (n: number) => (requests === 0 ? Number.NaN : n / requests);
  const split = rounds.map((r) => splitCommands(r.redisCommands));
  const statement = (kind: string) => rounds.map((r) => r.statements[kind] ?? 0);
  return {
    rounds: rounds.length,
    requests,
    errors: sum(rounds.map((r) => r.errors)),
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    max: maxOf(all),
    requestsPerSecond: requests / (sum(rounds.map((r) => r.wallMs)) / 1000),
    workerCpuMsPerRequest: perRequest(sum(rounds.map((r) => r.workerCpuMs))),
    harnessCpuMsPerRequest: perRequest(sum(rounds.map((r) => r.harnessCpuMs))),
    originConnectionsPerRound: spread(rounds.map((r) => r.originConnections)),
    redis: {
      roundTripsPerRequest: perRequest(sum(rounds.map((r) => r.redisRequests))),
      roundTripsPerRound: spread(rounds.map((r) => r.redisRequests)),
      readsPerRequest: perRequest(sum(split.map((s) => s.reads))),
      readsPerRound: spread(split.map((s) => s.reads)),
      writesPerRequest: perRequest(sum(split.map((s) => s.writes))),
      writesPerRound: spread(split.map((s) => s.writes)),
      commands: addCounts(rounds.map((r) => r.redisCommands)),
    },
    sql: {
      roundTripsPerRequest: perRequest(sum(rounds.map((r) => r.sqlRequests))),
      selectsPerRound: spread(statement('SELECT')),
      updatesPerRound: spread(statement('UPDATE')),
    },
    rowsPerRound: spread(rounds.map((r) => r.rows)),
    maxRowsPerUserPerRound: maxOf(rounds.map((r) => r.maxRowsPerUser)),
    writeSpacingMs: mean(rounds.flatMap((r) => (r.writeSpacingMs === null ? [] : [r.writeSpacingMs]))),
    served: addCounts(rounds.map((r) => r.served)),
  };
}

/**
 * Pools the rounds of several shapes into one summary (e.g. CPU per request of an arm over the whole run).
 * @example pooled([shapeA.rounds.passthrough, shapeB.rounds.passthrough]).workerCpuMsPerRequest
 */
export function pooled(groups: readonly (readonly RoundRecord[])[]): ArmSummary {
  return summarize(groups.flat());
}
