// Summaries of measured rounds. Percentiles pool every request of every
// round; "slowest" is the last request of each round (the story's 20th),
// averaged over rounds.

/** One measured round of one variant. */
export interface RoundRecord {
  latencies: number[];
  wallMs: number;
  errors: number;
  /** Deltas over the round, including its background work. */
  sqlRequests: number;
  updates: number;
  redisRequests: number;
  /** Rows written, all users together. */
  rows: number;
  /** Rows written for the most-written user. */
  maxRowsPerUser: number;
  /** Mean gap between one user's consecutive writes (a convoy's lock hand-offs); null with < 2 writes. */
  writeSpacingMs: number | null;
}

/** Per-variant results, in milliseconds and per-round counts. */
export interface VariantSummary {
  rounds: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  max: number;
  /** Mean over rounds of the slowest request in the round. */
  slowest: number;
  requestsPerSecond: number;
  updatesPerRound: { mean: number; max: number };
  rowsPerRound: { mean: number; max: number };
  maxRowsPerUserPerRound: number;
  sqlRoundTripsPerRequest: number;
  redisRoundTripsPerRequest: number;
  /** Mean over rounds that wrote a user at least twice; NaN when none did. */
  writeSpacingMs: number;
}

/** p50/p95/slowest of one variant divided by another's. */
export interface Ratio {
  p50: number;
  p95: number;
  slowest: number;
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

const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : sum(xs) / xs.length);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const maxOf = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : Math.max(...xs));

/**
 * Summarises the rounds of one variant.
 * @example summarize([{ latencies: [3, 5], wallMs: 6, errors: 0, … }]).p50 // 3
 */
export function summarize(rounds: readonly RoundRecord[]): VariantSummary {
  const all = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const requests = all.length;
  const perRequest = (n: number) => (requests === 0 ? Number.NaN : n / requests);
  return {
    rounds: rounds.length,
    requests,
    errors: sum(rounds.map((r) => r.errors)),
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    max: maxOf(all),
    slowest: mean(rounds.map((r) => maxOf(r.latencies))),
    requestsPerSecond: requests / (sum(rounds.map((r) => r.wallMs)) / 1000),
    updatesPerRound: { mean: mean(rounds.map((r) => r.updates)), max: maxOf(rounds.map((r) => r.updates)) },
    rowsPerRound: { mean: mean(rounds.map((r) => r.rows)), max: maxOf(rounds.map((r) => r.rows)) },
    maxRowsPerUserPerRound: maxOf(rounds.map((r) => r.maxRowsPerUser)),
    sqlRoundTripsPerRequest: perRequest(sum(rounds.map((r) => r.sqlRequests))),
    redisRoundTripsPerRequest: perRequest(sum(rounds.map((r) => r.redisRequests))),
    writeSpacingMs: mean(rounds.flatMap((r) => (r.writeSpacingMs === null ? [] : [r.writeSpacingMs]))),
  };
}

/**
 * `a / b` for the latency figures.
 * @example ratio(convoy, edgeAuth).slowest // e.g. 12.3
 */
export function ratio(a: VariantSummary, b: VariantSummary): Ratio {
  return { p50: a.p50 / b.p50, p95: a.p95 / b.p95, slowest: a.slowest / b.slowest };
}
