// Results on disk: a run's JSON (summaries, targets, and every round's raw
// figures in columns) and its printed report, side by side under
// bench/results/, and the README's chart regenerated from such a file.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ARMS, type Arm } from './arms';
import { type ChartInput, renderLatencyChart } from './chart';
import type { ReportContext } from './report';
import type { BenchResult } from './run';
import type { RoundRecord } from './stats';
import { judgeTargets } from './targets';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where committed runs live. */
export const RESULTS_DIR = join(ROOT, 'bench/results');
/** The chart the README shows. */
export const CHART_PATH = join(ROOT, 'docs/bench-latency.svg');

const r2 = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : null);

/** Rounds as columns (one array per figure, one entry per round): compact, and still every number. */
function columns(rounds: readonly RoundRecord[]) {
  const keyed = (pick: (r: RoundRecord) => Record<string, number>) => {
    const names = [...new Set(rounds.flatMap((r) => Object.keys(pick(r))))].sort();
    return Object.fromEntries(names.map((n) => [n, rounds.map((r) => pick(r)[n] ?? 0)]));
  };
  return {
    latenciesMs: rounds.map((r) => r.latencies.map(r2)),
    wallMs: rounds.map((r) => r2(r.wallMs)),
    errors: rounds.map((r) => r.errors),
    workerCpuMs: rounds.map((r) => r2(r.workerCpuMs)),
    harnessCpuMs: rounds.map((r) => r2(r.harnessCpuMs)),
    foreignCpuMs: rounds.map((r) => r2(r.foreignCpuMs)),
    harnessGcMs: rounds.map((r) => r2(r.harnessGcMs)),
    harnessMajorGcMs: rounds.map((r) => r2(r.harnessMajorGcMs)),
    originConnections: rounds.map((r) => r.originConnections),
    redisRequests: rounds.map((r) => r.redisRequests),
    redisCommands: keyed((r) => r.redisCommands),
    sqlRequests: rounds.map((r) => r.sqlRequests),
    statements: keyed((r) => r.statements),
    rows: rounds.map((r) => r.rows),
    maxRowsPerUser: rounds.map((r) => r.maxRowsPerUser),
    writeSpacingMs: rounds.map((r) => (r.writeSpacingMs === null ? null : r2(r.writeSpacingMs))),
    served: keyed((r) => r.served),
  };
}

/**
 * The JSON document of a run: context, settings, summaries, targets, raw rounds (NaN as null).
 * @example JSON.stringify(resultsDocument(result, ctx), null, 2)
 */
export function resultsDocument(result: BenchResult, ctx: ReportContext) {
  return {
    ...ctx,
    ...result,
    scenarios: result.scenarios.map((s) => ({
      ...s,
      rounds: Object.fromEntries(ARMS.map((a) => [a, columns(s.rounds[a])])) as Record<
        Arm,
        ReturnType<typeof columns>
      >,
    })),
    targets: judgeTargets(result),
  };
}

/**
 * Writes `<base>.json` (formatted by the repo's Biome, so `npm run lint` accepts it) and `<base>.txt`.
 * @example await saveResults('bench/results/2026-11-27', document, reportText)
 */
export async function saveResults(base: string, document: unknown, text: string): Promise<string[]> {
  const json = `${base}.json`;
  const txt = `${base}.txt`;
  await mkdir(dirname(resolve(json)), { recursive: true });
  // NaN and Infinity are not JSON: they become null. Arrays of numbers go on one line first (Biome
  // then wraps them), which keeps the file under Biome's 1 MiB limit for formatting.
  const serialized = JSON.stringify(
    document,
    (_, v) => (Number.isFinite(v) || typeof v !== 'number' ? v : null),
    2,
  );
  const numberArray = /\[\s*(?:(?:-?[\d.e+-]+|null),\s*)*(?:-?[\d.e+-]+|null)\s*\]/g;
  await writeFile(json, `${serialized.replace(numberArray, (m) => m.replace(/\s+/g, ''))}\n`);
  await writeFile(txt, text);
  try {
    await promisify(execFile)(join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', resolve(json)], {
      cwd: ROOT,
    });
  } catch (err) {
    console.error(`[bench] could not format ${json} with biome: ${(err as Error).message.split('\n')[0]}`);
  }
  return [json, txt];
}

/**
 * The newest results file of this benchmark in `dir`: named by its date (`2026-11-27.json`,
 * `2026-11-27-b.json`), so other results kept there (`soak-…`) are never picked.
 * @example await newestResults() // '/…/bench/results/2026-11-27.json'
 */
export async function newestResults(dir = RESULTS_DIR): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => []))
    .filter((n) => /^\d{4}-\d{2}-\d{2}[\w.-]*\.json$/.test(n))
    .sort();
  const last = names[names.length - 1];
  return last === undefined ? undefined : join(dir, last);
}

function isChartInput(value: unknown): value is ChartInput {
  if (typeof value !== 'object' || value === null) return false;
  const scenarios = (value as { scenarios?: unknown }).scenarios;
  return (
    Array.isArray(scenarios) &&
    scenarios.every(
      (s: { users?: unknown; concurrency?: unknown; arms?: Record<string, { p99?: unknown } | undefined> }) =>
        typeof s.users === 'number' &&
        typeof s.concurrency === 'number' &&
        ARMS.every((a) => typeof s.arms?.[a]?.p99 === 'number'),
    )
  );
}

/**
 * Regenerates the chart from a results file and returns the path written.
 * @example await writeChart('bench/results/2026-11-27.json') // '/…/docs/bench-latency.svg'
 */
export async function writeChart(from: string, to = CHART_PATH): Promise<string> {
  const data: unknown = JSON.parse(await readFile(from, 'utf8'));
  if (!isChartInput(data))
    throw new Error(`${from} is not a benchmark results file (scenarios with p99 per arm)`);
  const doc = data as ChartInput & { command?: string; machine?: { cores?: number; cpu?: string } };
  const machine = doc.machine ? ` — ${doc.machine.cores} cores (${doc.machine.cpu})` : '';
  const caption = [`${relative(ROOT, resolve(from))}${machine}`, ...(doc.command ? [doc.command] : [])];
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, renderLatencyChart(data, caption));
  return to;
}
