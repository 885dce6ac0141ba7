// Summaries of measured rounds (one round = one burst of one arm). Latency
// percentiles pool every request of every round (nearest rank); counts are per
// burst (mean, min–max over rounds) or per request.
import { addCounts, percentile, quantile } from '../tools/harness/format';
import { ARMS, type Arm } from './arms';

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
  /** CPU others used on this machine during the burst, and this process's major GC pauses in it, ms (noise.ts). */
  foreignCpuMs: number;
  harnessMajorGcMs: number;
  redisRequests: number;
  redisCommands: Record<string, number>;
  sqlRequests: number;
  statements: Record<string, number>;
  /** last_login rows written (trigger), all users together, and for the most-written user. */
  rows: number;
  maxRowsPerUser: number;
  /** Mean gap between one user's consecutive writes (a convoy's lock hand-offs); null with < 2 writes. */
  writeSpacingMs: number | null;
}

/** Redis commands that only read; every other command counts as a write. */
const READ_COMMANDS = new Set(['GET', 'MGET', 'EXISTS', 'TTL', 'PTTL', 'KEYS', 'PING', 'SCAN', 'STRLEN']);

/** Mean, least and greatest of a per-burst count. */
export interface Spread {
  mean: number;
  min: number;
  max: number;
}

/** The per-burst counts of a summary. */
export const BURST_COUNTS = [
  'redisRequests',
  'redisReads',
  'redisWrites',
  'sqlRequests',
  'selects',
  'updates',
  'rows',
] as const;

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
  perBurst: Record<(typeof BURST_COUNTS)[number], Spread>;
  /** Totals over the measured rounds. */
  redisCommands: Record<string, number>;
  served: Record<string, number>;
  /** Rows of the most-written user in any one burst. */
  maxRowsPerUser: number;
  /** Mean over rounds that wrote a user at least twice; NaN when none did. */
  writeSpacingMs: number;
  /** This arm's burst wall ÷ passthrough's in the same round, over rounds: robust to one slow burst. */
  pairedWall: Paired;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const spread = (xs: readonly number[]): Spread =>
  xs.length === 0
    ? { mean: Number.NaN, min: Number.NaN, max: Number.NaN }
    : { mean: sum(xs) / xs.length, min: Math.min(...xs), max: Math.max(...xs) };

function burstCounts(r: RoundRecord): Record<(typeof BURST_COUNTS)[number], number> {
  const commands = Object.entries(r.redisCommands);
  const reads = sum(commands.filter(([name]) => READ_COMMANDS.has(name)).map(([, n]) => n));
  return {
    redisRequests: r.redisRequests,
    redisReads: reads,
    redisWrites: sum(commands.map(([, n]) => n)) - reads,
    sqlRequests: r.sqlRequests,
    selects: r.statements.SELECT ?? 0,
    updates: r.statements.UPDATE ?? 0,
    rows: r.rows,
  };
}

/** Quartiles of a ratio taken round by round. */
export interface Paired {
  q25: number;
  median: number;
  q75: number;
}

/**
 * Each round's burst wall ÷ `base`'s in the same round, over rounds (rounds without a partner skipped).
 * @example pairedWalls(rounds['edge-auth:django'], rounds['edge-auth:l1']).median // ≈ 1
 */
export function pairedWalls(rounds: readonly RoundRecord[], base: readonly RoundRecord[]): Paired {
  const ratios = rounds
    .map((r, i) => r.wallMs / (base[i]?.wallMs ?? Number.NaN))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  return { q25: quantile(ratios, 0.25), median: quantile(ratios, 0.5), q75: quantile(ratios, 0.75) };
}

/**
 * Summarises the rounds of one arm; `base` (passthrough's rounds of the same shape) pairs the walls.
 * @example summarize(rounds.convoy, rounds.passthrough).p99 // ms
 */
export function summarize(rounds: readonly RoundRecord[], base: readonly RoundRecord[]): ArmSummary {
  const all = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const counts = rounds.map(burstCounts);
  const perRequest = (n: number) => (all.length === 0 ? Number.NaN : n / all.length);
  const spacings = rounds.flatMap((r) => (r.writeSpacingMs === null ? [] : [r.writeSpacingMs]));
  return {
    rounds: rounds.length,
    requests: all.length,
    errors: sum(rounds.map((r) => r.errors)),
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    max: all.at(-1) ?? Number.NaN,
    requestsPerSecond: all.length / (sum(rounds.map((r) => r.wallMs)) / 1000),
    workerCpuMsPerRequest: perRequest(sum(rounds.map((r) => r.workerCpuMs))),
    harnessCpuMsPerRequest: perRequest(sum(rounds.map((r) => r.harnessCpuMs))),
    perBurst: Object.fromEntries(
      BURST_COUNTS.map((k) => [k, spread(counts.map((c) => c[k]))]),
    ) as ArmSummary['perBurst'],
    redisCommands: addCounts(rounds.map((r) => r.redisCommands)),
    served: addCounts(rounds.map((r) => r.served)),
    maxRowsPerUser: Math.max(0, ...rounds.map((r) => r.maxRowsPerUser)),
    writeSpacingMs: spacings.length === 0 ? Number.NaN : sum(spacings) / spacings.length,
    pairedWall: pairedWalls(rounds, base),
  };
}

/**
 * Every arm of one shape.
 * @example summarizeShape(rounds)['edge-auth:l1'].p99
 */
export function summarizeShape(rounds: Record<Arm, RoundRecord[]>): Record<Arm, ArmSummary> {
  return Object.fromEntries(ARMS.map((a) => [a, summarize(rounds[a], rounds.passthrough)])) as Record<
    Arm,
    ArmSummary
  >;
}

/**
 * A per-burst count per request: mean per burst × bursts ÷ requests.
 * @example perRequest(summary, 'redisRequests') // 1 on an L1 miss of N users × 1
 */
export function perRequest(a: ArmSummary, count: (typeof BURST_COUNTS)[number]): number {
  return a.requests === 0 ? Number.NaN : (a.perBurst[count].mean * a.rounds) / a.requests;
}

/**
 * A per-request figure of an arm over every shape of a run: Σ (figure × requests) ÷ Σ requests.
 * @example pooledPerRequest(result.scenarios, 'passthrough', 'workerCpuMsPerRequest') // e.g. 0.42
 */
export function pooledPerRequest(
  scenarios: readonly { arms: Record<Arm, ArmSummary> }[],
  arm: Arm,
  figure: 'workerCpuMsPerRequest' | 'harnessCpuMsPerRequest',
): number {
  const parts = scenarios.map((s) => s.arms[arm]).filter((a) => Number.isFinite(a[figure]));
  const requests = sum(parts.map((a) => a.requests));
  return requests === 0 ? Number.NaN : sum(parts.map((a) => a[figure] * a.requests)) / requests;
}
