// What a run prints: a short summary first (the ratios that matter, every
// target with PASS/FAIL), and the full report for the results file (every
// shape's latency and cost table, ratios, where the CPU goes, the estimate
// without shared cores, the targets). Both read only the summaries, so a saved
// results JSON renders the same report.
import { describeFacts, type Machine, type Source } from '../tools/harness/facts';
import { addedCost, fixed, formatNumber, table, times } from '../tools/harness/format';
import { ARM_LABELS, ARMS, type Arm, DJANGO_ARM } from './arms';
import type { BenchResult } from './run';
import { type ArmSummary, type BURST_COUNTS, perRequest, pooledPerRequest, type Spread } from './stats';
import { type Judged, judgeTargets, shapeName, shapeOf, type TargetResult } from './targets';

/** What the report says besides the result. */
export interface ReportContext {
  command: string;
  machine: Machine;
  source: Source;
  /** Which Redis: existing, spawned or memory. */
  redis: string;
}

/** A run as the report reads it: the summaries, without the raw rounds. */
export type ReportInput = Judged & Pick<BenchResult, 'settings' | 'durationMs' | 'postgresVersion'>;

const verdict = (t: TargetResult) => (t.pass === null ? 'not run' : t.pass ? 'PASS' : 'FAIL');
const spread = (s: Spread) =>
  !Number.isFinite(s.mean)
    ? '–'
    : s.min === s.max
      ? formatNumber(s.mean)
      : `${formatNumber(s.mean)} (${s.min}–${s.max})`;
const triple = (a: ArmSummary, b: ArmSummary) =>
  `${times(a.p50 / b.p50)} / ${times(a.p95 / b.p95)} / ${times(a.p99 / b.p99)}`;

/**
 * The run's own lines: what ran, how long, how noisy.
 * @example runLine(result) // '7 of 7 rounds × 7 shapes × 7 arms in 141 s; 3 blocks measured again, …'
 */
function runLine(r: ReportInput): string {
  const total = (f: (s: ReportInput['scenarios'][number]) => number) =>
    r.scenarios.reduce((a, s) => a + f(s), 0);
  const done = Math.min(...r.scenarios.map((s) => s.roundsCompleted));
  const kept = total((s) => s.roundsCompleted);
  return (
    `${done} of ${r.settings.rounds} rounds × ${r.scenarios.length} shapes × ${ARMS.length} arms in ${fixed(r.durationMs / 1000, 0)} s` +
    `${done < r.settings.rounds ? ' (STOPPED at the time budget)' : ''}; ${total((s) => s.noise.discarded)} blocks measured again, ` +
    `${total((s) => s.noise.keptNoisy)} noisy kept; others used ${fixed(total((s) => s.noise.foreignCoresMean * s.roundsCompleted) / Math.max(1, kept), 2)} cores on average`
  );
}

/** workerd CPU per request pooled over every shape, and what each arm adds to passthrough's. */
function cpuLines(r: ReportInput, arms: readonly Arm[] = ARMS): string[] {
  const cpu = (arm: Arm) => pooledPerRequest(r.scenarios, arm, 'workerCpuMsPerRequest');
  const harness = (arm: Arm) => pooledPerRequest(r.scenarios, arm, 'harnessCpuMsPerRequest');
  return arms.map(
    (arm) =>
      `- ${ARM_LABELS[arm]}: workerd ${fixed(cpu(arm), 3)} ms/request (${arm === 'passthrough' ? 'the floor' : `vs passthrough ${addedCost(cpu(arm) - cpu('passthrough'))}`}); harness ${fixed(harness(arm), 3)} ms/request`,
  );
}

/** A warm request's workerd CPU in Django session mode against edge-auth's JWT mode. */
function djangoCpuLine(r: ReportInput): string {
  const cpu = (arm: Arm) => pooledPerRequest(r.scenarios, arm, 'workerCpuMsPerRequest');
  const [django, jwt] = [cpu(DJANGO_ARM), cpu('edge-auth:l1')];
  return `- Django mode ÷ JWT, both L1 hits: ${times(django / jwt)} (${fixed(django, 3)} vs ${fixed(jwt, 3)} ms/request; ${addedCost(django - jwt)})`;
}

/**
 * Where requests do not share two cores (a real edge), the last request of one user's burst of N:
 * the convoy alone plus N − 1 lock hand-offs, against passthrough alone plus edge-auth's added
 * CPU. The first line is the headline.
 */
