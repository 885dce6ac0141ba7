// What `npm run bench:django` prints: a short summary that starts with the
// headline (the slowest of 20 concurrent requests of one user, both arms and
// the ratio), and the full report with the wide tables. Both read only the
// summaries (summary.ts), so a saved JSON renders the same text.
import { describeFacts } from '../../tools/harness/facts';
import { fixed, formatNumber, table, times } from '../../tools/harness/format';
import type { ReportContext } from '../report';
import { shapeName, shapeOf } from '../targets';
import { DJANGO_ARM_LABELS, DJANGO_ARMS } from './run';
import type { DjangoArmSummary, DjangoSummaries } from './summary';

const counted = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || '–';
const ratio = (s: DjangoSummaries['scenarios'][number], figure: (a: DjangoArmSummary) => number) =>
  figure(s.arms.seed) / figure(s.arms.edge);

/**
 * The first lines: the slowest of 20 concurrent requests of one user, both arms and the ratio.
 * @example headline(summaries)[0] // 'slowest of 20 concurrent requests of one user (median of 20 bursts): …'
 */
export function headline(r: DjangoSummaries): string[] {
  const s = shapeOf(r, 1, 20) ?? r.scenarios.filter((x) => x.users === 1).at(-1);
  if (!s) return ['(no one-user shape was run)'];
  const { seed, edge } = s.arms;
  return [
    `slowest of ${s.concurrency} concurrent requests of one user (median of ${seed.rounds} bursts): ` +
      `${DJANGO_ARM_LABELS.seed} ${fixed(seed.slowest.median)} ms, ${DJANGO_ARM_LABELS.edge} ${fixed(edge.slowest.median)} ms: ${times(
        ratio(s, (a) => a.slowest.median),
        1,
      )}`,
    `  the slowest of all its bursts: ${fixed(seed.max)} vs ${fixed(edge.max)} ms (${times(
      ratio(s, (a) => a.max),
      1,
    )}); ` +
      `p95 ${fixed(seed.p95)} vs ${fixed(edge.p95)} ms (${times(
        ratio(s, (a) => a.p95),
        1,
      )})`,
  ];
}

function runLine(r: DjangoSummaries): string {
  const done = Math.min(...r.scenarios.map((s) => s.roundsCompleted));
  const { settings: s, noise } = r;
  return (
    `${done} of ${s.rounds} rounds × ${r.scenarios.length} shapes × 2 arms (edge-auth ${s.edgeCache}) in ${fixed(r.durationMs / 1000, 0)} s` +
    `${done < s.rounds ? ' (STOPPED at the time budget)' : ''}; ${noise.discarded} blocks measured again (others used > ${s.quietCores} cores), ` +
    `${noise.keptNoisy} disturbed ones kept after ${s.maxAttempts} attempts; others used ${fixed(noise.foreignCoresMean, 2)} cores on average in the kept blocks`
  );
}

/**
 * The summary printed first: the headline, the run, both arms' figures per shape, the writes.
 * @example process.stdout.write(formatDjangoSummary(summaries, ctx));
 */
export function formatDjangoSummary(r: DjangoSummaries, ctx: ReportContext): string {
  return [
    `edge-auth Django benchmark: ${runLine(r)}`,
    `machine: ${describeFacts(ctx.machine, ctx.source)}`,
    '',
    ...headline(r),
    '',
    'per shape, slowest request of a burst (median) and p95, ms; seed ÷ edge-auth:',
    ...r.scenarios.map((s) => {
      const { seed, edge } = s.arms;
      return `  ${shapeName(s).padEnd(13)} ${fixed(seed.slowest.median)} vs ${fixed(edge.slowest.median)} (${times(
        ratio(s, (a) => a.slowest.median),
        1,
      )}); p95 ${fixed(seed.p95)} vs ${fixed(edge.p95)} (${times(
        ratio(s, (a) => a.p95),
        1,
      )}); UPDATEs/burst ${formatNumber(seed.updatesPerBurst)} vs ${formatNumber(edge.updatesPerBurst)}`;
    }),
    `errors: ${r.scenarios.reduce((n, s) => n + s.arms.seed.errors + s.arms.edge.errors, 0)}`,
    '',
  ].join('\n');
}

/**
 * The full report, for the results file.
 * @example await writeFile('bench/results/django-2026-12-07.txt', formatDjangoReport(summaries, ctx));
 */
