import { describe, expect, it } from 'vitest';
import { formatHotPath, measureHotPath } from '../bench/hot-path/measure';
import { HOT_PATH_VARIANTS } from '../bench/workers/hot-path-fixture';

/**
 * `npm run bench:hot-path` end to end with tiny parameters: the Worker is
 * bundled, every loop answers 200 for every request, edge-auth's from L1, the
 * origin sees a new assertion on every request of the signing loop and one
 * only in the cached loop (measureHotPath throws otherwise), and the report
 * names every variant. Never a timing assertion: the machine is shared.
 */
describe('npm run bench:hot-path (smoke)', () => {
  it('2 rounds of 300 requests per variant: every request 200 from L1, assertions signed or cached', async () => {
    const options = { n: 300, rounds: 2 };
    const result = await measureHotPath(options);
    expect(Object.keys(result).sort()).toEqual([...HOT_PATH_VARIANTS].sort());
    for (const variant of HOT_PATH_VARIANTS) {
      expect(result[variant], variant).toHaveLength(2);
      for (const figure of result[variant]) expect(figure, variant).toBeGreaterThanOrEqual(0);
    }

    const report = formatHotPath(result, options);
    for (const line of [
      'forward() alone',
      'edge-auth app, L1 hit',
      'new URL each time: signs',
      'the same URL: cached',
      'signing adds (paired)',
      '2 rounds × 300 requests',
    ])
      expect(report).toContain(line);
  }, 60_000);
});
