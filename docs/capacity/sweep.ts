// How good are the SELECT and UPDATE formulas away from the default
// scenario? A grid of per-user rates, isolate counts and L/C ratios, each
// simulated with ~10^6 requests, against the model and against the simpler
// formula that treats Redis reads as Poisson (`npm run capacity -- --sweep`).

import { formatNumber, formatPercent, table } from '../../tools/harness/format';
import {
  type CapacityParams,
  poissonSqlSelectsPerSecond,
  sqlSelectsPerSecond,
  sqlUpdatesPerSecond,
} from './model';
import { scaledScenario } from './scenario';
import { simulate } from './simulate';

/** One grid point: the model's and the Poisson formula's relative difference to the simulation. */
export interface SweepRow {
  params: CapacityParams;
  /** λL: requests of one user at one isolate per L1 lifetime. */
  lambdaL: number;
  simulatedSelects: number;
  simulatedUpdates: number;
  select: number;
  poissonSelect: number;
  update: number;
}

const USERS = 2000;

/**
 * The grid: r ∈ {0.01, 0.1, 1, 10, 50}/s × k ∈ {1, 2, 4, 16} × (L1, C) ∈
 * {(2, 10), (3, 10), (10, 10)} with d = 0, plus d = 50 and 200 ms at r ∈ {1, 10}, k ∈ {4, 16}.
 * @example sweepGrid().length // 68
 */
export function sweepGrid(): CapacityParams[] {
  const grid: CapacityParams[] = [];
  const point = (r: number, k: number, l1: number, ttl: number, rtt: number): CapacityParams => ({
    requestsPerSecond: r * USERS,
    activeUsers: USERS,
    locations: 10,
    isolatesPerLocation: k,
    l1TtlSeconds: l1,
    cacheTtlSeconds: ttl,
    touchIntervalSeconds: 30,
    readRttSeconds: rtt,
  });
  for (const r of [0.01, 0.1, 1, 10, 50])
    for (const k of [1, 2, 4, 16])
      for (const [l1, ttl] of [
        [2, 10],
        [3, 10],
        [10, 10],
      ] as const)
        grid.push(point(r, k, l1, ttl, 0));
  for (const rtt of [0.05, 0.2])
    for (const r of [1, 10]) for (const k of [4, 16]) grid.push(point(r, k, 2, 10, rtt));
  return grid;
}

/**
 * Simulates one grid point and compares. The run lasts 40 session-cache
 * cycles (C + 1/r) with as many users (200–20,000) as make ~10^6 requests.
 * @example sweepPoint(sweepGrid()[0], 1).select // ≈ 0.001
 */
export function sweepPoint(grid: CapacityParams, seed: number): SweepRow {
  const r = grid.requestsPerSecond / grid.activeUsers;
  const ttl = grid.cacheTtlSeconds ?? 10;
  const durationSeconds = 40 * (ttl + 1 / r);
  const users = Math.round(Math.min(20_000, Math.max(200, 1_000_000 / (r * durationSeconds))));
  const params = scaledScenario(grid, { users, locations: 10, seed, durationSeconds });
  const sim = simulate(params);
  const f = sim.figures;
  const l = Math.min(params.l1TtlSeconds ?? 2, ttl);
  return {
    params,
    lambdaL: (r / params.isolatesPerLocation) * l,
    simulatedSelects: sim.counts.sqlSelects,
    simulatedUpdates: sim.counts.sqlUpdates,
    select: sqlSelectsPerSecond(params) / f.sqlSelectsPerSecond - 1,
    poissonSelect: poissonSqlSelectsPerSecond(params) / f.sqlSelectsPerSecond - 1,
    update: sqlUpdatesPerSecond(params) / f.sqlUpdatesPerSecond - 1,
  };
}

/**
 * The sweep as a markdown table with the largest differences underneath.
 * @example console.log(formatSweep(sweepGrid().map((p) => sweepPoint(p, 1))));
 */
export function formatSweep(rows: readonly SweepRow[]): string {
  const header = [
    'r /s',
    'k',
    'L1 s',
    'C s',
    'd ms',
    'λL',
    'SELECTs simulated',
    'SELECT/s model',
    'SELECT/s Poisson',
    'UPDATE/s model',
  ];
  const cells = rows.map(({ params: p, ...row }) => [
    formatNumber(p.requestsPerSecond / p.activeUsers),
    String(p.isolatesPerLocation),
    String(p.l1TtlSeconds),
    String(p.cacheTtlSeconds),
    String((p.readRttSeconds ?? 0) * 1000),
    formatNumber(row.lambdaL),
    formatNumber(row.simulatedSelects),
    formatPercent(row.select),
    formatPercent(row.poissonSelect),
    formatPercent(row.update),
  ]);
  const worst = (pick: (r: SweepRow) => number) =>
    `${(Math.max(...rows.map((r) => Math.abs(pick(r)))) * 100).toFixed(2)} %`;
  return [
    ...table(header, cells, 0),
    '',
    `largest |difference| to the simulation: SELECT/s model ${worst((r) => r.select)}, ` +
      `Poisson formula ${worst((r) => r.poissonSelect)}; UPDATE/s model ${worst((r) => r.update)}`,
  ].join('\n');
}