export function formatDjangoReport(r: DjangoSummaries, ctx: ReportContext): string {
  const s = r.settings;
  const rows = (cells: (a: DjangoArmSummary) => string[]) =>
    r.scenarios.flatMap((sc) =>
      DJANGO_ARMS.map((arm) => [shapeName(sc), DJANGO_ARM_LABELS[arm], ...cells(sc.arms[arm])]),
    );
  return `${[
    '# edge-auth Django benchmark: the seed’s failure in the seed’s stack, side by side',
    '',
    `command: ${ctx.command}`,
    `machine: ${describeFacts(ctx.machine, ctx.source)} (shared: other work runs too)`,
    `stack:   Django 3.2 on gunicorn (1 worker, gthread × ${s.threads}, CONN_MAX_AGE=${s.connMaxAge}); PostgreSQL ${r.postgresVersion} behind a TCP proxy adding ${s.delayMs} ms each way (Django's connections and edge-auth's Neon server alike); Redis (${ctx.redis}) behind the local Upstash server; all on 127.0.0.1`,
    `arms:    ${DJANGO_ARM_LABELS.seed}: the client → gunicorn, SessionMiddleware + AuthenticationMiddleware + update_or_create of the user row per request;`,
    `         ${DJANGO_ARM_LABELS.edge}: the client → edge-auth (workerd, SESSION_MODE=django, defaults) → the same site without that middleware, request.user from X-Auth-User-Id`,
    s.edgeCache === 'warm'
      ? '         every burst’s users signed in anew by Django that round, then sent one unmeasured request each (both arms): edge-auth serves the burst from L1'
      : '         every burst’s users signed in anew by Django that round (--edge-cache cold): edge-auth meets each session cold (no L1, no Redis entry)',
    `run:     ${runLine(r)}`,
    'Latencies in ms, client dispatch → last body byte. Every column: docs/benchmark.md#the-django-benchmark.',
    '',
    '## Latency',
    '',
    ...table(
      ['shape', 'arm', 'bursts', 'p50', 'p95', 'p99', 'max', 'slowest/burst: median (q25–q75)', 'errors'],
      rows((a) => [
        String(a.rounds),
        ...[a.p50, a.p95, a.p99, a.max].map((v) => fixed(v)),
        `${fixed(a.slowest.median)} (${fixed(a.slowest.q25)}–${fixed(a.slowest.q75)})`,
        String(a.errors),
      ]),
      2,
    ),
    '',
    '## Ratios, django + update_or_create ÷ edge-auth → django',
    '',
    ...table(
      ['shape', 'p50', 'p95', 'max', 'slowest/burst (median)'],
      r.scenarios.map((sc) => [
        shapeName(sc),
        ...[
          (a: DjangoArmSummary) => a.p50,
          (a: DjangoArmSummary) => a.p95,
          (a: DjangoArmSummary) => a.max,
        ].map((f) => times(ratio(sc, f))),
        times(ratio(sc, (a) => a.slowest.median)),
      ]),
    ),
    '',
    '## Writes, connections, locks (per burst unless said)',
    '',
    ...table(
      [
        'shape',
        'arm',
        'UPDATE rows',
        'most per user',
        'write gap ms',
        'PG connects/req',
        'edge Redis RT',
        'edge SQL RT',
        'edge statements (all bursts)',
        'edge served (all)',
        'lock waiters/sample',
        'bursts with lock waits',
      ],
      rows((a) => [
        formatNumber(a.updatesPerBurst),
        String(a.maxUpdatesPerUser),
        fixed(a.writeSpacingMs),
        formatNumber(a.connectionsPerRequest),
        formatNumber(a.redisPerBurst),
        formatNumber(a.sqlPerBurst),
        counted(a.statements),
        counted(a.served),
        formatNumber(a.lockWaitersPerSample),
        `${a.burstsWithLockWaits} of ${a.rounds}`,
      ]),
      2,
    ),
    '',
    `UPDATE rows: auth_user rows updated, from a trigger (Django's update_or_create, edge-auth's touch alike); write gap: the mean time between one user's updates (the row lock's hand-off); lock waiters: backends of the benchmark's database whose wait_event_type is Lock, sampled every ${s.lockSampleMs} ms during each burst.`,
  ].join('\n')}\n`;
}
