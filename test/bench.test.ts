import { describe, expect, inject, it } from 'vitest';
import { VARIANTS } from '../bench/build';
import { formatReport, machineFacts } from '../bench/report';
import { runBenchmark } from '../bench/run';

/**
 * The benchmark end to end with tiny parameters: it runs, reports every
 * variant, and shows the story's invariant. Structure and counts only, never
 * timings (the machine is shared).
 */
describe('npm run bench (smoke)', () => {
  it('2 rounds of 1 user × 20: convoy writes 20 rows per round, edge-auth at most 1, passthrough none', async () => {
    const result = await runBenchmark({
      redisUrl: inject('redisUrl'),
      postgresAdminUrl: inject('postgresAdminUrl'),
      edgeAuthScript: inject('workerScript'),
      rounds: 2,
      scenarios: [{ users: 1, concurrency: 20 }],
    });

    expect(result.scenarios).toHaveLength(1);
    const [scenario] = result.scenarios;
    expect(scenario).toMatchObject({ users: 1, concurrency: 20, roundsPlanned: 2, roundsCompleted: 2 });
    for (const variant of VARIANTS) {
      const summary = scenario!.variants[variant];
      expect(summary).toMatchObject({ rounds: 2, requests: 40, errors: 0 });
      expect(summary.p50).toBeGreaterThan(0);
      expect(summary.p95).toBeGreaterThanOrEqual(summary.p50);
      expect(summary.max).toBeGreaterThanOrEqual(summary.p95);
      for (const round of scenario!.rounds[variant]) expect(round.latencies).toHaveLength(20);
    }

    // The story: every request takes the row lock and writes.
    for (const round of scenario!.rounds.convoy) {
      expect(round).toMatchObject({ updates: 20, rows: 20, maxRowsPerUser: 20, sqlRequests: 20 });
      expect(round.writeSpacingMs).toEqual(expect.any(Number));
    }
    // edge-auth: at most one Redis round trip per request on a warm cache (none when the isolate's
    // own cache answers); at most one write per user per round.
    for (const round of scenario!.rounds['edge-auth']) {
      expect(round.redisRequests).toBeLessThanOrEqual(20);
      expect(round.updates).toBeLessThanOrEqual(1);
      expect(round.maxRowsPerUser).toBeLessThanOrEqual(1);
      expect(round.writeSpacingMs).toBeNull();
    }
    for (const round of scenario!.rounds.passthrough) {
      expect(round).toMatchObject({
        updates: 0,
        rows: 0,
        sqlRequests: 0,
        redisRequests: 0,
        writeSpacingMs: null,
      });
    }

    const report = formatReport(result, { command: 'test', machine: machineFacts(), redis: 'test' });
    for (const variant of VARIANTS) expect(report).toMatch(new RegExp(`^\\| ${variant} +\\|`, 'm'));
    expect(report).toContain('convoy / edge-auth: p50 ×');
    expect(report).toContain('edge-auth / passthrough: p50 ×');
    expect(report).toContain('pg_sleep(0.02)');
  });
});
