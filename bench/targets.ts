// The benchmark's targets, judged from a run's summaries: what was measured,
// against what bound, pass or fail. Nothing here is loosened to make a run
// pass: a missing shape is "not run", never a pass.
import { fixed, formatNumber, times } from '../tools/harness/format';
import { ARM_LABELS, type Arm, DJANGO_ARM, EDGE_AUTH_ARMS } from './arms';
import type { BenchResult, ScenarioResult } from './run';

/** One judged target. */
export interface TargetResult {
  id: string;
  /** What is required, and what was measured, in words. */
  target: string;
  measured: string;
  /** null: the shape it needs was not run. */
  pass: boolean | null;
}

/** What targets are judged from: the summaries (saved in the results JSON too). */
export type Judged = Pick<BenchResult, 'touches'> & { scenarios: Shape[] };
type Shape = Omit<ScenarioResult, 'rounds'>;

/**
 * Finds a shape's result.
 * @example shapeOf(result, 1, 20)?.arms.passthrough.p99
 */
export function shapeOf<S extends { users: number; concurrency: number }>(
  result: { scenarios: S[] },
  users: number,
  concurrency: number,
): S | undefined {
  return result.scenarios.find((s) => s.users === users && s.concurrency === concurrency);
}

/**
 * `1 user × 20` or `20 users × 1`.
 * @example shapeName({ users: 1, concurrency: 20 }) // '1 user × 20'
 */
export function shapeName(s: { users: number; concurrency: number }): string {
  return `${s.users} user${s.users === 1 ? '' : 's'} × ${s.concurrency}`;
}

const notRun = (id: string, target: string): TargetResult => ({
  id,
  target,
  measured: 'not run',
  pass: null,
});

/**
 * Judges every target on a run.
 * @example judgeTargets(result).every((t) => t.pass !== false) // true when none failed
 */
export function judgeTargets(result: Judged): TargetResult[] {
  // The N of one-user bursts that also ran as N users × 1, largest first.
  const paired = result.scenarios
    .filter((s) => s.users === 1 && s.concurrency > 1 && shapeOf(result, s.concurrency, 1))
    .map((s) => s.concurrency)
    .sort((a, b) => b - a);
  const largest = paired[0];
  // Warm throughput, pooled (requests ÷ summed burst walls) and paired by round (passthrough's wall
  // ÷ edge-auth's, median), so that one slow burst of either arm cannot decide it.
  const throughput = (
    largest === undefined ? [] : [shapeOf(result, 1, largest), shapeOf(result, largest, 1)]
  ).map((sc) => {
    const { arms, ...s } = sc as Shape;
    const ea = arms['edge-auth:l1'];
    const ratio = ea.requestsPerSecond / arms.passthrough.requestsPerSecond;
    const byRound = 1 / ea.pairedWall.median;
    return {
      id: `throughput ${s.users}x${s.concurrency}`,
      target: `warm (L1 hit) throughput ≥ 0.9 × passthrough, ${shapeName(s)}`,
      measured: `${times(ratio)} pooled (${formatNumber(ea.requestsPerSecond)} vs ${formatNumber(arms.passthrough.requestsPerSecond)} req/s), ${times(byRound)} paired by round`,
      pass: ratio >= 0.9 && byRound >= 0.9,
    };
  });
  const burst = shapeOf(result, 1, 20);
  const tailTarget = 'edge-auth (L1 hit) p99 ≤ 1.2 × passthrough p99, 1 user × 20';
  const tail = burst
    ? {
        id: 'p99 1x20',
        target: tailTarget,
        measured: `${times(burst.arms['edge-auth:l1'].p99 / burst.arms.passthrough.p99)} (${fixed(burst.arms['edge-auth:l1'].p99)} vs ${fixed(burst.arms.passthrough.p99)} ms)`,
        pass: burst.arms['edge-auth:l1'].p99 / burst.arms.passthrough.p99 <= 1.2,
      }
    : notRun('p99 1x20', tailTarget);
  // No per-user serialisation: one user's burst of N is no slower (p95) than N users' requests.
  const same = [20, 50]
    .filter((n) => paired.includes(n))
    .map((n) => {
      const [one, many] = [shapeOf(result, 1, n), shapeOf(result, n, 1)] as Shape[];
      const ratio = (a: Arm) => (one as Shape).arms[a].p95 / (many as Shape).arms[a].p95;
      return {
        id: `same ÷ distinct p95 N=${n}`,
        target: `same-user ÷ distinct-users p95 ≤ 1.2 at N = ${n}, every edge-auth state`,
        measured: `${EDGE_AUTH_ARMS.map((a) => `${ARM_LABELS[a].replace('edge-auth ', '')} ${times(ratio(a))}`).join(', ')} (convoy ${times(ratio('convoy'))})`,
        pass: EDGE_AUTH_ARMS.every((a) => ratio(a) <= 1.2),
      };
    });
  // Issue #16: a warm request in Django session mode costs what a warm JWT request costs.
  const modes = (largest === undefined ? [] : [shapeOf(result, 1, largest), shapeOf(result, largest, 1)]).map(
    (sc) => {
      const s = sc as Shape;
      const { median, q25, q75 } = s.djangoVsJwt;
      return {
        id: `django ÷ jwt ${s.users}x${s.concurrency}`,
        target: `Django-mode warm burst ≤ 1.2 × JWT warm burst (wall, paired by round, median), ${shapeName(s)}`,
        measured: `${times(median)} (quartiles ${times(q25)}–${times(q75)}); p50 ${fixed(s.arms[DJANGO_ARM].p50)} vs ${fixed(s.arms['edge-auth:l1'].p50)} ms`,
        pass: median <= 1.2,
      };
    },
  );
  return [
    ...(throughput.length
      ? throughput
      : [notRun('throughput', 'warm (L1 hit) throughput ≥ 0.9 × passthrough')]),
    ...(modes.length ? modes : [notRun('django ÷ jwt', 'Django-mode warm burst ≤ 1.2 × JWT warm burst')]),
    tail,
    ...(same.length
      ? same
      : [notRun('same ÷ distinct p95', 'same-user ÷ distinct-users p95 ≤ 1.2 at N = 20, 50')]),
    ...counts(result),
  ];
}

