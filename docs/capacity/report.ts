// Markdown tables of the capacity model and of its check by simulation, as
// pasted into docs/capacity.md.
import { formatNumber, formatPercent, table } from '../../tools/harness/format';
import { FIGURES, type FigureComparison, figureEvents, worstRelative } from './figures';
import type { CapacityEstimate, ResolvedParams } from './model';
import type { SimulationResult } from './simulate';

/** The model at one isolate count, with the Poisson SELECT figure for contrast. */
export interface ModelColumn {
  isolates: number;
  estimate: CapacityEstimate;
  poissonSelectsPerSecond: number;
}

/** One simulated, scaled-down scenario and its comparison at full scale. */
export interface SimulationRow {
  isolates: number;
  result: SimulationResult;
  /** Full-scale users ÷ simulated users: rates are multiplied by it. */
  scale: number;
  comparison: FigureComparison[];
}

/** Events below which a simulated figure is too noisy to headline (±1 % at 10^4). */
const SOLID_EVENTS = 10_000;

function describe(p: ResolvedParams): string {
  const r = p.requestsPerSecond / p.activeUsers;
  const l = Math.min(p.l1TtlSeconds, p.cacheTtlSeconds);
  return [
    `${formatNumber(p.requestsPerSecond)} requests/s from ${formatNumber(p.activeUsers)} active users (r = ${formatNumber(r)} requests/s each),`,
    `${formatNumber(p.locations)} locations; L1 TTL ${p.l1TtlSeconds} s (L = ${l} s), session cache TTL C = ${p.cacheTtlSeconds} s,`,
    `touch interval T = ${p.touchIntervalSeconds} s, Redis read round trip d = ${p.readRttSeconds * 1000} ms`,
  ].join('\n');
}

/**
 * The model's table, one column per isolate count.
 * @example formatModel(columns).join('\n')
 */
export function formatModel(columns: readonly ModelColumn[]): string[] {
  const header = ['figure', ...columns.map((c) => `k = ${c.isolates}`)];
  const row = (label: string, value: (c: ModelColumn) => number) => [
    label,
    ...columns.map((c) => formatNumber(value(c))),
  ];
  const rows = FIGURES.map(({ key, label }) => row(label, (c) => c.estimate.figures[key]));
  rows.push(
    row('requests/s per isolate', (c) => c.estimate.requestsPerIsolatePerSecond),
    row('live L1 entries per isolate', (c) => c.estimate.l1EntriesPerIsolate),
    row('UPDATEs saved/s vs one per request', (c) => c.estimate.updatesSavedPerSecond),
    row('per-request design: transactions/s', (c) => c.estimate.perRequestDesign.transactionsPerSecond),
    row('SQL SELECT/s if reads were Poisson', (c) => c.poissonSelectsPerSecond),
  );
  if (columns.every((c) => c.estimate.cpuCores !== null)) {
    rows.push(row('CPU cores', (c) => c.estimate.cpuCores ?? Number.NaN));
  }
  return table(header, rows);
}

/**
 * The whole report: scenario, model table, one comparison table per simulated k.
 * @example console.log(formatReport({ command, params, columns, simulations }));
 */
export function formatReport(input: {
  command: string;
  params: ResolvedParams;
  columns: readonly ModelColumn[];
  simulations: readonly SimulationRow[];
}): string {
  const { params, columns, simulations } = input;
  const lines = [
    '# edge-auth capacity model',
    '',
    `command: ${input.command}`,
    '',
    describe(params),
    '',
    '## Formulas (docs/capacity.md), by isolates per location k',
    '',
    ...formatModel(columns),
  ];
  if (params.cpuMsL1Hit !== undefined && params.cpuMsL1Miss !== undefined) {
    lines.push(
      '',
      `CPU cores = requests/s × (${params.cpuMsL1Hit} ms × share served from L1 + ${params.cpuMsL1Miss} ms × share reading Redis) ÷ 1000.`,
    );
  }
  for (const sim of simulations) {
    const s = sim.result;
    const c = s.counts;
    const events = figureEvents(c);
    lines.push(
      '',
      `## Simulation, k = ${sim.isolates}: ${formatNumber(s.params.activeUsers)} users in ${s.params.locations} locations × ${sim.isolates} isolate${sim.isolates === 1 ? '' : 's'}, ` +
        `${formatNumber(s.measuredSeconds)} simulated s after ${formatNumber(s.warmupSeconds)} s of warm-up, ${formatNumber(c.requests)} requests, seed ${s.seed}`,
    );
    lines.push(
      `Per-second figures ×${formatNumber(sim.scale)} (back to full scale). Events: ${formatNumber(c.redisReads)} reads, ` +
        `${formatNumber(c.sqlSelects)} SELECTs, ${formatNumber(c.sqlUpdates)} UPDATEs; ` +
        `min gap between one user's UPDATEs ${formatNumber(c.minUpdateGapSeconds)} s (T = ${s.params.touchIntervalSeconds} s).`,
      '',
      ...table(
        ['figure', 'formula', 'simulation', 'difference', 'events simulated'],
        sim.comparison.map((x) => [
          x.label,
          formatNumber(x.model),
          formatNumber(x.simulation),
          formatPercent(x.relative),
          formatNumber(events[x.key]),
        ]),
      ),
    );
    // Figures resting on few events are noise-bound (±1/√n); the headline skips them.
    const solid = sim.comparison.filter((x) => events[x.key] >= SOLID_EVENTS);
    const worst = worstRelative(solid);
    if (worst) {
      lines.push(
        '',
        `largest difference among figures from ≥ ${formatNumber(SOLID_EVENTS)} events: ${formatPercent(worst.relative)} (${worst.label.trim()})`,
      );
    }
  }
  return lines.join('\n');
}
