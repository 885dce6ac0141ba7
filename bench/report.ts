// Plain-text (markdown) report of a run: where the numbers come from, what
// every column means, the latency and cost tables, the ratios, where the CPU
// goes, the estimate without shared cores, and the targets with pass/fail.
import { execFileSync } from 'node:child_process';
import { arch, cpus, loadavg, platform, totalmem } from 'node:os';
import { ARM_DESCRIPTIONS, ARM_LABELS, ARMS, type Arm } from './arms';
import { isolatedEstimate, pooledPerRequest } from './isolated';
import type { BenchResult, ScenarioResult } from './run';
import type { ArmSummary, Spread } from './stats';
import { judgeTargets, pairedWallRatio, shapeOf, type TargetResult } from './targets';

/** Facts about where the numbers came from. */
export interface Machine {
  node: string;
  cores: number;
  cpu: string;
  os: string;
  memoryGiB: number;
  /** 1-minute load average when the run started (others share this machine). */
  load: number;
}

/** The source that was measured: the commit, and files under src/ that differed from it. */
export interface Source {
  commit: string;
  dirty: string[];
}

/** What the report says besides the result. */
export interface ReportContext {
  command: string;
  machine: Machine;
  redis: string;
  source: Source;
}

/**
 * The current machine's facts.
 * @example machineFacts().cores // 2
 */