function isolatedLines(r: ReportInput, n: number): string[] {
  const alone = shapeOf(r, 1, 1);
  const burst = shapeOf(r, 1, n);
  if (!alone || !burst) return [`- needs the 1 user × 1 and 1 user × ${n} shapes`];
  const measured =
    pooledPerRequest(r.scenarios, 'edge-auth:l1', 'workerCpuMsPerRequest') -
    pooledPerRequest(r.scenarios, 'passthrough', 'workerCpuMsPerRequest');
  // A negative difference of two noisy figures is no saving: it counts as no added cost.
  const added = Math.max(0, measured);
  const base = alone.arms.passthrough.p50;
  const hold = burst.arms.convoy.writeSpacingMs;
  const convoy = alone.arms.convoy.p50 + (n - 1) * hold;
  return [
    `- 1 user × ${n}, last request: convoy ${fixed(convoy)} ms, edge-auth ${fixed(base + added)} ms: convoy ÷ edge-auth ${times(convoy / (base + added), 0)}, convoy ÷ passthrough ${times(convoy / base, 0)}`,
    `- position k of one user's burst: convoy ${fixed(alone.arms.convoy.p50)} ms alone (1 × 1 p50) + (k − 1) × ${fixed(hold)} ms lock hold (write gap);`,
    `  edge-auth L1 hit ${fixed(base)} ms (passthrough 1 × 1 p50) + ${fixed(added, 3)} ms added CPU${measured < 0 ? ` (measured ${addedCost(measured)})` : ''}, whatever k; passthrough ${fixed(base)} ms.`,
    '- with a real origin round trip R in every variant both ratios become (convoy + R) ÷ (edge-auth + R).',
  ];
}

/**
 * The summary printed first: the run, the ratios that matter, every target.
 * @example process.stdout.write(formatSummary(result, ctx));
 */
export function formatSummary(r: ReportInput, ctx: ReportContext): string {
  const targets = judgeTargets(r);
  const failed = targets.filter((t) => t.pass === false).length;
  const bursts = r.scenarios.filter((s) => s.users === 1 && s.concurrency >= 20);
  return [
    `edge-auth benchmark: ${runLine(r)}`,
    `machine: ${describeFacts(ctx.machine, ctx.source)}`,
    '',
    ...bursts.map((s) => {
      const ea = s.arms['edge-auth:l1'];
      return `${shapeName(s)}, p50 / p95 / p99: convoy ÷ edge-auth (L1 hit) ${triple(s.arms.convoy, ea)}; edge-auth ÷ passthrough ${triple(ea, s.arms.passthrough)}`;
    }),
    ...bursts.map(
      (s) =>
        `${shapeName(s)}, Django mode ÷ JWT, both L1 hits: p50 / p95 / p99 ${triple(s.arms[DJANGO_ARM], s.arms['edge-auth:l1'])}; burst wall paired by round ${times(s.djangoVsJwt.median)}`,
    ),
    'workerd CPU per request, all shapes pooled:',
    ...cpuLines(r, ['jwt-only', 'edge-auth:l1', DJANGO_ARM, 'edge-auth:redis', 'edge-auth:cold']),
    djangoCpuLine(r),
    'without shared cores (estimate):',
    ...isolatedLines(r, 20).slice(0, 1),
    '',
    `targets: ${targets.filter((t) => t.pass).length} of ${targets.length} met${failed ? `, ${failed} FAILED` : ''}`,
    ...targets.map((t) => `  ${verdict(t).padEnd(7)} ${t.target}: ${t.measured}`),
    '',
  ].join('\n');
}

/**
 * The full report, for the results file.
 * @example await writeFile('bench/results/2026-11-27.txt', formatReport(result, ctx));
 */
