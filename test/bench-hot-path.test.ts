import { describe, expect, it } from 'vitest';
import { formatHotPath, measureHotPath } from '../bench/hot-path/measure';

/**
 * `npm run bench:hot-path` end to end with tiny parameters: the Worker is
 * bundled, both loops answer 200 for every request, edge-auth's from L1
 * (measureHotPath throws otherwise), and the report names both variants.
 * Never a timing assertion: the machine is shared.
 */
describe('npm run bench:hot-path (smoke)', () => {
  it('2 rounds of 300 requests per variant: every request 200, edge-auth served from L1', async () => {
    const options = { n: 300, rounds: 2 };
    const result = await measureHotPath(options);
    expect(result['edge-auth']).toHaveLength(2);
    expect(result.forward).toHaveLength(2);
    for (const figure of [...result['edge-auth'], ...result.forward])
      expect(figure).toBeGreaterThanOrEqual(0);

    const report = formatHotPath(result, options);
    expect(report).toContain('forward() alone');
    expect(report).toContain('edge-auth app, L1 hit');
    expect(report).toContain('2 rounds × 300 requests');
  }, 60_000);
});