export function machineFacts(): Machine {
  return {
    node: process.version,
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    os: `${platform()} ${arch()}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    load: loadavg()[0] ?? 0,
  };
}

/**
 * One line of machine facts.
 * @example describeMachine(machineFacts()) // 'node v20.20.2, 2 cores (AMD EPYC), 24 GiB, linux x64, load 0.59 at start'
 */
export function describeMachine(m: Machine): string {
  return `node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, load ${m.load.toFixed(2)} at start`;
}

/**
 * The commit, and whether the Worker's source had uncommitted changes.
 * @example describeSource(sourceFacts()) // '5a449b2… (src/ clean)'
 */
export function describeSource(source: Source): string {
  return `${source.commit}${source.dirty.length ? ` + uncommitted ${source.dirty.join(', ')}` : ' (src/ clean)'}`;
}

/**
 * The git commit and the uncommitted files under src/ (the Worker that was bundled).
 * @example sourceFacts() // { commit: '0c49357…', dirty: [] }
 */
export function sourceFacts(): Source {
  const git = (...args: string[]) => {
    try {
      return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  };
  return {
    commit: git('rev-parse', 'HEAD') || 'unknown',
    dirty: git('status', '--porcelain', '--', 'src')
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3)),
  };
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const x = (n: number, digits = 2) => (Number.isFinite(n) ? `×${n.toFixed(digits)}` : '–');
const num = (n: number, digits = 2) => (Number.isFinite(n) ? String(Number(n.toFixed(digits))) : '–');
const spread = (s: Spread) =>
  !Number.isFinite(s.mean) ? '–' : s.min === s.max ? num(s.mean) : `${num(s.mean)} (${s.min}–${s.max})`;

/**
 * `1 user × 20` or `20 users × 1`.
 * @example shapeName({ users: 1, concurrency: 20 }) // '1 user × 20'
 */
export function shapeName(s: { users: number; concurrency: number }): string {
  return `${s.users} user${s.users === 1 ? '' : 's'} × ${s.concurrency}`;
}

/** What every column means; the README quotes it. */
export const COLUMN_NOTES = [
  'latency = one request, from dispatch by the client to the last byte of its body.',
  'p50/p95/p99 = nearest-rank percentiles of the latencies of ALL requests of ALL measured rounds, pooled;',
  '  max = the slowest single request of all measured rounds (so max ≥ p99 ≥ p95 always).',
  'req/s = all requests ÷ the sum of the bursts’ wall times (first dispatch → last body byte): throughput while loaded.',
  'workerd CPU = utime+stime of the arm’s own workerd process (/proc/<pid>/stat) from before the burst until its',
  '  background work settled, summed over rounds ÷ requests; includes Miniflare’s entry worker in front of the Worker.',
  '  /proc counts in 10 ms ticks: trust it over many requests (the pooled figures), not one small shape.',
  'harness CPU = this Node process (client, origin, Upstash and Neon servers) during the burst ÷ requests.',
  'new origin conns = TCP connections the origin accepted during the burst (the Worker’s connection pool growing).',
  'Redis RT = HTTP requests to the arm’s own Upstash server (one per command or pipeline), background work included;',
  '  reads = read-only commands (MGET, GET, …), writes = every other command (SET NX, DEL, EVAL, …).',
  '  "/burst" figures are per round: mean (min–max over rounds).',
  'SQL RT = HTTP requests to the arm’s own Neon server; SELECT, UPDATE = statements of that kind it received',
  '  (the convoy’s transaction has two SELECTs: FOR UPDATE and pg_sleep);',
  '  rows = last_login changes logged by a trigger in PostgreSQL (what the database really wrote).',
  'write gap = mean time between one user’s consecutive last_login writes in a round (database clock): the lock hand-off.',
  'served = edge-auth’s Server-Timing cache label of each answer (l1, hit = Redis, miss = database); waiters of a',
  '  coalesced load report l1.',
];

/**
 * Renders the report.
 * @example console.log(formatReport(result, { command: 'npm run bench', machine: machineFacts(), redis: 'existing', source: sourceFacts() }));
 */
export function formatReport(result: BenchResult, ctx: ReportContext): string {
  const { settings: s } = result;
  const m = ctx.machine;
  const lines = [
    '# edge-auth benchmark: the last_login convoy, side by side',
    '',
    `command: ${ctx.command}`,
    `machine: ${describeMachine(m)} (shared: other work runs too)`,
    `source:  ${describeSource(ctx.source)}`,
    `stack:   Redis (${ctx.redis}) behind the local Upstash server; PostgreSQL ${result.postgresVersion} behind the local Neon server; origin (bench/origin.ts: one fixed answer, the same cost for every variant); all on 127.0.0.1`,
    `latency: ${s.latencyMs} ms injected before every Redis and SQL HTTP request is answered (edge → region distance)`,
    `run:     ${s.rounds} rounds planned; a round sends one burst of every arm in every shape (arms in a balanced`,
    `         Williams order, shapes rotated), after one unmeasured warm-up round; took ${(result.durationMs / 1000).toFixed(1)} s`,
    `noise:   each shape's part of a round starts when others use < ${s.quietCores} cores (waiting up to ${s.maxQuietWaitMs / 1000} s) and is`,
    `         measured again if its bursts saw more or this process (client and origin) paused in a major GC during one,`,
    `         up to ${s.maxAttempts} attempts (then kept, counted as noisy);`,
    `         ${noiseSummary(result.scenarios)}`,
    '',
    'Workers: four bundles built by wrangler; every arm runs in its own workerd (Miniflare, compat date 2026-04-20),',
    'all relaying with the same forward() to the same origin. Before every burst, as many unmeasured requests from other',
    'users warm the Worker’s origin connections (workerd drops idle ones after ~4 s). edge-auth runs with',
    `TOUCH_INTERVAL_SECONDS=${s.touchIntervalSeconds}, SESSION_CACHE_TTL_SECONDS=${s.sessionCacheTtlSeconds}, L1_CACHE_TTL_SECONDS=${s.l1CacheTtlSeconds}.`,
    ...ARMS.map((arm) => `- ${ARM_LABELS[arm]}: ${ARM_DESCRIPTIONS[arm]}`),
    `  (convoy: pg_sleep(${s.lockHoldMs / 1000}) MODELS the story's ~${s.lockHoldMs} ms of work while the row lock is held.)`,
    '',
    ...COLUMN_NOTES,
    '',
    '## Latency and throughput',
    '',
    ...latencyTable(result.scenarios),
    '',
    '## Cost per request',
    '',
    ...costTable(result.scenarios),
    '',
    '## Ratios (p50 / p95 / p99)',
    '',
    ...ratioLines(result.scenarios),
    '',
    '## Paired by round: burst wall time ÷ passthrough’s in the same round (median, quartiles)',
    '',
    'Robust to the slow bursts that set pooled p95/p99 (all requests of a burst finish within a few ms of each other here:',
    'one Node process sends them and plays the origin, so it handles a burst in batches).',
    '',
    ...pairedLines(result.scenarios),
    '',
    '## Same user ÷ distinct users (p95)',
    '',
    ...sameVersusDistinct(result),
    '',
    '## Where the CPU goes (pooled over every shape)',
    '',
    ...cpuLines(result),
    '',
    ...isolatedLines(result),
    '',
    '## Targets',
    '',
    ...targetTable(judgeTargets(result)),
  ];
  return `${lines.join('\n')}\n`;
}

