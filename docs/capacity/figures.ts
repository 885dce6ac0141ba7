// The figures the capacity model and the simulation both produce, and how
// they are compared: figure by figure, with the events each simulated figure
// rests on (its sampling noise is ~1/√n).
import type { SimulationCounts } from './simulate';

/** The figures the model and the simulation both produce (all users together). */
export interface Figures {
  /** Share of requests answered from L1 with no network call. */
  l1HitRatio: number;
  /** Share of requests that joined a read already in flight in their isolate (0 when d = 0). */
  coalescedRatio: number;
  redisReadsPerSecond: number;
  /** `SET session:<sid> … NX EX C` after each SELECT. */
  redisWriteBacksPerSecond: number;
  /** `SET touch:<uid> … NX EX T`, won or lost. */
  redisMarkerClaimsPerSecond: number;
  /** Write-backs + marker claims: every write command of the hot path. */
  redisWritesPerSecond: number;
  /** Claims that found the marker already set (a race between isolates; 0 when d = 0). */
  lostMarkerClaimsPerSecond: number;
  /** Write-backs refused by NX (a race between isolates; 0 when d = 0). */
  rejectedWriteBacksPerSecond: number;
  sqlSelectsPerSecond: number;
  sqlUpdatesPerSecond: number;
  /** (Redis reads + Redis writes) ÷ requests: one REST call each. */
  redisRoundTripsPerRequest: number;
  redisWritesPerRequest: number;
  /** (SELECT + UPDATE) ÷ requests. */
  sqlStatementsPerRequest: number;
  /** Requests ÷ UPDATEs: how many times fewer UPDATEs than one per request. */
  updateReduction: number;
}

/** Figure names in display order, with a label and unit for tables. */
export const FIGURES: readonly { key: keyof Figures; label: string }[] = [
  { key: 'l1HitRatio', label: 'L1 hit ratio' },
  { key: 'coalescedRatio', label: 'coalesced ratio' },
  { key: 'redisReadsPerSecond', label: 'Redis reads/s (MGET)' },
  { key: 'redisWriteBacksPerSecond', label: 'Redis write-backs/s (SET NX EX C)' },
  { key: 'redisMarkerClaimsPerSecond', label: 'Redis marker claims/s (SET NX EX T)' },
  { key: 'redisWritesPerSecond', label: 'Redis writes/s (total)' },
  { key: 'lostMarkerClaimsPerSecond', label: '  of which lost claims/s' },
  { key: 'rejectedWriteBacksPerSecond', label: '  of which refused write-backs/s' },
  { key: 'sqlSelectsPerSecond', label: 'SQL SELECT/s' },
  { key: 'sqlUpdatesPerSecond', label: 'SQL UPDATE/s' },
  { key: 'redisRoundTripsPerRequest', label: 'Redis round trips/request' },
  { key: 'redisWritesPerRequest', label: 'Redis writes/request' },
  { key: 'sqlStatementsPerRequest', label: 'SQL statements/request' },
  { key: 'updateReduction', label: 'UPDATE reduction (×)' },
];

/**
 * How many simulated events each figure rests on (its numerator).
 * @example figureEvents(counts).sqlSelectsPerSecond // counts.sqlSelects
 */
export function figureEvents(c: SimulationCounts): Figures {
  const writes = c.writeBacks + c.markerClaims;
  return {
    l1HitRatio: c.l1Hits,
    coalescedRatio: c.coalesced,
    redisReadsPerSecond: c.redisReads,
    redisWriteBacksPerSecond: c.writeBacks,
    redisMarkerClaimsPerSecond: c.markerClaims,
    redisWritesPerSecond: writes,
    lostMarkerClaimsPerSecond: c.lostMarkerClaims,
    rejectedWriteBacksPerSecond: c.rejectedWriteBacks,
    sqlSelectsPerSecond: c.sqlSelects,
    sqlUpdatesPerSecond: c.sqlUpdates,
    redisRoundTripsPerRequest: c.redisReads + writes,
    redisWritesPerRequest: writes,
    sqlStatementsPerRequest: c.sqlSelects + c.sqlUpdates,
    updateReduction: c.sqlUpdates,
  };
}

/**
 * The figures from raw counts over `seconds`: events per second, or per request.
 * @example figuresFromCounts(counts, 600).sqlUpdatesPerSecond // counts.sqlUpdates / 600
 */
export function figuresFromCounts(c: SimulationCounts, seconds: number): Figures {
  const events = figureEvents(c);
  const out = { ...events };
  for (const { key } of FIGURES) out[key] = events[key] / (key.endsWith('PerSecond') ? seconds : c.requests);
  out.updateReduction = c.requests / c.sqlUpdates;
  return out;
}

/**
 * Multiplies the per-second figures by `factor` (ratios stay as they are).
 * @example scaleFigures(figures, 500).sqlUpdatesPerSecond // 500 × figures.sqlUpdatesPerSecond
 */
export function scaleFigures(figures: Figures, factor: number): Figures {
  const out = { ...figures };
  for (const { key } of FIGURES) if (key.endsWith('PerSecond')) out[key] = figures[key] * factor;
  return out;
}

/** One figure of the model next to the simulation's. */
export interface FigureComparison {
  key: keyof Figures;
  label: string;
  model: number;
  simulation: number;
  /**
   * (model − simulation) / simulation; 0 when both are exactly 0 (a race
   * figure with no round trip), ±Infinity when only the simulation is 0.
   */
  relative: number;
}

/**
 * Compares every figure, in display order.
 * @example compareFigures(estimate(p).figures, simulate(s).figures).find((c) => c.key === 'sqlUpdatesPerSecond')?.relative // ≈ 0.001
 */
export function compareFigures(model: Figures, simulation: Figures): FigureComparison[] {
  return FIGURES.map(({ key, label }) => {
    const m = model[key];
    const s = simulation[key];
    const relative = m === s ? 0 : s === 0 ? Math.sign(m) * Number.POSITIVE_INFINITY : (m - s) / s;
    return { key, label, model: m, simulation: s, relative };
  });
}

/**
 * The largest |relative difference| of a comparison.
 * @example worstRelative(compareFigures(a, a)) // 0
 */
export function worstRelative(comparisons: readonly FigureComparison[]): FigureComparison | undefined {
  let worst: FigureComparison | undefined;
  for (const c of comparisons)
    if (worst === undefined || Math.abs(c.relative) > Math.abs(worst.relative)) worst = c;
  return worst;
}
