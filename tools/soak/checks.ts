// Judges a soak run: every check is a count or an ordering over what was
// observed (observations.ts), never a timing bound on the machine. The one
// time-like figure, T + L + 1 s, is the product's own promise about when a
// write is due, compared on the host clock that PostgreSQL's now() reads too.
import { addCounts, percentile } from '../harness/format';
import { countRequestLines, leaks, type RequestLineCounts } from './log-scan';
import type { SoakObservations } from './observations';
import { resourceChecks } from './resources';
import { checkWriteRule, type WriteRuleFindings } from './write-rules';

/** One check: what was checked, whether it held, and the figures behind it. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** The figures of a run, as printed and written with --json. */
export interface SoakFigures {
  requests: number;
  durationMs: number;
  requestsPerSecond: number;
  latencyMs: Percentiles;
  errors: number;
  users: number;
  isolates: number;
  /** Touch intervals the load spanned (duration / T). */
  touchIntervals: number;
  /** Windows per user (pacing.ts), the "intervals each user was active in". */
  windowsPerUser: { min: number; max: number; total: number };
  writes: WriteRuleFindings & { updateStatements: number; refusedByWhere: number };
  served: Record<string, number>;
  redis: {
    commands: Record<string, number>;
    perRequest: Record<string, number>;
    claims: number;
    writeBacks: number;
    claimBound: number;
    selects: number;
  };
  locks: SoakObservations['locks'];
  memory: SoakObservations['memory'];
  logs: { requestLines: number; requestsSent: number; lines: number; leaks: string[] };
}

export interface SoakReport {
  figures: SoakFigures;
  checks: Check[];
  passed: boolean;
}

/** Read-only commands the Worker may send (it sends only MGET); SET is the one write it may send. */
const READ_COMMANDS = new Set(['MGET', 'GET', 'EXISTS', 'PTTL', 'TTL', 'PING']);

/**
 * Computes the figures and runs every check.
 *
 * @example
 * const report = evaluate(await runSoak(options));
 * if (!report.passed) process.exitCode = 1;
 */
export function evaluate(o: SoakObservations): SoakReport {
  const { settings, load } = o;
  const records = load.records;
  const durationMs = load.endedAt - load.startedAt;
  const measured = countRequestLines(o.output, 'measured');
  const all = countRequestLines(o.output, 'all');
  const rule = checkWriteRule({
    records,
    users: o.schedule.map((s) => s.id),
    writes: o.writes,
    position: o.writeLogPosition,
    windowStart: (u, k) => load.startedAt + (o.schedule[u]?.phaseMs ?? 0) + k * o.pacing.periodMs,
    touchIntervalSeconds: settings.touchIntervalSeconds,
    l1TtlSeconds: settings.l1TtlSeconds,
  });
  const updateStatements = o.neon.statements.UPDATE ?? 0;
  const windows = windowsPerUser(o);
  const redis = redisFigures(o, measured, windows.total);
  const found = leaks(o.output, o.secrets, o.tokens);
  const figures: SoakFigures = {
    requests: records.length,
    durationMs,
    requestsPerSecond: records.length / (durationMs / 1000),
    latencyMs: percentiles(records.map((r) => r.ms)),
    errors: records.filter((r) => !r.ok).length,
    users: settings.users,
    isolates: o.settings.isolates,
    touchIntervals: durationMs / 1000 / settings.touchIntervalSeconds,
    windowsPerUser: windows,
    writes: { ...rule, updateStatements, refusedByWhere: updateStatements - rule.rows },
    served: tally(records.map((r) => r.served || '(none)')),
    redis,
    locks: o.locks,
    memory: o.memory,
    logs: {
      requestLines: all.lines,
      requestsSent: records.length + o.requestsSentOutsideLoad,
      lines: o.output.reduce((n, i) => n + i.stdout.length + i.stderr.length, 0),
      leaks: found,
    },
  };
  const checks = [
    ...loadChecks(o, figures),
    ...writeChecks(o, figures),
    ...redisChecks(o, figures, measured),
    ...resourceChecks(o, figures),
  ];
  return { figures, checks, passed: checks.every((c) => c.ok) };
}

function loadChecks(o: SoakObservations, f: SoakFigures): Check[] {
  const statuses = tally(o.load.records.filter((r) => !r.ok).map((r) => String(r.status)));
  return [
    {
      name: 'requests',
      ok: f.requests === o.settings.requests && o.load.stoppedBy === 'count',
      detail: `${f.requests} of ${o.settings.requests} sent (stopped by ${o.load.stoppedBy})`,
    },
    {
      name: 'errors',
      ok: f.errors === 0,
      detail: `${f.errors} answers not 200 from the origin${f.errors ? ` (status: ${JSON.stringify(statuses)})` : ''}`,
    },
  ];
}

