// What is measured: an arm is a Worker variant, and for edge-auth also the
// state of its caches when a burst arrives. Each arm is one line of every
// table and of the chart (docs/benchmark.md describes each).

/** The Workers, each bundled from its own wrangler config (undefined: edge-auth's wrangler.toml). */
export const VARIANTS = {
  convoy: 'bench/workers/convoy.toml',
  'edge-auth': undefined,
  'jwt-only': 'bench/workers/jwt-only.toml',
  passthrough: 'bench/workers/passthrough.toml',
} as const;
export type Variant = keyof typeof VARIANTS;

/** Every arm, in report order, with its label for tables and the chart legend. */
export const ARM_LABELS = {
  convoy: 'convoy',
  'edge-auth:l1': 'edge-auth L1 hit',
  'edge-auth:redis': 'edge-auth L1 miss',
  'edge-auth:cold': 'edge-auth cold',
  'jwt-only': 'jwt-only',
  passthrough: 'passthrough',
} as const;
export type Arm = keyof typeof ARM_LABELS;
export const ARMS = Object.keys(ARM_LABELS) as Arm[];

/** edge-auth's three cache states. */
export const EDGE_AUTH_ARMS = ['edge-auth:l1', 'edge-auth:redis', 'edge-auth:cold'] as const;

/**
 * The Worker an arm runs on.
 * @example variantOf('edge-auth:l1') // 'edge-auth'
 */
export function variantOf(arm: Arm): Variant {
  return arm.startsWith('edge-auth') ? 'edge-auth' : (arm as Exclude<Arm, `edge-auth:${string}`>);
}

/**
 * The order of the arms in round `round`: rows of a Williams design (a balanced Latin square), so
 * over every six rounds each arm runs first once and right after every other arm exactly once. A
 * plain rotation would always run an arm after the same neighbour (edge-auth after the convoy,
 * whose transactions leave PostgreSQL busy for a moment).
 *
 * @example armOrder(0) // ['convoy', 'edge-auth:l1', 'passthrough', 'edge-auth:redis', 'jwt-only', 'edge-auth:cold']
 */
export function armOrder(round: number): Arm[] {
  const n = ARMS.length;
  // First row 0, 1, n−1, 2, n−2, …; row r adds r (mod n). Balanced for an even n.
  const first = Array.from({ length: n }, (_, j) => (j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2));
  return first.map((k) => ARMS[(k + round) % n] as Arm);
}
