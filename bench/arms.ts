// What is measured: an arm is a Worker variant, and for edge-auth also the
// state of its caches when a burst arrives. Each arm is one line of every
// table and of the chart.
import type { Variant } from './build';

/** The cache states edge-auth is measured in. */
export const CACHE_STATES = ['l1', 'redis', 'cold'] as const;
export type CacheState = (typeof CACHE_STATES)[number];

/** Every arm, in report order. */
export const ARMS = [
  'convoy',
  'edge-auth:l1',
  'edge-auth:redis',
  'edge-auth:cold',
  'jwt-only',
  'passthrough',
] as const;
export type Arm = (typeof ARMS)[number];

/** Short names for tables and the chart legend. */
export const ARM_LABELS: Record<Arm, string> = {
  convoy: 'convoy',
  'edge-auth:l1': 'edge-auth L1 hit',
  'edge-auth:redis': 'edge-auth L1 miss',
  'edge-auth:cold': 'edge-auth cold',
  'jwt-only': 'jwt-only',
  passthrough: 'passthrough',
};

/** How each arm's bursts are prepared, for the report header. */
export const ARM_DESCRIPTIONS: Record<Arm, string> = {
  convoy: 'the Django middleware: JWT, then SELECT … FOR UPDATE; pg_sleep (the work under the lock); UPDATE',
  'edge-auth:l1':
    'warm isolate: a new session per user per round, one unmeasured request each loads it into L1 (and Redis), background work settles, then the burst (all within the 2 s L1 TTL)',
  'edge-auth:redis':
    'L1 miss, Redis hit: new users with a new session each round, loaded into Redis by another edge-auth isolate (the primer, which also claims their touch); the measured isolate has never seen them',
  'edge-auth:cold':
    'cold: new users with new sessions each round: L1, Redis entry and touch marker all empty (first request after login)',
  'jwt-only': "edge-auth's token extraction and jose verification, then the same forward(); no session",
  passthrough: 'no auth: the same forward() only',
};

/**
 * The Worker an arm runs on.
 * @example variantOf('edge-auth:l1') // 'edge-auth'
 */
export function variantOf(arm: Arm): Variant {
  return arm.startsWith('edge-auth') ? 'edge-auth' : (arm as Exclude<Arm, `edge-auth:${string}`>);
}

/**
 * The order of the arms in round `round`: rows of a Williams design (a balanced Latin square), so
 * over every `ARMS.length` rounds each arm runs first once and right after every other arm exactly
 * once. A plain rotation would always run an arm after the same neighbour (edge-auth after the
 * convoy, whose transactions leave PostgreSQL busy for a moment).
 *
 * @example armOrder(0) // ['convoy', 'edge-auth:l1', 'passthrough', 'edge-auth:redis', 'jwt-only', 'edge-auth:cold']
 */
export function armOrder(round: number): Arm[] {
  const n = ARMS.length;
  // First row 0, 1, n−1, 2, n−2, …; row r adds r (mod n). Balanced for an even n.
  const first = Array.from({ length: n }, (_, j) => (j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2));
  return first.map((k) => ARMS[(k + round) % n] as Arm);
}
