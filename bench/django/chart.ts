// The Django benchmark's chart (docs/bench-django.svg), SVG text from a saved
// run: per load shape, the slowest request of a burst (median over bursts)
// for both arms as bars, p50 as a mark on each, the ratio above the pair.

import { DJANGO_ARM_LABELS, DJANGO_ARMS, type DjangoArm } from './run';
import type { DjangoSummaries } from './summary';

const COLORS: Record<DjangoArm, string> = { seed: '#c0392b', edge: '#1f5fbf' };
const W = 760;
const H = 420;
const M = { left: 64, right: 24, top: 92, bottom: 70 };

const esc = (s: string) => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const r1 = (n: number) => Math.round(n * 10) / 10;

/** A round axis top: 1, 2 or 5 × 10^k at or above `v`, and its tick step. */
function axis(v: number): { top: number; step: number } {
  const e = 10 ** Math.floor(Math.log10(v));
  const top = ([1, 2, 5, 10].find((m) => m * e >= v) ?? 10) * e;
  return { top, step: top / 5 };
}

/**
 * Renders the chart; `caption` is a line or two under the title (the file, the command).
 * @example writeFileSync('docs/bench-django.svg', renderDjangoChart(summaries, ['bench/results/django-2026-12-07.json']));
 */
export function renderDjangoChart(
  input: Pick<DjangoSummaries, 'scenarios'>,
  caption: readonly string[],
): string {
  const shapes = input.scenarios;
  if (shapes.length === 0) throw new Error('the chart needs at least one shape');
  const { top, step } = axis(
    Math.max(...shapes.flatMap((s) => DJANGO_ARMS.map((a) => s.arms[a].slowest.median))),
  );
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const yAt = (v: number) => M.top + plotH - (v / top) * plotH;
  const group = plotW / shapes.length;
  const bar = Math.min(48, group / 3);
  const title =
    'Slowest request of a burst (median over bursts), Django behind edge-auth or with update_or_create';
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${esc(title)}; ${esc(caption[0] ?? '')}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="24" font-size="16" font-weight="600">Slowest request of a burst: Django with update_or_create vs behind edge-auth</text>`,
    ...caption
      .slice(0, 2)
      .map(
        (line, i) => `<text x="${M.left}" y="${42 + i * 14}" font-size="11" fill="#555">${esc(line)}</text>`,
      ),
  ];
  DJANGO_ARMS.forEach((arm, i) => {
    const x = M.left + i * 250;
    out.push(
      `<rect x="${x}" y="66" width="14" height="10" fill="${COLORS[arm]}"/>`,
      `<text x="${x + 20}" y="75">${esc(DJANGO_ARM_LABELS[arm])}</text>`,
    );
  });
  out.push(`<text x="${M.left + 420}" y="75" fill="#555">bar: slowest (median); white mark: p50</text>`);
  for (let v = 0; v <= top + 1e-9; v += step) {
    const y = r1(yAt(v));
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="${v === 0 ? '#888' : '#ececec'}"/>`,
      `<text x="${M.left - 8}" y="${y + 4}" text-anchor="end">${formatTick(v)}</text>`,
    );
  }
  out.push(
    `<text transform="translate(18 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle">ms</text>`,
    `<text x="${M.left + plotW / 2}" y="${H - 16}" text-anchor="middle">load shape: users × concurrent requests each</text>`,
  );
  shapes.forEach((s, g) => {
    const center = M.left + group * (g + 0.5);
    const label = `${s.users} user${s.users === 1 ? '' : 's'} × ${s.concurrency}`;
    out.push(`<text x="${r1(center)}" y="${H - M.bottom + 18}" text-anchor="middle">${label}</text>`);
    DJANGO_ARMS.forEach((arm, i) => {
      const a = s.arms[arm];
      const x = r1(center + (i - 1) * bar - 2 + i * 4);
      const y = r1(yAt(a.slowest.median));
      const p50 = r1(yAt(a.p50));
      out.push(
        `<rect x="${x}" y="${y}" width="${r1(bar)}" height="${r1(M.top + plotH - y)}" fill="${COLORS[arm]}"><title>${esc(DJANGO_ARM_LABELS[arm])}, ${label}: slowest ${a.slowest.median.toFixed(1)} ms (median of ${a.rounds} bursts), p50 ${a.p50.toFixed(1)} ms</title></rect>`,
        `<line x1="${x}" x2="${r1(x + bar)}" y1="${p50}" y2="${p50}" stroke="#ffffff" stroke-width="2"/>`,
        `<text x="${r1(x + bar / 2)}" y="${y - 4}" text-anchor="middle" font-size="11">${a.slowest.median.toFixed(0)}</text>`,
      );
    });
    const ratio = s.arms.seed.slowest.median / s.arms.edge.slowest.median;
    const highest = Math.min(...DJANGO_ARMS.map((arm) => yAt(s.arms[arm].slowest.median)));
    out.push(
      `<text x="${r1(center)}" y="${r1(highest - 18)}" text-anchor="middle" font-weight="600">×${ratio.toFixed(1)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function formatTick(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}
