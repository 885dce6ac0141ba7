// The README's chart, written as SVG text from a run's JSON (no dependency):
// p99 latency against N concurrent requests from one user, one line per arm,
// both axes logarithmic (the convoy is two orders of magnitude above the rest).
import { ARM_LABELS, ARMS, type Arm } from './arms';

/** What the chart reads from a results file (one from before an arm existed has no line for it). */
export interface ChartInput {
  scenarios: { users: number; concurrency: number; arms: Partial<Record<Arm, { p99: number }>> }[];
}

const COLORS: Record<Arm, { stroke: string; dash?: string }> = {
  convoy: { stroke: '#c0392b' },
  'edge-auth:l1': { stroke: '#1f5fbf' },
  'edge-auth:django': { stroke: '#2e8b3a', dash: '4 2' },
  'edge-auth:redis': { stroke: '#16a2b8', dash: '7 4' },
  'edge-auth:cold': { stroke: '#7b3fb0', dash: '2 3' },
  'jwt-only': { stroke: '#e08a00' },
  passthrough: { stroke: '#555555', dash: '10 4 2 4' },
};

const W = 760;
const H = 460;
const M = { left: 72, right: 196, top: 70, bottom: 62 };

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const r1 = (n: number) => Math.round(n * 10) / 10;

/** The 1-2-5 value at or below `v` (`down`) or at or above it. */
function step125(v: number, down: boolean): number {
  const e = Math.floor(Math.log10(v));
  const candidates = [-1, 0, 1].flatMap((d) => [1, 2, 5].map((m) => m * 10 ** (e + d)));
  return down
    ? Math.max(...candidates.filter((c) => c <= v * 1.0001))
    : Math.min(...candidates.filter((c) => c >= v / 1.0001));
}

/** 1-2-5 ticks covering [lo, hi]. */
function ticks125(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo / 1.0001 && v <= hi * 1.0001) out.push(v);
    }
  }
  return out;
}

/**
 * Renders the chart for the one-user shapes of a run (`caption`: a line or two under the title,
 * e.g. the file and the command); throws when fewer than two one-user shapes were run.
 * @example writeFileSync('docs/bench-latency.svg', renderLatencyChart(JSON.parse(text), ['bench/results/2026-11-27.json']));
 */
export function renderLatencyChart(input: ChartInput, caption: readonly string[]): string {
  const shapes = input.scenarios.filter((s) => s.users === 1).sort((a, b) => a.concurrency - b.concurrency);
  if (shapes.length < 2) throw new Error('the chart needs at least two one-user shapes (e.g. 1x1 and 1x20)');
  const ns = shapes.map((s) => s.concurrency);
  const arms = ARMS.filter((a) => shapes.every((s) => typeof s.arms[a]?.p99 === 'number'));
  const p99 = (s: (typeof shapes)[number], arm: Arm) => s.arms[arm]?.p99 ?? Number.NaN;
  const values = shapes.flatMap((s) => arms.map((a) => p99(s, a))).filter((v) => v > 0);
  const yLo = step125(Math.min(...values), true);
  const yHi = step125(Math.max(...values), false);
  const xLo = Math.min(...ns);
  const xHi = Math.max(...ns);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  // Log scales, with a little room at both ends of x so end points do not sit on the axes.
  const pad = 0.06 * (Math.log(xHi) - Math.log(xLo) || 1);
  const xAt = (n: number) =>
    M.left + ((Math.log(n) - Math.log(xLo) + pad) / (Math.log(xHi) - Math.log(xLo) + 2 * pad)) * plotW;
  const yAt = (v: number) =>
    M.top + (1 - (Math.log(v) - Math.log(yLo)) / (Math.log(yHi) - Math.log(yLo))) * plotH;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    // The accessible name (and what a screen reader announces), as Biome's a11y rules ask.
    `<title>p99 latency of one user’s burst of N concurrent requests, per variant and cache state; ${esc(caption[0] ?? '')}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="24" font-size="16" font-weight="600">p99 latency of one user’s burst of N concurrent requests</text>`,
    ...caption
      .slice(0, 2)
      .map(
        (line, i) => `<text x="${M.left}" y="${42 + i * 14}" font-size="11" fill="#555">${esc(line)}</text>`,
      ),
  ];
  for (const v of ticks125(yLo, yHi)) {
    const y = r1(yAt(v));
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="${String(v).startsWith('1') ? '#d0d0d0' : '#ececec'}"/>`,
      `<text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${v >= 1 ? v : v.toFixed(1)}</text>`,
    );
  }
  for (const n of ns) {
    const xx = r1(xAt(n));
    out.push(
      `<line x1="${xx}" x2="${xx}" y1="${M.top}" y2="${H - M.bottom}" stroke="#ececec"/>`,
      `<text x="${xx}" y="${H - M.bottom + 18}" text-anchor="middle">${n}</text>`,
    );
  }
  out.push(
    `<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`,
    `<text x="${M.left + plotW / 2}" y="${H - 18}" text-anchor="middle">N = concurrent requests from one user (log scale)</text>`,
    `<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">p99 latency, ms (log scale)</text>`,
  );
  for (const arm of arms) {
    const { stroke, dash } = COLORS[arm];
    const points = shapes.filter((s) => p99(s, arm) > 0).map((s) => ({ n: s.concurrency, v: p99(s, arm) }));
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r1(xAt(p.n))},${r1(yAt(p.v))}`).join(' ');
    out.push(
      `<path d="${d}" fill="none" stroke="${stroke}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      ...points.map(
        (p) =>
          `<circle cx="${r1(xAt(p.n))}" cy="${r1(yAt(p.v))}" r="3.5" fill="${stroke}"><title>${esc(ARM_LABELS[arm])}, N = ${p.n}: p99 ${p.v.toFixed(1)} ms</title></circle>`,
      ),
    );
  }
  // Legend, in report order, with each arm's p99 at the largest N for reading without hovering.
  const last = shapes[shapes.length - 1] as ChartInput['scenarios'][number];
  arms.forEach((arm, i) => {
    const y = M.top + 14 + i * 40;
    const lx = W - M.right + 16;
    const { stroke, dash } = COLORS[arm];
    out.push(
      `<line x1="${lx}" x2="${lx + 28}" y1="${y}" y2="${y}" stroke="${stroke}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<circle cx="${lx + 14}" cy="${y}" r="3.5" fill="${stroke}"/>`,
      `<text x="${lx + 36}" y="${y + 4}">${esc(ARM_LABELS[arm])}</text>`,
      `<text x="${lx + 36}" y="${y + 19}" fill="#555">${p99(last, arm).toFixed(1)} ms at N = ${last.concurrency}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
