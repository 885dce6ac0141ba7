// `npm run bench [-- options]`: the convoy benchmark on the local stack.
// Prints a short summary (the ratios that matter, every target), writes the
// full report and the summaries' JSON (--out, else a temp dir) and exits 1
// when a target failed, a request failed or the time budget cut the rounds.
// Progress goes to stderr. `--chart` only redraws docs/bench-latency.svg from
// a saved run (`npm run bench:chart`).
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { numberArg, onInterrupt, parseCli, progress, runMain, withServices } from '../tools/harness/cli';
import { machineFacts, sourceFacts } from '../tools/harness/facts';
import { DESIGN_ROUNDS } from './arms';
import { formatReport, formatSummary } from './report';
import { newestResults, resultsDocument, saveResults, writeChart } from './results';
import { BENCH_DEFAULTS, DEFAULT_SCENARIOS, parseScenarios, runBenchmark } from './run';
import { judgeTargets } from './targets';

const d = BENCH_DEFAULTS;
const USAGE = `usage: npm run bench -- [options]
  --rounds N        measured rounds (default ${d.rounds}: every arm first once; ${DESIGN_ROUNDS} also balance which arm follows which)
  --scenarios LIST  USERSxREQUESTS-EACH load shapes (default ${DEFAULT_SCENARIOS.map((s) => `${s.users}x${s.concurrency}`).join(',')})
  --budget-s N      start no round after N seconds (default ${d.timeBudgetMs / 1000}; the run then exits 1)
  --max-wait-s N    longest wait for a quiet machine before a block (default ${d.maxQuietWaitMs / 1000})
  --attempts N      attempts per block before a noisy one is kept (default ${d.maxAttempts})
  --out BASE        write the report to BASE.txt and the summaries to BASE.json (default: a temp dir)
  --chart           do not run: redraw docs/bench-latency.svg from the newest bench/results/*.json`;

function parseOptions(argv: string[]) {
  const text = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      rounds: text,
      scenarios: text,
      'budget-s': text,
      'max-wait-s': text,
      attempts: text,
      out: text,
      chart: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const scenarios = v.scenarios === undefined ? undefined : parseScenarios(v.scenarios);
  return {
    help: v.help === true,
    chart: v.chart === true,
    out: v.out,
    run: {
      rounds: numberArg('rounds', v.rounds, d.rounds, { min: 1, max: 1000 }),
      scenarios: scenarios ?? DEFAULT_SCENARIOS,
      timeBudgetMs:
        numberArg('budget-s', v['budget-s'], d.timeBudgetMs / 1000, { min: 1, max: 36_000 }) * 1000,
      maxQuietWaitMs:
        numberArg('max-wait-s', v['max-wait-s'], d.maxQuietWaitMs / 1000, { min: 0, max: 3600 }) * 1000,
      maxAttempts: numberArg('attempts', v.attempts, d.maxAttempts, { min: 1, max: 100 }),
    },
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseCli(argv, parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const log = progress('bench');
  const shown = (file: string) => (file.startsWith(process.cwd()) ? relative(process.cwd(), file) : file);
  if (opts.chart) {
    const file = await newestResults();
    if (!file) throw new Error('no bench/results/<date>.json: run with --out bench/results/<date> first');
    log(`wrote ${shown(await writeChart(file))} from ${shown(file)}`);
    return 0;
  }
  const signal = onInterrupt(log);
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const [machine, source] = [machineFacts(), sourceFacts()];
  return withServices(log, async ({ redisUrl, postgresAdminUrl, redisKind }) => {
    const result = await runBenchmark({ redisUrl, postgresAdminUrl, ...opts.run, signal, log });
    const ctx = { command, machine, source, redis: redisKind };
    const base =
      opts.out ?? join(tmpdir(), 'edge-auth-bench', new Date().toISOString().replace(/[:.]/g, '-'));
    const files = await saveResults(base, resultsDocument(result, ctx), formatReport(result, ctx));
    process.stdout.write(formatSummary(result, ctx));
    console.log(
      `full report (every shape, the cost table, all ratios): ${files.map(shown).join(', summaries ')}`,
    );
    const problems = [
      ...judgeTargets(result)
        .filter((t) => t.pass === false)
        .map((t) => `target failed: ${t.target}`),
      ...(result.scenarios.some((s) => s.roundsCompleted < s.roundsPlanned)
        ? ['the time budget stopped the rounds early']
        : []),
      ...(result.scenarios.some((s) => Object.values(s.arms).some((a) => a.errors > 0))
        ? ['some requests failed (errors column)']
        : []),
    ];
    for (const p of problems) console.log(`exit 1: ${p}`);
    return problems.length > 0 ? 1 : 0;
  });
}

runMain('bench', main);