function noiseSummary(scenarios: ScenarioResult[]) {
  const sum = (f: (s: ScenarioResult) => number) => scenarios.reduce((a, s) => a + f(s), 0);
  const kept = sum((s) => s.roundsCompleted);
  return (
    `${sum((s) => s.noise.discarded)} round(s) measured again, ${sum((s) => s.noise.keptNoisy)} noisy kept of ${kept}; ` +
    `waited ${(sum((s) => s.noise.waitedMs) / 1000).toFixed(0)} s; others used ` +
    `${(sum((s) => s.noise.foreignCoresMean * s.roundsCompleted) / Math.max(1, kept)).toFixed(2)} cores on average in kept rounds`
  );
}

function latencyTable(scenarios: ScenarioResult[]): string[] {
  const header = ['shape', 'arm', 'rounds', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'req/s', 'errors'];
  const rows = scenarios.flatMap((sc) =>
    ARMS.map((arm) => {
      const r = sc.arms[arm];
      return [
        shapeName(sc),
        ARM_LABELS[arm],
        roundsCell(sc),
        ms(r.p50),
        ms(r.p95),
        ms(r.p99),
        ms(r.max),
        num(r.requestsPerSecond, 0),
        String(r.errors),
      ];
    }),
  );
  return table(header, rows);
}

function costTable(scenarios: ScenarioResult[]): string[] {
  const header = [
    'shape',
    'arm',
    'workerd CPU ms/req',
    'harness CPU ms/req',
    'new origin conns/burst',
    'Redis RT/req',
    'Redis reads/burst',
    'Redis writes/req',
    'SQL RT/req',
    'SELECT/burst',
    'UPDATE/burst',
    'rows/burst',
    'write gap ms',
    'served',
  ];
  const rows = scenarios.flatMap((sc) =>
    ARMS.map((arm) => {
      const r = sc.arms[arm];
      return [
        shapeName(sc),
        ARM_LABELS[arm],
        num(r.workerCpuMsPerRequest),
        num(r.harnessCpuMsPerRequest),
        spread(r.originConnectionsPerRound),
        num(r.redis.roundTripsPerRequest),
        spread(r.redis.readsPerRound),
        num(r.redis.writesPerRequest),
        num(r.sql.roundTripsPerRequest),
        spread(r.sql.selectsPerRound),
        spread(r.sql.updatesPerRound),
        spread(r.rowsPerRound),
        ms(r.writeSpacingMs),
        servedCell(r),
      ];
    }),
  );
  return table(header, rows);
}

function roundsCell(sc: ScenarioResult) {
  return sc.roundsCompleted < sc.roundsPlanned
    ? `${sc.roundsCompleted}/${sc.roundsPlanned}`
    : String(sc.roundsCompleted);
}

