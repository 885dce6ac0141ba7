// `npm run soak [-- --requests N --users N --concurrency N --isolates N --json FILE]`:
// sustained paced load on the local stack across several workerd isolates,
// then every check (checks.ts). Exits 1 if any check failed. Progress goes to
// stderr, the report to stdout; Ctrl-C stops the load and still cleans up.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ensurePostgres, ensureRedis } from '../../dev/services';
import { parseCli, runMain } from '../cli';
import { describeMachine, describeSource, machineFacts, sourceFacts } from '../report';
import { bundleWorker } from './bundle';
import { evaluate } from './checks';
import { formatReport } from './report';
import { runSoak, SOAK_DEFAULTS } from './run';

const USAGE = `usage: npm run soak -- [options]
  --requests N       measured requests (default ${SOAK_DEFAULTS.requests})
  --users N          users (default ${SOAK_DEFAULTS.users})
  --concurrency N    requests in flight (default ${SOAK_DEFAULTS.concurrency})
  --isolates N       workerd isolates, the last with L1_CACHE_MAX_ENTRIES=--l1-max (default ${SOAK_DEFAULTS.isolates})
  --l1-max N         that isolate's L1 bound; 0 for none (default ${SOAK_DEFAULTS.boundedL1Entries})
  --touch-interval N TOUCH_INTERVAL_SECONDS (default ${SOAK_DEFAULTS.touchIntervalSeconds})
  --l1-ttl N         L1_CACHE_TTL_SECONDS (default ${SOAK_DEFAULTS.l1TtlSeconds})
  --time-limit N     stop sending after N seconds (default ${SOAK_DEFAULTS.timeLimitSeconds})
  --json FILE        also write the figures and checks as JSON to FILE`;

function whole(name: string, raw: string | undefined, fallback: number, min: number, max: number) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max)
    throw new RangeError(`--${name} must be from ${min} to ${max}`);
  return n;
}

function parseOptions(argv: string[]) {
  const text = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      requests: text,
      users: text,
      concurrency: text,
      isolates: text,
      'l1-max': text,
      'touch-interval': text,
      'l1-ttl': text,
      'time-limit': text,
      json: text,
      help: { type: 'boolean', default: false },
    },
  });
  const raw = (name: Exclude<keyof typeof v, 'help'>) => v[name];
  const d = SOAK_DEFAULTS;
  const isolates = whole('isolates', raw('isolates'), d.isolates, 2, 8);
  return {
    help: v.help === true,
    json: raw('json'),
    settings: {
      requests: whole('requests', raw('requests'), d.requests, 1, 10_000_000),
      users: whole('users', raw('users'), d.users, 1, 100_000),
      concurrency: whole('concurrency', raw('concurrency'), d.concurrency, 1, 1024),
      isolates,
      boundedL1Entries: whole('l1-max', raw('l1-max'), d.boundedL1Entries, 0, 100_000),
      touchIntervalSeconds: whole('touch-interval', raw('touch-interval'), d.touchIntervalSeconds, 1, 300),
      l1TtlSeconds: whole('l1-ttl', raw('l1-ttl'), d.l1TtlSeconds, 1, d.sessionCacheTtlSeconds),
      timeLimitSeconds: whole('time-limit', raw('time-limit'), d.timeLimitSeconds, 1, 24 * 3600),
    },
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseCli(argv, parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const t0 = performance.now();
  const log = (line: string) =>
    console.error(`[soak ${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (abort.signal.aborted) process.exit(130);
    log(`${signal}: stopping the load and cleaning up (again to quit at once)`);
    abort.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const machine = describeMachine(machineFacts());
  log('bundling the Worker with wrangler');
  const bundle = await bundleWorker();
  try {
    const redis = await ensureRedis({ log });
    try {
      const postgres = await ensurePostgres({ log });
      try {
        const observed = await runSoak({
          ...opts.settings,
          redisUrl: redis.url,
          postgresAdminUrl: postgres.url,
          workerScript: bundle.script,
          signal: abort.signal,
          log,
        });
        const report = evaluate(observed);
        const command = `npm run soak${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
        console.log(
          formatReport(report, observed, {
            command,
            date: new Date().toISOString(),
            machine: `${machine}; source ${describeSource(sourceFacts())}`,
            redis: `${redis.kind} (${observed.redisKind} engine)`,
            postgres: observed.postgresVersion,
          }),
        );
        if (opts.json) {
          const { settings, pacing } = observed;
          await writeFile(
            opts.json,
            `${JSON.stringify({ command, settings, pacing, ...report }, null, 2)}\n`,
          );
          log(`JSON written to ${opts.json}`);
        }
        return report.passed ? 0 : 1;
      } finally {
        await postgres.stop();
      }
    } finally {
      await redis.stop();
    }
  } finally {
    await bundle.remove();
  }
}

runMain('soak', main);
