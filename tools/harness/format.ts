// Small pieces every report shares: percentiles, counters, numbers and
// markdown tables that read as plain text, and how edge-auth served an answer.

/**
 * Nearest-rank percentile of an ascending array (NaN when empty).
 * @example percentile([1, 2, 3, 4], 50) // 2
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * The value at `q` of an ascending array, the upper one of two middles (NaN when empty).
 * @example quantile([1, 2, 3, 4], 0.5) // 3
 */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

/**
 * Sums named counters.
 * @example addCounts([{ MGET: 1 }, { MGET: 1, SET: 2 }]) // { MGET: 2, SET: 2 }
 */
export function addCounts(all: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const counts of all) for (const [k, n] of Object.entries(counts)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/**
 * How edge-auth served an answer, from its `Server-Timing` (`cache;dur=0.1;desc="l1"` → 'l1');
 * undefined when it has no cache stage (the other Workers).
 * @example servedLabel('app;dur=1, cache;dur=0.1;desc="l1"') // 'l1'
 */
export function servedLabel(serverTiming: string | null): string | undefined {
  return /(?:^|,)\s*cache;[^,]*?desc="([^"]*)"/.exec(serverTiming ?? '')?.[1];
}

/**
 * A number for a table: thousands separators from 1,000 up, else 4 significant digits; '–' for NaN.
 * @example formatNumber(95238.1) // '95,238'
 */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? '–' : n > 0 ? '∞' : '−∞';
  if (n === 0) return '0';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return Number(n.toPrecision(4)).toLocaleString('en-US', { maximumSignificantDigits: 4 });
}

/**
 * A relative difference in percent with sign, two decimals.
 * @example formatPercent(-0.0123) // '−1.23 %'
 */
export function formatPercent(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? '+∞' : '−∞';
  const s = (Math.abs(x) * 100).toFixed(2);
  return `${x < 0 && s !== '0.00' ? '−' : '+'}${s} %`;
}

/**
 * `n` with `digits` decimals, '–' when not a number.
 * @example fixed(12.345, 1) // '12.3'
 */
export const fixed = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/**
 * A ratio: `×1.37`, '–' when not a number.
 * @example times(1.3667) // '×1.37'
 */
export const times = (n: number, digits = 2): string => (Number.isFinite(n) ? `×${n.toFixed(digits)}` : '–');

/**
 * A difference with its sign.
 * @example signed(0.0312, 3) // '+0.031'
 */
export const signed = (n: number, digits = 3): string =>
  Number.isFinite(n) ? `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(digits)}` : '–';

/**
 * An added cost with its sign. A measured cost below zero is noise (a difference of two noisy
 * figures), and says so rather than passing for a saving.
 * @example addedCost(0.0312, 3) // '+0.031'; addedCost(-0.004, 3) // '−0.004 (noise: no measurable cost)'
 */
export const addedCost = (n: number, digits = 3): string =>
  `${signed(n, digits)}${n < 0 ? ' (noise: no measurable cost)' : ''}`;

/**
 * A markdown table with padded columns, so it also reads as plain text: the first `textColumns`
 * columns left-aligned, the rest (numbers) right-aligned.
 * @example table(['figure', 'k = 1'], [['SQL UPDATE/s', '3,224']]).join('\n')
 */
export function table(header: string[], rows: string[][], textColumns = 1): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < textColumns ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  const rule = widths.map((w, i) => (i < textColumns ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`));
  return [line(header), `|${rule.join('|')}|`, ...rows.map(line)];
}