function counts(result: Judged): TargetResult[] {
  const of = (arm: (typeof EDGE_AUTH_ARMS)[number] | typeof DJANGO_ARM) =>
    result.scenarios.map((s) => ({ s, a: s.arms[arm] }));
  // Per-burst means × bursts are whole counts again (rounded: they went through a division).
  const total = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0));
  const l1 = of('edge-auth:l1');
  const l1Trips = total(l1.map(({ a }) => a.perBurst.redisRequests.mean * a.rounds));
  const l1Requests = total(l1.map(({ a }) => a.requests));
  const notL1 = total(l1.map(({ a }) => a.requests - (a.served.l1 ?? 0)));

  // L1 miss: one MGET per user of N users × 1, one per burst of one user (its requests share it).
  const miss = of('edge-auth:redis').filter(({ s }) => s.users === 1 || s.concurrency === 1);
  const exact = ({ s, a }: (typeof miss)[number]) => {
    const reads = s.users === 1 ? 1 : s.users;
    const { redisReads, redisRequests } = a.perBurst;
    return (
      redisReads.min === reads &&
      redisReads.max === reads &&
      redisRequests.max === reads &&
      a.redisCommands.MGET === reads * a.rounds
    );
  };
  const describeMiss = miss
    .map(
      ({ s, a }) =>
        `${s.users}x${s.concurrency}: ${formatNumber(a.perBurst.redisReads.mean)} MGET/burst (${a.perBurst.redisReads.min}–${a.perBurst.redisReads.max})`,
    )
    .join('; ');

  const warm = [...l1, ...of('edge-auth:redis')];
  const warmWrites = total(warm.map(({ a }) => a.perBurst.redisWrites.mean * a.rounds));
  const warmUpdates = total(warm.map(({ a }) => a.perBurst.updates.mean * a.rounds));
  const warmRequests = total(warm.map(({ a }) => a.requests));
  const django = of(DJANGO_ARM);
  const djangoTrips = total(
    django.map(({ a }) => (a.perBurst.redisRequests.mean + a.perBurst.sqlRequests.mean) * a.rounds),
  );
  const djangoRequests = total(django.map(({ a }) => a.requests));
  const djangoNotL1 = total(django.map(({ a }) => a.requests - (a.served.l1 ?? 0)));
  const t = result.touches;
  const coldOk = of('edge-auth:cold').every(
    ({ s, a }) => a.perBurst.updates.min === s.users && a.perBurst.updates.max === s.users,
  );
  return [
    {
      id: 'Redis RT, L1 hit',
      target: '0 Redis round trips per request on an L1 hit',
      measured: `${l1Trips} in ${l1Requests} requests; ${notL1} not served from L1`,
      pass: l1Requests > 0 && l1Trips === 0 && notL1 === 0,
    },
    {
      id: 'Django mode, L1 hit',
      target: 'Django mode: 0 Redis and 0 SQL round trips per request on an L1 hit',
      measured: `${djangoTrips} in ${djangoRequests} requests; ${djangoNotL1} not served from L1`,
      pass: djangoRequests > 0 && djangoTrips === 0 && djangoNotL1 === 0,
    },
    {
      id: 'Redis reads, L1 miss',
      target: 'L1 miss: exactly 1 read (MGET) per request, and 1 per one-user burst',
      measured: describeMiss || 'not run',
      pass: miss.length > 0 ? miss.every(exact) : null,
    },
    {
      id: 'Redis writes, warm',
      target: '0 write commands per warm request (L1 hit and L1 miss)',
      measured: `${warmWrites} Redis writes and ${warmUpdates} UPDATEs in ${warmRequests} requests`,
      pass: warmRequests > 0 && warmWrites === 0 && warmUpdates === 0,
    },
    {
      id: 'UPDATE per user per interval',
      target: `exactly one UPDATE per user per ${t.intervalSeconds} s interval`,
      measured:
        `${t.users} users: ${t.minWritesPerUser}–${t.maxWritesPerUser} rows each` +
        `${t.minGapSeconds === null ? '' : `, closest two ${fixed(t.minGapSeconds)} s apart (refused under ${t.refusalSeconds} s)`}; ` +
        `${t.updatesSent} UPDATEs sent, ${t.rowsWritten} rows; ${coldOk ? 'one UPDATE per new user in every cold burst' : 'NOT one UPDATE per new user in every cold burst'}`,
      pass: t.exactlyOnePerInterval && coldOk,
    },
  ];
}
