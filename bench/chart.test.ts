import { describe, expect, it } from 'vitest';
import { ARM_LABELS, ARMS, type Arm } from './arms';
import { type ChartInput, renderLatencyChart } from './chart';

const shape = (users: number, concurrency: number, p99: (arm: Arm) => number) => ({
  users,
  concurrency,
  arms: Object.fromEntries(ARMS.map((a) => [a, { p99: p99(a) }])) as Record<Arm, { p99: number }>,
});

const input: ChartInput = {
  scenarios: [
    ...[1, 5, 20, 50].map((n) => shape(1, n, (a) => (a === 'convoy' ? 25 * n : 3 + n / 2))),
    shape(20, 1, () => 999), // distinct users: not on this chart
  ],
};

describe('renderLatencyChart', () => {
  const svg = renderLatencyChart(input, ['bench/results/x.json', 'npm run bench & more']);

  it('draws one line with a point per one-user N for every arm, and a legend entry each', () => {
    expect(svg.match(/<path /g)).toHaveLength(ARMS.length);
    for (const arm of ARMS) expect(svg).toContain(`>${ARM_LABELS[arm]}</text>`);
    expect(svg.match(/<circle [^>]*><title>/g)).toHaveLength(ARMS.length * 4);
    expect(svg).not.toContain('999');
  });

  it('labels both axes (log scales), the N ticks and 1-2-5 latency ticks, and escapes the caption', () => {
    expect(svg).toContain('N = concurrent requests from one user (log scale)');
    expect(svg).toContain('p99 latency, ms (log scale)');
    for (const tick of ['>1<', '>5<', '>20<', '>50<', '>1000<', '>2000<']) expect(svg).toContain(tick);
    expect(svg).toContain('npm run bench &amp; more');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  });

  it('refuses a run with fewer than two one-user shapes', () => {
    expect(() => renderLatencyChart({ scenarios: [shape(1, 20, () => 5)] }, [])).toThrow(/two one-user/);
  });
});