function writeChecks(o: SoakObservations, f: SoakFigures): Check[] {
  const w = f.writes;
  const T = o.settings.touchIntervalSeconds;
  const first = (list: string[]) =>
    list.length ? ` (${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''})` : '';
  return [
    {
      name: 'writes ≥ T apart',
      ok: w.unspaced === 0 && w.unchained === 0,
      detail:
        `${o.writes.length} logged rows: ${w.unspaced} less than ${T} s after the value they replaced ` +
        `(database clock), ${w.unchained} not replacing the user's previous logged value`,
    },
    {
      name: 'write due ≤ T + L + 1 s',
      ok: w.overBound.length === 0 && w.missed.length === 0 && w.maxWriteDelayMs <= w.boundMs,
      detail:
        `longest write-free stretch of one user's requests ${Math.round(w.longestWriteFreeMs)} ms, ` +
        `slowest first-request→write ${Math.round(w.maxWriteDelayMs)} ms, bound ${w.boundMs} ms; ` +
        `${w.overBound.length} users over it${first(w.overBound)}`,
    },
    {
      name: 'UPDATE rows = active windows',
      ok: w.rows === w.expectedRows && w.missed.length === 0 && w.extra.length === 0 && w.stray === 0,
      detail:
        `expected ${w.expectedRows} (one per window a user sent in), written ${w.rows}; ` +
        `windows without a write ${w.missed.length}${first(w.missed)}, with more than one ` +
        `${w.extra.length}${first(w.extra)}, writes outside any window ${w.stray}; ` +
        `UPDATE statements ${w.updateStatements}, refused by the WHERE ${w.refusedByWhere}`,
    },
    {
      name: 'last_login only forward',
      ok: o.writes.every((r) => r.forward) && w.refusedByWhere >= 0,
      detail: `${o.writes.filter((r) => !r.forward).length} of ${o.writes.length} rows with new ≤ old`,
    },
  ];
}

function redisChecks(o: SoakObservations, f: SoakFigures, measured: RequestLineCounts): Check[] {
  const r = f.redis;
  const others = Object.keys(r.commands).filter((name) => name !== 'SET' && !READ_COMMANDS.has(name));
  const sets = r.commands.SET ?? 0;
  return [
    {
      name: 'Redis writes explained',
      ok:
        others.length === 0 &&
        sets === r.claims + r.writeBacks &&
        r.claims <= r.claimBound &&
        r.writeBacks <= r.selects,
      detail:
        `SET ${sets} = claims ${r.claims} + write-backs ${r.writeBacks}; claims ≤ ${r.claimBound} ` +
        `(isolates × active windows), write-backs ≤ SELECTs ${r.selects}; other write commands: ` +
        `${others.length ? others.join(', ') : 'none'}; degraded reads ${measured.served.degraded ?? 0}`,
    },
    {
      name: 'request lines = requests',
      ok: f.logs.requestLines === f.logs.requestsSent && measured.lines === f.requests + o.pokesDuringLoad,
      detail:
        `${f.logs.requestLines} JSON request lines for ${f.logs.requestsSent} requests to edge-auth's isolates ` +
        `(${measured.lines} since the counters were reset, for ${f.requests} + ${o.pokesDuringLoad} /healthz ` +
        `sent while the heap was read)`,
    },
    {
      name: 'no secret in logs',
      ok: f.logs.leaks.length === 0,
      detail: `${f.logs.lines} lines searched for ${Object.keys(o.secrets).length} secrets and ${o.tokens.length} tokens: ${f.logs.leaks.length ? f.logs.leaks.join('; ') : 'none found'}`,
    },
  ];
}

function redisFigures(o: SoakObservations, measured: RequestLineCounts, windows: number) {
  const commands = o.upstash.commands;
  const n = o.load.records.length || 1;
  return {
    commands,
    perRequest: Object.fromEntries(Object.entries(commands).map(([k, v]) => [k, v / n])),
    // Each request line with touch "claim" sent one SET NX for the marker; each "miss" one write-back.
    claims: measured.touch.claim ?? 0,
    writeBacks: measured.served.miss ?? 0,
    claimBound: o.settings.isolates * windows,
    selects: o.neon.statements.SELECT ?? 0,
  };
}

function windowsPerUser(o: SoakObservations) {
  const seen = o.schedule.map(() => new Set<number>());
  for (const r of o.load.records) seen[r.user]?.add(r.window);
  const sizes = seen.map((s) => s.size);
  return { min: Math.min(...sizes), max: Math.max(...sizes), total: sizes.reduce((a, b) => a + b, 0) };
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

const tally = (names: string[]) => addCounts(names.map((n) => ({ [n]: 1 })));
