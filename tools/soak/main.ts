// `npm run soak [-- options]`: sustained paced load on the local stack across
// several workerd isolates, then every check (checks.ts). Exits 1 if any check
// failed. Progress goes to stderr, the report to stdout; Ctrl-C stops the load
// and still cleans up.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { numberArg, onInterrupt, parseCli, progress, runMain, withServices } from '../harness/cli';
import { describeFacts, machineFacts, sourceFacts } from '../harness/facts';
import { bundleWorkers } from '../harness/workerd';
import { evaluate } from './checks';
import { formatReport } from './report';
import { runSoak, SOAK_DEFAULTS } from './run';

const d = SOAK_DEFAULTS;
const USAGE = `usage: npm run soak -- [options]
  --requests N        measured requests (default ${d.requests})
  --users N           users (default ${d.users})
  --concurrency N     requests in flight (default ${d.concurrency})
  --isolates N        workerd isolates, the last with L1_CACHE_MAX_ENTRIES=--l1-max (default ${d.isolates})
  --l1-max N          that isolate's L1 bound; 0 for none (default ${d.boundedL1Entries})
  --touch-interval N  TOUCH_INTERVAL_SECONDS (default ${d.touchIntervalSeconds})
  --l1-ttl N          L1_CACHE_TTL_SECONDS (default ${d.l1TtlSeconds})
  --time-limit N      stop sending after N seconds (default ${d.timeLimitSeconds})
  --json FILE         also write the figures and checks as JSON to FILE`;

/** Each option: its flag, its setting, and its bounds. */
const NUMBERS = {
  requests: ['requests', 1, 10_000_000],
  users: ['users', 1, 100_000],
  concurrency: ['concurrency', 1, 1024],
  isolates: ['isolates', 2, 8],
  'l1-max': ['boundedL1Entries', 0, 100_000],
  'touch-interval': ['touchIntervalSeconds', 1, 300],
  'l1-ttl': ['l1TtlSeconds', 1, d.sessionCacheTtlSeconds],
  'time-limit': ['timeLimitSeconds', 1, 24 * 3600],
} as const;

function parseOptions(argv: string[]) {
  const text = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      ...(Object.fromEntries(Object.keys(NUMBERS).map((flag) => [flag, text])) as Record<
        keyof typeof NUMBERS,
        typeof text
      >),
      json: text,
      help: { type: 'boolean', default: false },
    },
  });
  const settings = Object.fromEntries(
    Object.entries(NUMBERS).map(([flag, [key, min, max]]) => [
      key,
      numberArg(flag, v[flag as keyof typeof NUMBERS], d[key], { min, max }),
    ]),
  );
  return { help: v.help === true, json: v.json, settings };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseCli(argv, parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const log = progress('soak');
  const signal = onInterrupt(log);
  const machine = describeFacts(machineFacts(), sourceFacts());
  log('bundling the Worker with wrangler');
  const bundle = await bundleWorkers({ 'edge-auth': undefined });
  try {
    return await withServices(log, async ({ redisUrl, postgresAdminUrl, redisKind }) => {
      const workerScript = bundle.scripts['edge-auth'];
      const observed = await runSoak({
        ...opts.settings,
        redisUrl,
        postgresAdminUrl,
        workerScript,
        signal,
        log,
      });
      const report = evaluate(observed);
      const command = `npm run soak${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
      const date = new Date().toISOString();
      const redis = `${redisKind} (${observed.redisKind} engine)`;
      console.log(
        formatReport(report, observed, { command, date, machine, redis, postgres: observed.postgresVersion }),
      );
      if (opts.json) {
        const { settings, pacing } = observed;
        await writeFile(opts.json, `${JSON.stringify({ command, settings, pacing, ...report }, null, 2)}\n`);
        log(`JSON written to ${opts.json}`);
      }
      return report.passed ? 0 : 1;
    });
  } finally {
    await bundle.remove();
  }
}

runMain('soak', main);