function servedCell(r: ArmSummary) {
  const entries = Object.entries(r.served);
  return entries.length === 0 ? '–' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

function ratioLines(scenarios: ScenarioResult[]): string[] {
  const triple = (a: ArmSummary, b: ArmSummary) =>
    `${x(a.p50 / b.p50)} / ${x(a.p95 / b.p95)} / ${x(a.p99 / b.p99)}`;
  return scenarios.map((sc) => {
    const { convoy, passthrough } = sc.arms;
    const l1 = sc.arms['edge-auth:l1'];
    return (
      `- ${shapeName(sc)}: convoy ÷ edge-auth L1 hit ${triple(convoy, l1)}; convoy ÷ passthrough ${triple(convoy, passthrough)}; ` +
      `edge-auth L1 hit ÷ passthrough ${triple(l1, passthrough)}; L1 miss ÷ passthrough ${triple(sc.arms['edge-auth:redis'], passthrough)}; ` +
      `jwt-only ÷ passthrough ${triple(sc.arms['jwt-only'], passthrough)}`
    );
  });
}

function pairedLines(scenarios: ScenarioResult[]): string[] {
  const arms: Arm[] = ['convoy', 'edge-auth:l1', 'edge-auth:redis', 'edge-auth:cold', 'jwt-only'];
  return scenarios.map((sc) => {
    const cells = arms.map((arm) => {
      const p = pairedWallRatio(sc, arm);
      return `${ARM_LABELS[arm]} ${x(p.median)} (${x(p.q25)}–${x(p.q75)})`;
    });
    return `- ${shapeName(sc)}: ${cells.join('; ')}`;
  });
}

function sameVersusDistinct(result: BenchResult): string[] {
  const arms: Arm[] = [
    'convoy',
    'edge-auth:l1',
    'edge-auth:redis',
    'edge-auth:cold',
    'jwt-only',
    'passthrough',
  ];
  const lines: string[] = [];
  for (const sc of result.scenarios) {
    const n = sc.concurrency;
    const other = sc.users === 1 && n > 1 ? shapeOf(result, n, 1) : undefined;
    if (!other) continue;
    const cells = arms.map(
      (arm) =>
        `${ARM_LABELS[arm]} ${ms(sc.arms[arm].p95)} ÷ ${ms(other.arms[arm].p95)} = ${x(sc.arms[arm].p95 / other.arms[arm].p95)}`,
    );
    lines.push(`- N = ${n}: ${cells.join('; ')}`);
  }
  return lines.length > 0 ? lines : ['- (no N ran both as 1 user × N and N users × 1)'];
}

function cpuLines(result: BenchResult): string[] {
  const cpu = (arm: Arm) => pooledPerRequest(result, arm, 'workerCpuMsPerRequest');
  const harness = (arm: Arm) => pooledPerRequest(result, arm, 'harnessCpuMsPerRequest');
  const pt = cpu('passthrough');
  const lines = ARMS.map(
    (arm) =>
      `- ${ARM_LABELS[arm]}: workerd ${num(cpu(arm), 3)} ms/request (${arm === 'passthrough' ? 'the floor' : `${signed(cpu(arm) - pt)} vs passthrough`}); harness ${num(harness(arm), 3)} ms/request`,
  );
  return [
    ...lines,
    `- so: the JWT (jwt-only − passthrough) costs ${signed(cpu('jwt-only') - pt)} ms; the session on an L1 hit (Hono app, L1, identity,`,
    `  Server-Timing, request log: edge-auth L1 hit − jwt-only) ${signed(cpu('edge-auth:l1') - cpu('jwt-only'))} ms; an L1 miss (one MGET, parse) ` +
      `${signed(cpu('edge-auth:redis') - cpu('edge-auth:l1'))} ms more.`,
  ];
}

function signed(n: number) {
  return Number.isFinite(n) ? `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(3)}` : '–';
}

function isolatedLines(result: BenchResult): string[] {
  const e = isolatedEstimate(result, 20);
  if (!e) return ['## Without shared cores (estimate)', '', '- needs the 1 user × 1 and 1 user × 20 shapes'];
  const added = e.cpuMsPerRequest['edge-auth:l1'] - e.cpuMsPerRequest.passthrough;
  return [
    `## Without shared cores (estimate for the last request of 1 user × ${e.n})`,
    '',
    `- Here every Worker, the client, the origin and the servers share this machine's cores, so a burst queues on CPU. Where each`,
    '  request has its own CPU, a request of position k in one user’s burst takes:',
    `  convoy: ${ms(e.convoyAloneMs)} ms alone (1 × 1 p50) + (k − 1) × ${ms(e.lockHoldMs)} ms lock hold (measured write gap);`,
    `  edge-auth L1 hit: ${ms(e.baseMs)} ms (passthrough 1 × 1 p50) + ${num(added, 3)} ms added CPU, whatever k;`,
    `  passthrough: ${ms(e.baseMs)} ms.`,
    `- k = ${e.n}: convoy ${ms(e.convoyMs)} ms, edge-auth ${ms(e.edgeAuthMs)} ms: convoy ÷ edge-auth ${x(e.convoyOverEdgeAuth, 0)},` +
      ` convoy ÷ passthrough ${x(e.convoyOverPassthrough, 0)}.`,
    '- With a real origin round trip R added to every variant, both ratios become (convoy + R) ÷ (edge-auth + R).',
  ];
}

function targetTable(targets: TargetResult[]): string[] {
  const verdict = (p: boolean | null) => (p === null ? 'not run' : p ? 'PASS' : 'FAIL');
  return table(
    ['target', 'measured', 'result'],
    targets.map((t) => [t.target, t.measured, verdict(t.pass)]),
  );
}

/** A markdown table with padded columns, so it also reads well as plain text. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}
