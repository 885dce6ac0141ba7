// `npm run bench [-- --rounds N --latency-ms N --scenarios 1x20,10x20 --json]`: the
// convoy benchmark against the local stack. Finds or starts Redis and
// PostgreSQL, runs bench/run.ts, prints the report, and leaves nothing behind,
// also on error or Ctrl-C. Progress goes to stderr, the report to stdout.
import { parseArgs } from 'node:util';
import { ensurePostgres, ensureRedis } from '../dev/services';
import { formatReport, machineFacts } from './report';
import { runBenchmark, type Scenario } from './run';

const USAGE = `usage: npm run bench -- [options]
  --rounds N          measured rounds per scenario (default 30)
  --latency-ms N      latency injected into every Redis and SQL HTTP request (default 0)
  --scenarios LIST    USERSxCONCURRENT load shapes, comma-separated (default 1x20,1x1:
                      the story, then one request alone for the uncontended cost)
  --budget-s N        stop starting rounds after N seconds (default 100)
  --json              print the result as JSON instead of the table`;

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
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const scenarios = (values.scenarios ?? '1x20,1x1').split(',').map((item): Scenario => {
    const [users, concurrency, extra] = item.trim().split('x');
    if (extra !== undefined) throw new RangeError('--scenarios entries look like 1x20 (users x concurrent)');
    return {
      users: wholeNumber('scenarios users', users, 1, 1, 50),
      concurrency: wholeNumber('scenarios concurrency', concurrency ?? '', 20, 1, 200),
    };
  });
  return {
    help: values.help,
    json: values.json,
    rounds: wholeNumber('rounds', values.rounds, 30, 1, 1000),
    latencyMs: wholeNumber('latency-ms', values['latency-ms'], 0, 0, 1000),
    scenarios,
    timeBudgetMs: wholeNumber('budget-s', values['budget-s'], 100, 1, 3600) * 1000,
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  let opts: ReturnType<typeof parseOptions>;
  try {
    opts = parseOptions(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const t0 = performance.now();
  const log = (line: string) =>
    console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const command = `${process.env.npm_lifecycle_event === 'bench' ? 'npm run bench' : 'tsx bench/main.ts'}${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const machine = machineFacts();

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
        signal: abort.signal,
        log,
      });
      const context = { command, machine, redis: redis.kind };
      console.log(
        opts.json ? JSON.stringify({ ...context, ...result }, null, 2) : formatReport(result, context),
      );
      const errors = result.scenarios.flatMap((s) => Object.values(s.variants)).some((v) => v.errors > 0);
      if (errors) log('some requests failed (see the errors column): the numbers are not trustworthy');
      return errors ? 1 : 0;
    } finally {
      await postgres.stop();
    }
  } finally {
    await redis.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[bench] failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(err instanceof Error && err.message.startsWith('interrupted') ? 130 : 1);
  },
);
