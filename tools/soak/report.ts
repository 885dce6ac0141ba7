// The soak's printed report: the summary table, then every check with its figures.
import type { SoakReport } from './checks';
import type { SoakObservations } from './observations';

/** Facts about where and how the run happened, printed above the table. */
export interface RunContext {
  command: string;
  date: string;
  machine: string;
  redis: string;
  postgres: string;
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '?');

/**
 * The report as text.
 *
 * @example console.log(formatReport(report, observed, { command: 'npm run soak', … }));
 */
export function formatReport(report: SoakReport, o: SoakObservations, context: RunContext): string {
  const f = report.figures;
  const s = o.settings;
  const perRequest = Object.entries(f.redis.perRequest)
    .map(([name, n]) => `${name} ${n.toFixed(3)}`)
    .join(', ');
  const served = Object.entries(f.served)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const rssStart = o.memory.map((r) => ms(r.rss.start)).join(' / ');
  const rssEnd = o.memory.map((r) => ms(r.rss.end)).join(' / ');
  const heapStart = o.memory.map((r) => ms(r.heap.start)).join(' / ');
  const heapEnd = o.memory.map((r) => ms(r.heap.end)).join(' / ');
  const rows: [string, string][] = [
    ['requests', String(f.requests)],
    ['duration', `${(f.durationMs / 1000).toFixed(1)} s`],
    ['req/s', f.requestsPerSecond.toFixed(0)],
    [
      'latency p50 / p95 / p99 / max',
      `${ms(f.latencyMs.p50)} / ${ms(f.latencyMs.p95)} / ${ms(f.latencyMs.p99)} / ${ms(f.latencyMs.max)} ms`,
    ],
    ['errors', String(f.errors)],
    ['users', String(f.users)],
    ['isolates', `${f.isolates} + control (${o.memory.map((r) => r.note || 'default').join(', ')})`],
    ['touch intervals', `${f.touchIntervals.toFixed(1)} intervals of T = ${s.touchIntervalSeconds} s`],
    [
      'active windows per user',
      `${f.windowsPerUser.min}–${f.windowsPerUser.max} (${f.windowsPerUser.total} in all)`,
    ],
    ['UPDATE rows expected / actual', `${f.writes.expectedRows} / ${f.writes.rows}`],
    ['UPDATE statements / refused by WHERE', `${f.writes.updateStatements} / ${f.writes.refusedByWhere}`],
    ['served', served],
    ['Redis commands per request', perRequest || 'none'],
    [
      'Redis SET = claims + write-backs',
      `${f.redis.commands.SET ?? 0} = ${f.redis.claims} + ${f.redis.writeBacks}`,
    ],
    ['SQL statements', JSON.stringify(o.neon.statements)],
    ['lock samples / waits seen', `${f.locks.samples} / ${f.locks.notGranted + f.locks.lockWaits}`],
    ['RSS start → end (MiB; isolates, control)', `${rssStart} → ${rssEnd}`],
    ['JS heap after GC start → end (MiB)', `${heapStart} → ${heapEnd}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [
    `edge-auth soak — ${context.date}`,
    `command: ${context.command}`,
    `machine: ${context.machine}; Redis: ${context.redis}; PostgreSQL ${context.postgres}`,
    `settings: T=${s.touchIntervalSeconds} s, SESSION_CACHE_TTL=${s.sessionCacheTtlSeconds} s, L1=${s.l1TtlSeconds} s, ` +
      `concurrency ${s.concurrency}; each user active ${o.pacing.activeMs} ms every ${o.pacing.periodMs} ms ` +
      `(idle ≥ max(T, L) + ${o.pacing.marginMs} ms)`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    'checks:',
    ...report.checks.map((c) => `  ${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    report.passed ? 'all checks passed' : `${report.checks.filter((c) => !c.ok).length} check(s) FAILED`,
  ];
  return lines.join('\n');
}
