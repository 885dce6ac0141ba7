// Formula against simulation, figure by figure; shared by the CLI and the test.

import { FIGURES, type Figures } from './model';

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
