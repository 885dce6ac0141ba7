// Plain-text (markdown) report of a run: header with the command and the
// machine, what each variant models, one table per scenario, and the ratios.
import { arch, cpus, loadavg, platform } from 'node:os';
import { VARIANTS } from './build';
import type { BenchResult, ScenarioResult } from './run';
import type { Ratio } from './stats';

/** Facts about where the numbers came from. */
export interface Machine {
  node: string;
  cores: number;
  cpu: string;
  os: string;
  /** 1-minute load average when the run started (others share this machine). */
  load: number;
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
    load: loadavg()[0] ?? 0,
  };
}

const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const x = (n: number) => (Number.isFinite(n) ? `×${n.toFixed(1)}` : '–');
const num = (n: number, digits = 2) => (Number.isFinite(n) ? String(Number(n.toFixed(digits))) : '–');

/**
 * Renders the report.
 * @example console.log(formatReport(result, { command: 'npm run bench', machine: machineFacts(), redis: 'existing' }));
 */
export function formatReport(result: BenchResult, ctx: { command: string; machine: Machine; redis: string }) {
  const { settings: s, scenarios } = result;
  const m = ctx.machine;
  const lines = [
    '# edge-auth benchmark: the last_login convoy',
    '',
    `command: ${ctx.command}`,
    `machine: node ${m.node}, ${m.cores} cores (${m.cpu}), ${m.os}, load ${m.load.toFixed(2)} at start`,
    `stack:   Redis (${ctx.redis}) behind the local Upstash server; PostgreSQL ${result.postgresVersion} behind the local Neon server; echo origin; all on 127.0.0.1`,
    `latency: ${s.latencyMs} ms injected before every Redis and SQL HTTP request is answered (edge → region distance)`,
    `run:     ${s.rounds} rounds planned per scenario, variants interleaved and rotated each round, one unmeasured warm-up burst each; took ${(result.durationMs / 1000).toFixed(1)} s`,
    '',
    'variants (three Workers bundled by wrangler, each in its own workerd via Miniflare, compat date 2026-04-20):',
    `- convoy: the Django middleware. Verifies the JWT (jose HS256), then one Neon HTTP transaction per request:`,
    `  SELECT … FROM users WHERE id = $1 FOR UPDATE; SELECT pg_sleep(${s.lockHoldMs / 1000}); UPDATE users SET last_login = now() WHERE id = $1.`,
    `  pg_sleep MODELS the story's ~${s.lockHoldMs} ms of work per transaction while the row lock is held.`,
    `- edge-auth: the real bundle (src/index.ts); TOUCH_INTERVAL_SECONDS=${s.touchIntervalSeconds}, SESSION_CACHE_TTL_SECONDS=${s.sessionCacheTtlSeconds};`,
    `  warm cache (an unmeasured request re-caches a session with < 3 s left, and its background work lands first).`,
    '- passthrough: no auth; relays with the same forward() as edge-auth. It is the harness floor: the client,',
    "  origin, protocol servers and three workerd processes share this machine's cores, so bursts queue on CPU.",
    'latency = dispatch → last body byte, per request. slowest = mean over rounds of the slowest request of the round.',
    "UPDATE = statements received by that variant's Neon server; rows = last_login changes counted by a trigger;",
    "write gap = mean time between one user's consecutive writes in a round (database clock): the lock hold per hand-off.",
    '',
  ];
  for (const scenario of scenarios) lines.push(...scenarioTable(scenario), '');
  return lines.join('\n');
}

function scenarioTable(sc: ScenarioResult): string[] {
  const shape =
    sc.concurrency === 1 && sc.users === 1
      ? '1 user, 1 request at a time (uncontended cost)'
      : `${sc.users} user${sc.users === 1 ? '' : 's'} × ${sc.concurrency} concurrent requests`;
  const cut = sc.roundsCompleted < sc.roundsPlanned ? ` (of ${sc.roundsPlanned}: time budget)` : '';
  const head = `## ${shape}, ${sc.roundsCompleted} rounds${cut}`;
  const rows = VARIANTS.map((v) => {
    const r = sc.variants[v];
    return [
      v,
      ms(r.p50),
      ms(r.p95),
      ms(r.max),
      ms(r.slowest),
      num(r.requestsPerSecond, 0),
      `${num(r.updatesPerRound.mean)} (max ${num(r.updatesPerRound.max)})`,
      `${num(r.rowsPerRound.mean)} (max ${num(r.rowsPerRound.max)})`,
      num(r.maxRowsPerUserPerRound),
      ms(r.writeSpacingMs),
      num(r.sqlRoundTripsPerRequest),
      num(r.redisRoundTripsPerRequest),
      String(r.errors),
    ];
  });
  const header = [
    'variant',
    'p50 ms',
    'p95 ms',
    'max ms',
    'slowest ms',
    'req/s',
    'UPDATE/round',
    'rows/round',
    'rows/user/round max',
    'write gap ms',
    'SQL RT/req',
    'Redis RT/req',
    'errors',
  ];
  const ratioLine = (name: string, r: Ratio) =>
    `- ${name}: p50 ${x(r.p50)}, p95 ${x(r.p95)}, slowest ${x(r.slowest)}`;
  return [
    head,
    '',
    ...table(header, rows),
    '',
    'ratios:',
    ratioLine('convoy / edge-auth', sc.ratios.convoyOverEdgeAuth),
    ratioLine('edge-auth / passthrough', sc.ratios.edgeAuthOverPassthrough),
  ];
}

/** A markdown table with padded columns, so it also reads well as plain text. */
function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)];
}