export function formatReport(r: ReportInput, ctx: ReportContext): string {
  const s = r.settings;
  const rows = (cells: (a: ArmSummary, arm: Arm) => string[]) =>
    r.scenarios.flatMap((sc) =>
      ARMS.map((arm) => [shapeName(sc), ARM_LABELS[arm], ...cells(sc.arms[arm], arm)]),
    );
  const paired: Arm[] = ARMS.filter((arm) => arm !== 'passthrough');
  return `${[
    '# edge-auth benchmark: the last_login convoy, side by side',
    '',
    `command: ${ctx.command}`,
    `machine: ${describeFacts(ctx.machine, ctx.source)} (shared: other work runs too)`,
    `stack:   Redis (${ctx.redis}) behind the local Upstash server, PostgreSQL ${r.postgresVersion} behind the local Neon server, bench/origin.ts; all on 127.0.0.1`,
    `run:     ${runLine(r)}`,
    `         a block (one shape of a round) starts when others use < ${s.quietCores} cores (waiting up to ${s.maxQuietWaitMs / 1000} s), and is measured`,
    `         again, up to ${s.maxAttempts} attempts, if others used more or this process paused in a major GC during it`,
    `edge-auth: TOUCH_INTERVAL_SECONDS=${s.touchIntervalSeconds}, SESSION_CACHE_TTL_SECONDS=${s.sessionCacheTtlSeconds}, L1_CACHE_TTL_SECONDS=${s.l1CacheTtlSeconds}; convoy: pg_sleep(${s.lockHoldMs / 1000}) under the row lock`,
    `Django mode: the same bundle with SESSION_MODE=django on auth_user and django_session, the sessionid cookie as credential`,
    'The arms, the shapes and every column: docs/benchmark.md. Latencies in ms; "/burst" = mean (min–max) over rounds.',
    '',
    '## Latency and throughput',
    '',
    ...table(
      ['shape', 'arm', 'rounds', 'p50', 'p95', 'p99', 'max', 'req/s', 'errors'],
      rows((a) => [
        String(a.rounds),
        ...[a.p50, a.p95, a.p99, a.max].map((v) => fixed(v)),
        formatNumber(a.requestsPerSecond),
        String(a.errors),
      ]),
      2,
    ),
    '',
    '## Cost per request',
    '',
    ...table(
      [
        'shape',
        'arm',
        'workerd CPU ms/req',
        'harness CPU ms/req',
        'Redis RT/req',
        'Redis reads/burst',
        'Redis writes/req',
        'SQL RT/req',
        'SELECT/burst',
        'UPDATE/burst',
        'rows/burst',
        'write gap ms',
        'served',
      ],
      rows((a) => [
        formatNumber(a.workerCpuMsPerRequest),
        formatNumber(a.harnessCpuMsPerRequest),
        formatNumber(perRequest(a, 'redisRequests')),
        spread(a.perBurst.redisReads),
        formatNumber(perRequest(a, 'redisWrites')),
        formatNumber(perRequest(a, 'sqlRequests')),
        ...(['selects', 'updates', 'rows'] as const satisfies readonly (typeof BURST_COUNTS)[number][]).map(
          (k) => spread(a.perBurst[k]),
        ),
        fixed(a.writeSpacingMs),
        Object.entries(a.served)
          .map(([k, n]) => `${k} ${n}`)
          .join(', ') || '–',
      ]),
      2,
    ),
    '',
    '## Ratios (p50 / p95 / p99)',
    '',
    ...r.scenarios.map((sc) => {
      const { convoy, passthrough } = sc.arms;
      const l1 = sc.arms['edge-auth:l1'];
      return `- ${shapeName(sc)}: convoy ÷ edge-auth L1 hit ${triple(convoy, l1)}; convoy ÷ passthrough ${triple(convoy, passthrough)}; edge-auth L1 hit ÷ passthrough ${triple(l1, passthrough)}; Django mode ÷ JWT, L1 hits ${triple(sc.arms[DJANGO_ARM], l1)} (paired walls ${times(sc.djangoVsJwt.median)}); L1 miss ÷ passthrough ${triple(sc.arms['edge-auth:redis'], passthrough)}; jwt-only ÷ passthrough ${triple(sc.arms['jwt-only'], passthrough)}`;
    }),
    '',
    '## Paired by round: burst wall time ÷ passthrough’s in the same round (median, quartiles)',
    '',
    'Robust to the slow bursts that set pooled p95/p99: one Node process sends a burst and plays the origin,',
    'so all requests of a burst finish within a few ms of each other.',
    '',
    ...r.scenarios.map(
      (sc) =>
        `- ${shapeName(sc)}: ${paired
          .map((arm) => {
            const p = sc.arms[arm].pairedWall;
            return `${ARM_LABELS[arm]} ${times(p.median)} (${times(p.q25)}–${times(p.q75)})`;
          })
          .join('; ')}`,
    ),
    '',
    '## Same user ÷ distinct users (p95)',
    '',
    ...r.scenarios.flatMap((sc) => {
      const other = sc.users === 1 && sc.concurrency > 1 ? shapeOf(r, sc.concurrency, 1) : undefined;
      if (!other) return [];
      const cells = ARMS.map(
        (arm) =>
          `${ARM_LABELS[arm]} ${fixed(sc.arms[arm].p95)} ÷ ${fixed(other.arms[arm].p95)} = ${times(sc.arms[arm].p95 / other.arms[arm].p95)}`,
      );
      return [`- N = ${sc.concurrency}: ${cells.join('; ')}`];
    }),
    '',
    '## Where the CPU goes (pooled over every shape)',
    '',
    ...cpuLines(r),
    '',
    '## Without shared cores (estimate)',
    '',
    ...isolatedLines(r, 20),
    '',
    '## Targets',
    '',
    ...table(
      ['target', 'measured', 'result'],
      judgeTargets(r).map((t) => [t.target, t.measured, verdict(t)]),
      3,
    ),
  ].join('\n')}\n`;
}
