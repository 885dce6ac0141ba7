// How a simulated scenario starts: users spread over locations, every cache
// near its steady state, and the full scenario scaled down to fewer users.
import { type CapacityParams, type ResolvedParams, resolveParams } from './model';
import type { Random } from './prng';
import type { SimulationParams } from './simulate';

/**
 * Each user's location, drawn by weight (uniform by default).
 * @example assignLocations(createRandom(1), 2000, 20, undefined)[0] // 0–19
 */
export function assignLocations(
  rand: Random,
  users: number,
  locations: number,
  weights: readonly number[] | undefined,
): Int32Array {
  if (weights !== undefined && (weights.length !== locations || weights.some((w) => !(w >= 0)))) {
    throw new RangeError('locationWeights needs one non-negative weight per location');
  }
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < locations; i++) {
    sum += weights?.[i] ?? 1;
    cumulative.push(sum);
  }
  const location = new Int32Array(users);
  for (let u = 0; u < users; u++) {
    const x = rand() * sum;
    let lo = 0;
    let hi = locations - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) > x) hi = mid;
      else lo = mid + 1;
    }
    location[u] = lo;
  }
  return location;
}

// Starting from an empty cache would count a burst of first claims, and the
// marker's phase mixes slowly (its cycle T + wait varies little), so a
// warm-up alone would not wash it out. Each key starts instead close to its
// steady state: present with probability life / (life + mean wait), the wait
// taken as Poisson (1 / reads-per-second) — only the start depends on it,
// and its error moves a count by far less than one event per user.
/**
 * Expiry and fill times near the steady state.
 * @example initialState(createRandom(1), resolveParams(params), 0.1).sessionExpiry.length // users
 */
export function initialState(rand: Random, p: ResolvedParams, userRate: number) {
  const k = p.isolatesPerLocation;
  const l1 = Math.min(p.l1TtlSeconds, p.cacheTtlSeconds);
  const lambda = userRate / k;
  const period = l1 + p.readRttSeconds;
  const readsPerUser = (k * lambda) / (1 + lambda * period);
  const present = (life: number) => (rand() < life / (life + 1 / readsPerUser) ? rand() * life : -Infinity);
  const sessionExpiry = new Float64Array(p.activeUsers);
  const markerExpiry = new Float64Array(p.activeUsers);
  for (let u = 0; u < p.activeUsers; u++) {
    sessionExpiry[u] = present(p.cacheTtlSeconds + p.readRttSeconds);
    markerExpiry[u] = present(p.touchIntervalSeconds + p.readRttSeconds);
  }
  const l1FilledAt = new Float64Array(p.activeUsers * k);
  const validShare = lambda * l1 * (1 / (1 + lambda * period));
  for (let s = 0; s < l1FilledAt.length; s++) l1FilledAt[s] = rand() < validShare ? -rand() * l1 : -Infinity;
  return { sessionExpiry, markerExpiry, l1FilledAt };
}

/** How to shrink a scenario for simulation. */
export interface ScaleDown {
  users: number;
  locations: number;
  seed: number;
  /** Default: long enough for about `targetRequests` requests. */
  durationSeconds?: number;
  /** Default 10^6. */
  targetRequests?: number;
}

/**
 * The same scenario with fewer users: the same requests per user, isolates
 * per location and TTLs, so every per-user (and per user and isolate)
 * process is the one of the full scenario; totals scale with users.
 * @example scaledScenario(INTERNET_SCALE, { users: 2000, locations: 20, seed: 1 }).requestsPerSecond // 200
 */
export function scaledScenario(params: CapacityParams, scale: ScaleDown): SimulationParams {
  const p = resolveParams(params);
  const requestsPerSecond = (p.requestsPerSecond / p.activeUsers) * scale.users;
  const durationSeconds =
    scale.durationSeconds ?? Math.ceil((scale.targetRequests ?? 1_000_000) / requestsPerSecond);
  return {
    ...p,
    requestsPerSecond,
    activeUsers: scale.users,
    locations: scale.locations,
    seed: scale.seed,
    durationSeconds,
  };
}
