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
  'edge-auth:django': 'edge-auth Django L1 hit',
  'edge-auth:redis': 'edge-auth L1 miss',
  'edge-auth:cold': 'edge-auth cold',
  'jwt-only': 'jwt-only',
  passthrough: 'passthrough',
} as const;
export type Arm = keyof typeof ARM_LABELS;
export const ARMS = Object.keys(ARM_LABELS) as Arm[];

/** edge-auth's three cache states with its own JWT sessions (the `users` table, the write log). */
export const EDGE_AUTH_ARMS = ['edge-auth:l1', 'edge-auth:redis', 'edge-auth:cold'] as const;

/**
 * edge-auth in Django session mode (`SESSION_MODE=django`: Django's `sessionid` cookie, `auth_user`
 * and `django_session`), warm: the same bundle and L1 as the JWT L1-hit arm, beside it.
 */
export const DJANGO_ARM = 'edge-auth:django' satisfies Arm;

/**
 * The Worker an arm runs on.
 * @example variantOf('edge-auth:l1') // 'edge-auth'
 */
export function variantOf(arm: Arm): Variant {
  return arm.startsWith('edge-auth') ? 'edge-auth' : (arm as Exclude<Arm, `edge-auth:${string}`>);
}

/** Rounds of one full Williams design of the arms (armOrder): n for an even n, 2n for an odd one. */
export const DESIGN_ROUNDS = ARMS.length % 2 === 0 ? ARMS.length : 2 * ARMS.length;

/**
 * The order of the arms in round `round`: rows of a Williams design (balanced Latin squares), so
 * over every DESIGN_ROUNDS rounds (14 for seven arms) each arm runs first equally often and right
 * after every other arm equally often. A plain rotation would always run an arm after the same
 * neighbour (edge-auth after the convoy, whose transactions leave PostgreSQL busy for a moment).
 *
 * @example armOrder(0) // ['convoy', 'edge-auth:l1', 'passthrough', 'edge-auth:django', 'jwt-only', 'edge-auth:redis', 'edge-auth:cold']
 */
export function armOrder(round: number): Arm[] {
  const n = ARMS.length;
  // First row 0, 1, n−1, 2, n−2, …; row r adds r (mod n). That square balances an even n; an odd
  // n needs it and its mirror image (every row reversed), taken in turn square by square.
  const first = Array.from({ length: n }, (_, j) => (j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2));
  const row = first.map((k) => ARMS[(k + round) % n] as Arm);
  return n % 2 === 1 && Math.floor(round / n) % 2 === 1 ? row.reverse() : row;
}
