// The Django benchmark's summaries: every arm's figures per load shape, from
// the raw bursts of a run. What is saved (the raw bursts are not) and what the
// report and the chart read.
import { addCounts, percentile, quantile } from '../../tools/harness/format';
import type { ReportContext } from '../report';
import { DJANGO_ARMS, type DjangoArm, type DjangoBenchResult, type DjangoRound } from './run';

/** One arm's figures in one shape. Latencies in ms; per-burst counts are means over bursts. */
export interface DjangoArmSummary {
  rounds: number;
  requests: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  /** The slowest request of all bursts. */
  max: number;
  /** Each burst's slowest request, over bursts: the typical "last of N", robust to one bad burst. */
  slowest: { median: number; q25: number; q75: number };
  updatesPerBurst: number;
  maxUpdatesPerUser: number;
  /** Mean gap between one user's updates in a burst (the row lock's hand-off); NaN when none. */
  writeSpacingMs: number;
  /** New PostgreSQL connections (through the proxy) per request. */
  connectionsPerRequest: number;
  redisPerBurst: number;
  sqlPerBurst: number;
  statements: Record<string, number>;
  /** How edge-auth served the requests, by Server-Timing label (empty for the seed's site). */
  served: Record<string, number>;
  /** Backends waiting on a lock per lock sample during the bursts (mean), and bursts with any wait. */
  lockWaitersPerSample: number;
  burstsWithLockWaits: number;
}

/** The summaries of a run: what is saved and what the report and the chart read. */
export type DjangoSummaries = Omit<DjangoBenchResult, 'scenarios'> & {
  scenarios: {
    users: number;
    concurrency: number;
    roundsCompleted: number;
    arms: Record<DjangoArm, DjangoArmSummary>;
  }[];
};

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: readonly number[]) => (xs.length === 0 ? Number.NaN : sum(xs) / xs.length);

/**
 * Summarises one arm's bursts.
 * @example summarizeDjangoArm(result.scenarios[2].rounds.seed).slowest.median // ms
 */
export function summarizeDjangoArm(rounds: readonly DjangoRound[]): DjangoArmSummary {
  const all = rounds.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const slowest = rounds.map((r) => Math.max(...r.latencies)).sort((a, b) => a - b);
  const spacings = rounds.flatMap((r) => (r.writeSpacingMs === null ? [] : [r.writeSpacingMs]));
  const statements: Record<string, number> = {};
  for (const r of rounds)
    for (const [k, n] of Object.entries(r.statements)) statements[k] = (statements[k] ?? 0) + n;
  return {
    rounds: rounds.length,
    requests: all.length,
    errors: sum(rounds.map((r) => r.errors)),
    p50: percentile(all, 50),
    p95: percentile(all, 95),
    p99: percentile(all, 99),
    max: all.at(-1) ?? Number.NaN,
    slowest: { median: quantile(slowest, 0.5), q25: quantile(slowest, 0.25), q75: quantile(slowest, 0.75) },
    updatesPerBurst: mean(rounds.map((r) => r.rows)),
    maxUpdatesPerUser: Math.max(0, ...rounds.map((r) => r.maxRowsPerUser)),
    writeSpacingMs: mean(spacings),
    connectionsPerRequest: sum(rounds.map((r) => r.connections)) / Math.max(1, all.length),
    redisPerBurst: mean(rounds.map((r) => r.redisRequests)),
    sqlPerBurst: mean(rounds.map((r) => r.sqlRequests)),
    statements: addCounts(rounds.map((r) => r.statements)),
    served: addCounts(rounds.map((r) => r.served)),
    lockWaitersPerSample:
      sum(rounds.map((r) => r.lockWaits)) / Math.max(1, sum(rounds.map((r) => r.lockSamples))),
    burstsWithLockWaits: rounds.filter((r) => r.lockWaits > 0).length,
  };
}

/**
 * The saved document: context, settings and every summary; the raw bursts stay out.
 * @example JSON.stringify(djangoResultsDocument(result, ctx))
 */
export function djangoResultsDocument(result: DjangoBenchResult, ctx: ReportContext) {
  const scenarios = result.scenarios.map(({ rounds, ...s }) => ({
    ...s,
    arms: Object.fromEntries(DJANGO_ARMS.map((arm) => [arm, summarizeDjangoArm(rounds[arm])])) as Record<
      DjangoArm,
      DjangoArmSummary
    >,
  }));
  return { ...ctx, ...result, scenarios } satisfies DjangoSummaries & ReportContext;
}
