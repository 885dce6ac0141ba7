import { describe, expect, inject, it } from 'vitest';
import { renderDjangoChart } from '../bench/django/chart';
import { formatDjangoReport, formatDjangoSummary, headline } from '../bench/django/report';
import { DJANGO_ARM_LABELS, DJANGO_ARMS, runDjangoBenchmark } from '../bench/django/run';
import { djangoResultsDocument } from '../bench/django/summary';
import { machineFacts } from '../tools/harness/facts';

/**
 * `npm run bench:django` end to end with tiny parameters: real Django 3.2 under gunicorn on its
 * own database behind the delay proxy, once with the seed's update_or_create middleware and once
 * behind edge-auth in workerd (Django-session mode). Structure and counts only, never timings
 * (the machine is shared): every request reaches the view, the seed writes the user row on every
 * request, edge-auth serves the warm burst from its L1 and writes nothing, and the report, the
 * saved summaries and the chart name both arms.
 */
describe('npm run bench:django (smoke)', () => {
  it('1 round of 1 user × 3 and 2 users × 1: both arms answer; the writes are the seed’s alone', async () => {
    const scenarios = [
      { users: 1, concurrency: 3 },
      { users: 2, concurrency: 1 },
    ];
    const result = await runDjangoBenchmark({
      redisUrl: inject('redisUrl'),
      postgresAdminUrl: inject('postgresAdminUrl'),
      edgeAuthScript: inject('workerScript'),
      rounds: 1,
      scenarios,
      delayMs: 1,
      threads: 4,
      // Counts only: no waiting for a quiet machine.
      maxQuietWaitMs: 0,
    });

    expect(result.scenarios).toHaveLength(2);
    for (const scenario of result.scenarios) {
      const n = scenario.users * scenario.concurrency;
      expect(scenario.roundsCompleted).toBe(1);
      for (const arm of DJANGO_ARMS) {
        expect(scenario.rounds[arm], arm).toHaveLength(1);
        for (const round of scenario.rounds[arm]) {
          expect(round.latencies, arm).toHaveLength(n);
          expect(round.errors, arm).toBe(0);
        }
      }
      // The seed: one update_or_create per request, each user's row once per request it sent.
      for (const round of scenario.rounds.seed) {
        expect(round).toMatchObject({ rows: n, maxRowsPerUser: scenario.concurrency, redisRequests: 0 });
      }
      // edge-auth: the page view before the burst loaded each session; the burst is all L1, no write.
      for (const round of scenario.rounds.edge) {
        expect(round).toMatchObject({ rows: 0, redisRequests: 0, sqlRequests: 0, served: { l1: n } });
      }
    }

    const ctx = {
      command: 'test',
      machine: machineFacts(),
      redis: 'test',
      source: { commit: 'test', dirty: [] },
    };
    const doc = djangoResultsDocument(result, ctx);
    expect(doc.scenarios.every((s) => !('rounds' in s))).toBe(true);
    expect(doc.scenarios[0]?.arms.seed).toMatchObject({ rounds: 1, requests: 3, updatesPerBurst: 3 });
    expect(doc.scenarios[0]?.arms.edge).toMatchObject({ rounds: 1, requests: 3, updatesPerBurst: 0 });

    const summary = formatDjangoSummary(doc, ctx);
    expect(summary).toContain(headline(doc)[0]);
    expect(headline(doc)[0]).toMatch(/^slowest of 3 concurrent requests of one user/);
    const report = formatDjangoReport(doc, ctx);
    for (const label of Object.values(DJANGO_ARM_LABELS)) {
      expect(summary).toContain(label);
      expect(report).toContain(`| ${label} `);
    }
    expect(report).toContain('## Writes, connections, locks');

    // One bar (with its tooltip) per shape and arm.
    const svg = renderDjangoChart(doc, ['test']);
    expect(svg.match(/<rect [^>]*><title>/g)).toHaveLength(scenarios.length * DJANGO_ARMS.length);
  }, 90_000);
});
