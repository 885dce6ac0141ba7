// `npm run capacity [-- options]`: the capacity model at internet
// scale for k = 1, 4, 16 isolates per location (and --isolates), and for each
// k a simulation of the same scenario scaled down to a few thousand users
// (same rate per user, same isolates per location), with the difference per
// figure. Pure computation: no network, deterministic for a given --seed.

import { parseArgs } from 'node:util';
import { numberArg, parseCli, runMain } from '../../tools/harness/cli';
import { compareFigures, scaleFigures } from './figures';
import {
  type CapacityParams,
  estimate,
  INTERNET_SCALE,
  poissonSqlSelectsPerSecond,
  resolveParams,
} from './model';
import { formatReport, type ModelColumn, type SimulationRow } from './report';
import { scaledScenario } from './scenario';
import { simulate } from './simulate';
import { formatSweep, sweepGrid, sweepPoint } from './sweep';

const USAGE = `usage: npm run capacity -- [options]
  --requests N       requests per second, all users (default 100000)
  --users N          active users (default 1000000)
  --locations N      edge locations (default 300)
  --isolates N       isolates per location, shown with k = 1, 4, 16 (default 4)
  --l1 S             L1 TTL in seconds; 0 turns L1 off (default 2)
  --ttl S            SESSION_CACHE_TTL_SECONDS (default 10)
  --interval S       TOUCH_INTERVAL_SECONDS (default 300)
  --rtt-ms MS        Redis read round trip, shared by concurrent misses (default 0)
  --cpu-l1-hit MS    CPU ms of a request served from L1 (prints CPU cores with --cpu-l1-miss)
  --cpu-l1-miss MS   CPU ms of a request that reads Redis
  --sim-users N      users in the simulated scenario (default 2000)
  --sim-locations N  locations in the simulated scenario (default 20)
  --sim-requests N   about this many simulated requests per k (default 1000000)
  --seed N           simulation seed (default 1)
  --sweep            instead: the SELECT/UPDATE formulas against simulation over a grid
                     of rates, k and L/C (68 points, ~10^6 requests each)
  --json             print JSON instead of the tables`;

const positive = { min: Number.MIN_VALUE, integer: false };
const zeroOrMore = { min: 0, integer: false };
const whole = { min: 1 };
const FLAGS = [
  'requests',
  'users',
  'locations',
  'isolates',
  'l1',
  'ttl',
  'interval',
  'rtt-ms',
  'cpu-l1-hit',
  'cpu-l1-miss',
  'sim-users',
  'sim-locations',
  'sim-requests',
  'seed',
] as const;

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(FLAGS.map((f) => [f, { type: 'string' as const }])),
      json: { type: 'boolean', default: false },
      sweep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const v = values as Record<string, string | boolean | undefined>;
  const s = (f: (typeof FLAGS)[number]) => v[f] as string | undefined;
  const d = INTERNET_SCALE;
  const cpu = (flag: 'cpu-l1-hit' | 'cpu-l1-miss') => {
    const raw = s(flag);
    return raw === undefined ? undefined : numberArg(flag, raw, 0, zeroOrMore);
  };
  const [cpuMsL1Hit, cpuMsL1Miss] = [cpu('cpu-l1-hit'), cpu('cpu-l1-miss')];
  const params: CapacityParams = {
    requestsPerSecond: numberArg('requests', s('requests'), d.requestsPerSecond, positive),
    activeUsers: numberArg('users', s('users'), d.activeUsers, whole),
    locations: numberArg('locations', s('locations'), d.locations, whole),
    isolatesPerLocation: numberArg('isolates', s('isolates'), d.isolatesPerLocation, whole),
    l1TtlSeconds: numberArg('l1', s('l1'), d.l1TtlSeconds, zeroOrMore),
    cacheTtlSeconds: numberArg('ttl', s('ttl'), d.cacheTtlSeconds, positive),
    touchIntervalSeconds: numberArg('interval', s('interval'), d.touchIntervalSeconds, positive),
    readRttSeconds: numberArg('rtt-ms', s('rtt-ms'), 0, zeroOrMore) / 1000,
    ...(cpuMsL1Hit === undefined ? {} : { cpuMsL1Hit }),
    ...(cpuMsL1Miss === undefined ? {} : { cpuMsL1Miss }),
  };
  return {
    help: v.help === true,
    json: v.json === true,
    sweep: v.sweep === true,
    params: resolveParams(params),
    simUsers: numberArg('sim-users', s('sim-users'), 2000, whole),
    simLocations: numberArg('sim-locations', s('sim-locations'), 20, whole),
    simRequests: numberArg('sim-requests', s('sim-requests'), 1_000_000, whole),
    seed: numberArg('seed', s('seed'), 1, { min: 0 }),
  };
}

function main(): number {
  const argv = process.argv.slice(2);
  const opts = parseCli(argv, parseOptions, USAGE);
  if (typeof opts === 'number') return opts;
  const command = `npm run capacity${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;
  if (opts.sweep) {
    const rows = sweepGrid().map((p) => sweepPoint(p, opts.seed));
    console.log(
      opts.json ? JSON.stringify({ command, rows }, null, 2) : `command: ${command}\n\n${formatSweep(rows)}`,
    );
    return 0;
  }
  const ks = [...new Set([1, 4, 16, opts.params.isolatesPerLocation])].sort((a, b) => a - b);
  const columns: ModelColumn[] = ks.map((k) => {
    const p = { ...opts.params, isolatesPerLocation: k };
    return { isolates: k, estimate: estimate(p), poissonSelectsPerSecond: poissonSqlSelectsPerSecond(p) };
  });
  const simulations: SimulationRow[] = columns.map(({ isolates, estimate: full }) => {
    const result = simulate(
      scaledScenario(full.params, {
        users: opts.simUsers,
        locations: opts.simLocations,
        seed: opts.seed,
        targetRequests: opts.simRequests,
      }),
    );
    const scale = full.params.activeUsers / opts.simUsers;
    return {
      isolates,
      result,
      scale,
      comparison: compareFigures(full.figures, scaleFigures(result.figures, scale)),
    };
  });
  if (opts.json) {
    console.log(JSON.stringify({ command, params: opts.params, model: columns, simulations }, null, 2));
  } else {
    console.log(formatReport({ command, params: opts.params, columns, simulations }));
  }
  return 0;
}

runMain('capacity', main);
