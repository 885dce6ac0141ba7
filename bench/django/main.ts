// `npm run bench:django [-- options]`: the seed's failure in the seed's stack,
// side by side (issue #16 item 8). Prints the headline and a short summary,
// writes the wide tables (.txt) and the summaries the chart is drawn from
// (.json) to --out or a temp dir; exits 1 only when something failed (a
// request, the stack), never on a figure. `--chart` only redraws
// docs/bench-django.svg from the newest bench/results/django-*.json.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { numberArg, onInterrupt, parseCli, progress, runMain, withServices } from '../../tools/harness/cli';
import { machineFacts, sourceFacts } from '../../tools/harness/facts';
import { ROOT } from '../../tools/harness/workerd';
import { RESULTS_DIR, saveResults } from '../results';
import { parseScenarios } from '../run';
import { renderDjangoChart } from './chart';
import { formatDjangoReport, formatDjangoSummary } from './report';
import { DJANGO_BENCH_DEFAULTS, runDjangoBenchmark } from './run';
import { type DjangoSummaries, djangoResultsDocument } from './summary';

const CHART_PATH = join(ROOT, 'docs/bench-django.svg');
const d = DJANGO_BENCH_DEFAULTS;
const USAGE = `usage: npm run bench:django -- [options]
  --rounds N         measured rounds, each every shape × both arms (default ${d.rounds})
  --scenarios LIST   USERSxREQUESTS-EACH load shapes (default ${d.scenarios.map((s) => `${s.users}x${s.concurrency}`).join(',')})
  --delay-ms N       delay the proxy adds in each direction between PostgreSQL and its clients (default ${d.delayMs})
  --threads N        gunicorn gthread threads, one worker (default ${d.threads})
  --conn-max-age N   Django's CONN_MAX_AGE (default ${d.connMaxAge}: kept per thread; 0, Django's default: one per request)
  --edge-cache S     warm: one unmeasured request per user before its burst, both arms (default);
                     cold: the burst is the first request after the login (edge-auth's slowest case)
  --max-wait-s N     longest wait for a quiet machine before a block (default ${d.maxQuietWaitMs / 1000})
  --attempts N       attempts per block before a disturbed one is kept (default ${d.maxAttempts})
  --budget-s N       start no round after N seconds (default ${d.timeBudgetMs / 1000})
  --out BASE         write the report to BASE.txt and the summaries to BASE.json (default: a temp dir)
  --chart            do not run: redraw docs/bench-django.svg from the newest bench/results/django-*.json
Needs Debian's python3-django (3.2), python3-gunicorn and python3-psycopg2 (apt-installed when missing, as root).`;

function parseOptions(argv: string[]) {
  const text = { type: 'string' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: {
      rounds: text,
      scenarios: text,
      'delay-ms': text,
      threads: text,
      'conn-max-age': text,
      'edge-cache': text,
      'max-wait-s': text,
      attempts: text,
      'budget-s': text,
      out: text,
      chart: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  return {
    help: v.help === true,
    chart: v.chart === true,
    out: v.out,
    run: {
      rounds: numberArg('rounds', v.rounds, d.rounds, { min: 1, max: 1000 }),
      scenarios: v.scenarios === undefined ? d.scenarios : parseScenarios(v.scenarios),
      delayMs: numberArg('delay-ms', v['delay-ms'], d.delayMs, { min: 0, max: 1000 }),
      threads: numberArg('threads', v.threads, d.threads, { min: 1, max: 256 }),
      connMaxAge: numberArg('conn-max-age', v['conn-max-age'], d.connMaxAge, { min: 0, max: 86_400 }),
      edgeCache: edgeCache(v['edge-cache']),
      maxQuietWaitMs:
        numberArg('max-wait-s', v['max-wait-s'], d.maxQuietWaitMs / 1000, { min: 0, max: 3600 }) * 1000,
      maxAttempts: numberArg('attempts', v.attempts, d.maxAttempts, { min: 1, max: 20 }),
      timeBudgetMs:
        numberArg('budget-s', v['budget-s'], d.timeBudgetMs / 1000, { min: 1, max: 36_000 }) * 1000,
    },
  };
}

function edgeCache(text: string | undefined): 'warm' | 'cold' {
  if (text === undefined || text === 'warm' || text === 'cold') return text ?? d.edgeCache;
  throw new RangeError('--edge-cache must be warm or cold');
}

/** The newest saved run, `bench/results/django-<date>.json`. */
async function newestDjangoResults(): Promise<string | undefined> {
  const names = (await readdir(RESULTS_DIR).catch(() => []))
    .filter((n) => /^django-[\w.-]+\.json$/.test(n))
    .sort();
  return names.length ? join(RESULTS_DIR, names.at(-1) as string) : undefined;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const opts = parseCli(argv, parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const log = progress('bench:django');
  const shown = (file: string) => (file.startsWith(process.cwd()) ? relative(process.cwd(), file) : file);
  if (opts.chart) {
    const file = await newestDjangoResults();
    if (!file)
      throw new Error(
        'no bench/results/django-<date>.json: run with --out bench/results/django-<date> first',
      );
    const doc = JSON.parse(await readFile(file, 'utf8')) as DjangoSummaries & { command?: string };
    await mkdir(dirname(CHART_PATH), { recursive: true });
    await writeFile(CHART_PATH, renderDjangoChart(doc, [relative(ROOT, resolve(file)), doc.command ?? '']));
    log(`wrote ${shown(CHART_PATH)} from ${shown(file)}`);
    return 0;
  }
  const signal = onInterrupt(log);
  const command = `npm run bench:django${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const [machine, source] = [machineFacts(), sourceFacts()];
  return withServices(log, async ({ redisUrl, postgresAdminUrl, redisKind }) => {
    const result = await runDjangoBenchmark({ redisUrl, postgresAdminUrl, ...opts.run, signal, log });
    const ctx = { command, machine, source, redis: redisKind };
    const doc = djangoResultsDocument(result, ctx);
    const base =
      opts.out ??
      join(tmpdir(), 'edge-auth-bench', `django-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const files = await saveResults(base, doc, formatDjangoReport(doc, ctx));
    process.stdout.write(formatDjangoSummary(doc, ctx));
    console.log(`full report (latency, ratios, writes, locks): ${files.map(shown).join(', summaries ')}`);
    const errors = doc.scenarios.reduce((n, s) => n + s.arms.seed.errors + s.arms.edge.errors, 0);
    if (errors > 0) console.log(`exit 1: ${errors} requests failed`);
    return errors > 0 ? 1 : 0;
  });
}

runMain('bench:django', main);
