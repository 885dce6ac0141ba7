// `npm run bench [-- options]`: the convoy benchmark against the local stack.
// Finds or starts Redis and PostgreSQL, runs bench/run.ts, prints the report
// (or the JSON), optionally saves both under bench/results/, and leaves
// nothing behind, also on error or Ctrl-C. Progress goes to stderr, the
// report to stdout. `--chart` only redraws docs/bench-latency.svg from a
// saved run (`npm run bench:chart`).
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ensurePostgres, ensureRedis } from '../dev/services';
import { parseCli, runMain } from './cli';
import { formatReport, machineFacts, sourceFacts } from './report';
import { newestResults, resultsDocument, saveResults, writeChart } from './results';
import { DEFAULT_SCENARIOS, runBenchmark, type Scenario } from './run';

const USAGE = `usage: npm run bench -- [options]
  --rounds N          measured rounds per shape (default 10)
  --latency-ms N      latency injected into every Redis and SQL HTTP request (default 0)
  --scenarios LIST    USERSxREQUESTS-PER-USER load shapes, comma-separated (default
                      ${DEFAULT_SCENARIOS.map((s) => `${s.users}x${s.concurrency}`).join(',')}:
                      N = 1, 5, 20, 50 from one user, then N users × 1)
  --budget-s N        stop starting rounds after N seconds (default 120)
  --quiet-cores X     others' CPU use (cores) that makes the machine "not quiet": rounds wait
                      for less, and are measured again when their bursts saw more (default 0.2)
  --max-wait-s N      longest wait for a quiet machine before a round (default 10)
  --attempts N        attempts per round before a noisy one is kept and flagged (default 4)
  --json              print the result as JSON instead of the report
  --out BASE          also write BASE.json and BASE.txt (e.g. bench/results/2026-11-27)
  --chart             do not run: redraw docs/bench-latency.svg from --from FILE or the
                      newest bench/results/*.json (also: npm run bench:chart)`;

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new RangeError(`--${name} must be from ${min} to ${max}`);
  return n;
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      'latency-ms': { type: 'string' },
      scenarios: { type: 'string' },
      'budget-s': { type: 'string' },
      'quiet-cores': { type: 'string' },
      'max-wait-s': { type: 'string' },
      attempts: { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      chart: { type: 'boolean', default: false },
      from: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const scenarios = values.scenarios?.split(',').map((item): Scenario => {
    const [users, concurrency, extra] = item.trim().split('x');
    if (extra !== undefined)
      throw new RangeError('--scenarios entries look like 1x20 (users x requests each)');
    return {
      users: wholeNumber('scenarios users', users, 1, 1, 200),
      concurrency: wholeNumber('scenarios concurrency', concurrency ?? '', 20, 1, 200),
    };
  });
  if (values.from !== undefined && !values.chart) throw new RangeError('--from goes with --chart');
  const quietCores = Number(values['quiet-cores'] ?? '0.2');
  if (!(quietCores > 0 && quietCores <= 2))
    throw new RangeError('--quiet-cores must be a number above 0, at most 2');
  return {
    help: values.help,
    json: values.json,
    out: values.out,
    chart: values.chart,
    from: values.from,
    rounds: wholeNumber('rounds', values.rounds, 10, 1, 1000),
    latencyMs: wholeNumber('latency-ms', values['latency-ms'], 0, 0, 1000),
    scenarios: scenarios ?? DEFAULT_SCENARIOS,
    timeBudgetMs: wholeNumber('budget-s', values['budget-s'], 120, 1, 36_000) * 1000,
    quietCores,
    maxQuietWaitMs: wholeNumber('max-wait-s', values['max-wait-s'], 10, 0, 3600) * 1000,
    maxAttempts: wholeNumber('attempts', values.attempts, 4, 1, 100),
  };
}

/** `--chart`: redraw the README's chart from a saved run. */
async function chart(from: string | undefined): Promise<number> {
  const file = from ?? (await newestResults());
  if (!file) {
    console.error('[bench] no results file: run with --out bench/results/<date> first, or give --from FILE');
    return 1;
  }
  const written = await writeChart(file);
  console.error(`[bench] wrote ${relative(process.cwd(), written)} from ${relative(process.cwd(), file)}`);
  return 0;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseCli(argv, parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  if (opts.chart) return chart(opts.from);
  const t0 = performance.now();
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const command = `${process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'tsx bench/main.ts'}${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const machine = machineFacts();
  const source = sourceFacts();

  // First Ctrl-C: stop after the current step and clean up. Another one a
  // second later: leave now. Closer repeats are the same keypress arriving
  // twice (from the terminal's process group and relayed by npm/tsx).
  const abort = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      if (performance.now() - firstSignalAt > 1000) process.exit(130);
      return;
    }
    firstSignalAt = performance.now();
    log(`${signal}: stopping and cleaning up (again to quit at once)`);
    abort.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const redis = await ensureRedis({ log });
  try {
    const postgres = await ensurePostgres({ log });
    try {
      const result = await runBenchmark({
        redisUrl: redis.url,
        postgresAdminUrl: postgres.url,
        rounds: opts.rounds,
        latencyMs: opts.latencyMs,
        scenarios: opts.scenarios,
        timeBudgetMs: opts.timeBudgetMs,
        quietCores: opts.quietCores,
        maxQuietWaitMs: opts.maxQuietWaitMs,
        maxAttempts: opts.maxAttempts,
        signal: abort.signal,
        log,
      });
      const context = { command, machine, redis: redis.kind, source };
      const report = formatReport(result, context);
      const document = resultsDocument(result, context);
      if (opts.out) {
        for (const file of await saveResults(opts.out, document, report)) log(`wrote ${file}`);
      }
      process.stdout.write(opts.json ? `${JSON.stringify(document, null, 2)}\n` : report);
      const errors = result.scenarios.flatMap((s) => Object.values(s.arms)).some((a) => a.errors > 0);
      if (errors) log('some requests failed (see the errors column): the numbers are not trustworthy');
      return errors ? 1 : 0;
    } finally {
      await postgres.stop();
    }
  } finally {
    await redis.stop();
  }
}

runMain('bench', main);
