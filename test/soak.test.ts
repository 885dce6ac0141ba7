import { inject, it } from 'vitest';
import { evaluate } from '../tools/soak/checks';
import { runSoak } from '../tools/soak/run';

/**
 * The soak (`npm run soak`), small enough for CI: 5,000 requests from 50 users
 * at concurrency 32 over two workerd isolates (one with an L1 bound of 20) and
 * the control, with a 1 s touch interval and a 1 s L1. The run lasts as long
 * as the requests take (paced over the users' windows, never a sleep for a
 * state); every check is a count or an ordering (tools/soak/checks.ts).
 */
it('soak: every last_login write due and none extra, Redis writes explained, no lock waits, memory flat, no secret in logs', async ({
  expect,
}) => {
  const observed = await runSoak({
    redisUrl: inject('redisUrl'),
    postgresAdminUrl: inject('postgresAdminUrl'),
    workerScript: inject('workerScript'),
    requests: 5000,
    users: 50,
    concurrency: 32,
    isolates: 2,
    boundedL1Entries: 20,
    touchIntervalSeconds: 1,
    sessionCacheTtlSeconds: 5,
    l1TtlSeconds: 1,
    warmupRequests: 100,
    // At most 25 requests per user and window: on any machine the run spans ≥ 4 periods,
    // so every user (the last one starts a period late) is active in ≥ 3 windows.
    minWindows: 4,
    // Stops sending, failing the "requests" check, rather than the test timing out.
    timeLimitSeconds: 40,
  });
  const report = evaluate(observed);
  const f = report.figures;
  // One line of figures in the CI log (no timing is asserted).
  console.info(
    `[soak] ${f.requests} requests in ${(f.durationMs / 1000).toFixed(1)} s (${f.requestsPerSecond.toFixed(0)}/s), ` +
      `p50/p95/p99 ${f.latencyMs.p50.toFixed(0)}/${f.latencyMs.p95.toFixed(0)}/${f.latencyMs.p99.toFixed(0)} ms, ` +
      `windows/user ${f.windowsPerUser.min}–${f.windowsPerUser.max}, UPDATE rows ${f.writes.rows}/${f.writes.expectedRows}, ` +
      `refused ${f.writes.refusedByWhere}, Redis ${JSON.stringify(f.redis.commands)}, lock samples ${f.locks.samples}, ` +
      `RSS ${f.memory.map((m) => `${m.rss.start.toFixed(0)}→${m.rss.end.toFixed(0)}`).join(' ')} MiB`,
  );

  // Every check ran, and each one held (the detail says what was seen if not).
  expect(report.checks.map((c) => c.name)).toEqual([
    'requests',
    'errors',
    'writes ≥ T apart',
    'write due ≤ T + L + 1 s',
    'UPDATE rows = active windows',
    'last_login only forward',
    'Redis writes explained',
    'request lines = requests',
    'no secret in logs',
    'no row-lock waits',
    'isolate RSS bounded',
    'Worker heap bounded',
    'L1 bound holds',
  ]);
  expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);

  // The same figures, asserted directly.
  expect(f.requests).toBe(5000);
  expect(f.errors).toBe(0);
  expect(f.windowsPerUser.min).toBeGreaterThanOrEqual(3); // several intervals per user
  expect(f.writes.rows).toBe(f.writes.expectedRows);
  expect(f.writes).toMatchObject({
    missed: [],
    extra: [],
    stray: 0,
    unspaced: 0,
    unchained: 0,
    overBound: [],
  });
  expect(f.writes.refusedByWhere).toBe(f.writes.updateStatements - f.writes.rows);
  expect(observed.writes.every((w) => w.forward)).toBe(true);
  expect(Object.keys(f.redis.commands).sort()).toEqual(['MGET', 'SET']);
  expect(f.redis.commands.SET).toBe(f.redis.claims + f.redis.writeBacks);
  expect(f.locks.samples).toBeGreaterThan(0);
  expect(f.locks.notGranted + f.locks.lockWaits).toBe(0);
  expect(f.logs.leaks).toEqual([]);
  expect(f.logs.requestLines).toBe(f.logs.requestsSent);
}, 60_000);
