// Results on disk: a run's report (.txt) and its summaries (.json: settings,
// every arm's figures per shape, the targets; no raw rounds), and the
// README's chart drawn from such a JSON.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../tools/harness/workerd';
import { type ChartInput, renderLatencyChart } from './chart';
import type { ReportContext, ReportInput } from './report';
import type { BenchResult } from './run';
import { judgeTargets } from './targets';

/** Where committed runs live, and the chart the README shows. */
export const RESULTS_DIR = join(ROOT, 'bench/results');
export const CHART_PATH = join(ROOT, 'docs/bench-latency.svg');

/**
 * The JSON document of a run: context, settings, summaries and targets; the raw rounds stay out.
 * @example JSON.stringify(resultsDocument(result, ctx))
 */
export function resultsDocument(result: BenchResult, ctx: ReportContext) {
  const scenarios = result.scenarios.map(({ rounds: _, ...s }) => s);
  const summaries: ReportInput = { ...result, scenarios };
  return { ...ctx, ...summaries, targets: judgeTargets(summaries) };
}

/** Numbers to 4 decimals (ms to 0.1 µs: more than any figure needs); NaN and Infinity (not JSON) as null. */
const compact = (_: string, v: unknown) =>
  typeof v !== 'number' ? v : Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null;

/**
 * Writes `<base>.txt` and `<base>.json`, formatted by the repo's Biome so `npm run lint` accepts it.
 * @example await saveResults('bench/results/2026-11-27', document, reportText)
 */
export async function saveResults(base: string, document: unknown, text: string): Promise<string[]> {
  const [txt, json] = [`${base}.txt`, `${base}.json`];
  await mkdir(dirname(resolve(json)), { recursive: true });
  await writeFile(txt, text);
  // Objects and arrays of plain values on one line (Biome keeps them so where they fit).
  const flat = JSON.stringify(document, compact, 2).replace(
    /([{[])\n\s*([^{}[\]]*?)\n\s*([}\]])/g,
    (_, open: string, body: string, close: string) => `${open} ${body.replace(/\n\s*/g, ' ')} ${close}`,
  );
  await writeFile(json, `${flat}\n`);
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/biome'), ['format', '--write', resolve(json)], {
    cwd: ROOT,
  }).catch((err: Error) =>
    console.error(`[bench] could not format ${json} with biome: ${err.message.split('\n')[0]}`),
  );
  return [txt, json];
}

/**
 * The newest results file in `dir`, named by its date (`2026-11-27.json`, `2026-11-27-b.json`).
 * @example await newestResults() // '/…/bench/results/2026-11-27.json'
 */
export async function newestResults(dir = RESULTS_DIR): Promise<string | undefined> {
  const names = (await readdir(dir).catch(() => []))
    .filter((n) => /^\d{4}-\d{2}-\d{2}[\w.-]*\.json$/.test(n))
    .sort();
  const last = names.at(-1);
  return last === undefined ? undefined : join(dir, last);
}

/**
 * Regenerates the chart from a results file and returns the path written.
 * @example await writeChart('bench/results/2026-11-27.json') // '/…/docs/bench-latency.svg'
 */
export async function writeChart(from: string, to = CHART_PATH): Promise<string> {
  const doc = JSON.parse(await readFile(from, 'utf8')) as Partial<ChartInput> & {
    command?: string;
    machine?: { cores?: number; cpu?: string };
  };
  // Every arm there has a p99; a run from before an arm existed lacks that arm's line, nothing else.
  const valid = (doc.scenarios ?? []).every(
    (s) =>
      ['convoy', 'passthrough'].every((a) => a in (s.arms ?? {})) &&
      Object.values(s.arms ?? {}).every((a) => typeof a?.p99 === 'number'),
  );
  if (!Array.isArray(doc.scenarios) || !valid)
    throw new Error(`${from} is not a benchmark results file (scenarios with p99 per arm)`);
  const machine = doc.machine ? ` — ${doc.machine.cores} cores (${doc.machine.cpu})` : '';
  const caption = [`${relative(ROOT, resolve(from))}${machine}`, ...(doc.command ? [doc.command] : [])];
  await mkdir(dirname(to), { recursive: true });
  await writeFile(to, renderLatencyChart({ scenarios: doc.scenarios }, caption));
  return to;
}
