// Discrete-event simulation of the v2 session core, literal where the model
// is clever: per-isolate L1 entries with fill times, one shared Redis with
// expiry times and SET NX EX semantics, a SELECT on every Redis miss followed
// by a write-back, the touch marker claimed when a read shows it absent.
// Counts only; time is simulated (seeded PRNG, no clock), so a run is
// deterministic and ~10^6 requests take well under a second.
//
// "Maps" are typed arrays indexed by key: a user only ever reaches the k
// isolates of its own location, so isolate j's L1 entry for user u lives at
// slot u·k + j, and Redis' `session:<sid>` / `touch:<uid>` at index u (one
// session per user). A key is present while now < its expiry time.

import { type CapacityParams, type Figures, type ResolvedParams, resolveParams } from './model';
import { createRandom, exponential, type Random } from './prng';

/** The model's parameters plus what only a run needs. */
export interface SimulationParams extends CapacityParams {
  /** PRNG seed; the same seed gives the same counts. */
  seed: number;
  /** Simulated seconds counted after the warm-up. */
  durationSeconds: number;
  /** Simulated seconds run before counting. Default 3·(C + d + L), at least 1. */
  warmupSeconds?: number;
  /** Relative share of users per location (length = locations). Default uniform. */
  locationWeights?: readonly number[];
}

/** Raw event counts of the counted window (events at or after the warm-up). */
export interface SimulationCounts {
  requests: number;
  l1Hits: number;
  coalesced: number;
  redisReads: number;
  sqlSelects: number;
  writeBacks: number;
  /** Write-backs whose NX found the entry already there (another isolate's). */
  rejectedWriteBacks: number;
  markerClaims: number;
  lostMarkerClaims: number;
  sqlUpdates: number;
  /** Pairs of one user's consecutive UPDATEs closer than T (whole run): must be 0. */
  updateIntervalViolations: number;
  /** Smallest gap between two UPDATEs of one user (whole run), Infinity if none. */
  minUpdateGapSeconds: number;
  /** Requests of the busiest isolate. */
  busiestIsolateRequests: number;
}

/** Counts, and the same figures as the model's, per second of the counted window. */
export interface SimulationResult {
  params: ResolvedParams;
  seed: number;
  warmupSeconds: number;
  measuredSeconds: number;
  counts: SimulationCounts;
  figures: Figures;
}

/**
 * Runs the simulation.
 * @example simulate({ requestsPerSecond: 200, activeUsers: 2000, locations: 20, isolatesPerLocation: 4, seed: 1, durationSeconds: 600 }).figures.sqlUpdatesPerSecond // ≈ 6.45
 */
export function simulate(params: SimulationParams): SimulationResult {
  const p = resolveParams(params);
  const users = p.activeUsers;
  if (!Number.isInteger(users)) throw new RangeError('activeUsers must be an integer in a simulation');
  if (!(params.durationSeconds > 0)) throw new RangeError('durationSeconds must be > 0');
  const k = p.isolatesPerLocation;
  const ttl = p.cacheTtlSeconds;
  const interval = p.touchIntervalSeconds;
  const l1 = Math.min(p.l1TtlSeconds, ttl);
  const rtt = p.readRttSeconds;
  const userRate = p.requestsPerSecond / users;
  const warmup = params.warmupSeconds ?? Math.max(1, 3 * (ttl + rtt + l1));
  const end = warmup + params.durationSeconds;
  const rand = createRandom(params.seed);

  const location = assignLocations(rand, users, p.locations, params.locationWeights);
  const state = initialState(rand, p, userRate);
  const { l1FilledAt, sessionExpiry, markerExpiry } = state;
  const l1PendingUntil = new Float64Array(users * k).fill(Number.NEGATIVE_INFINITY);
  const lastUpdate = new Float64Array(users).fill(Number.NEGATIVE_INFINITY);
  const isolateRequests = new Float64Array(p.locations * k);
  const pending = new CompletionQueue();

  const c: SimulationCounts = {
    requests: 0,
    l1Hits: 0,
    coalesced: 0,
    redisReads: 0,
    sqlSelects: 0,
    writeBacks: 0,
    rejectedWriteBacks: 0,
    markerClaims: 0,
    lostMarkerClaims: 0,
    sqlUpdates: 0,
    updateIntervalViolations: 0,
    minUpdateGapSeconds: Number.POSITIVE_INFINITY,
    busiestIsolateRequests: 0,
  };

  // The read's answer arrives: SELECT + write-back on a session miss, claim
  // the marker if the read showed it absent (the session is always live
  // here), then fill the L1. After a claim the marker is set whoever won, so
  // the L1 records "set": the "L1 knows it absent" case never outlives a read.
  const complete = (now: number, user: number, slot: number, sessionHit: boolean, markerSet: boolean) => {
    const counted = now >= warmup;
    if (!sessionHit) {
      if (counted) {
        c.sqlSelects++;
        c.writeBacks++;
      }
      if (now >= (sessionExpiry[user] as number)) sessionExpiry[user] = now + ttl;
      else if (counted) c.rejectedWriteBacks++;
    }
    if (!markerSet) {
      if (counted) c.markerClaims++;
      if (now >= (markerExpiry[user] as number)) {
        markerExpiry[user] = now + interval;
        const gap = now - (lastUpdate[user] as number);
        // A tolerance of 1 ns: times are sums of doubles.
        if (gap < interval - 1e-9) c.updateIntervalViolations++;
        if (gap < c.minUpdateGapSeconds) c.minUpdateGapSeconds = gap;
        lastUpdate[user] = now;
        if (counted) c.sqlUpdates++;
      } else if (counted) c.lostMarkerClaims++;
    }
    l1FilledAt[slot] = now;
  };

  const totalRate = p.requestsPerSecond;
  let now = 0;
  for (;;) {
    now += exponential(rand, totalRate);
    if (now >= end) break;
    // Answers due by now are applied first (d constant ⇒ they complete in issue order).
    while (pending.size > 0 && pending.peekTime() <= now) pending.shift(complete);
    const user = Math.floor(rand() * users);
    const j = Math.floor(rand() * k);
    const slot = user * k + j;
    const counted = now >= warmup;
    if (counted) {
      c.requests++;
      const isolate = (location[user] as number) * k + j;
      isolateRequests[isolate] = (isolateRequests[isolate] as number) + 1;
    }
    if (now < (l1FilledAt[slot] as number) + l1) {
      if (counted) c.l1Hits++;
      continue;
    }
    if (now < (l1PendingUntil[slot] as number)) {
      if (counted) c.coalesced++; // rides on the read in flight for this key
      continue;
    }
    if (counted) c.redisReads++;
    // MGET session:<sid> touch:<uid>, answered from the state at send time.
    const sessionHit = now < (sessionExpiry[user] as number);
    const markerSet = now < (markerExpiry[user] as number);
    if (rtt === 0) complete(now, user, slot, sessionHit, markerSet);
    else {
      l1PendingUntil[slot] = now + rtt;
      pending.push(now + rtt, user, slot, sessionHit, markerSet);
    }
  }
  while (pending.size > 0 && pending.peekTime() < end) pending.shift(complete);

  for (const n of isolateRequests) if (n > c.busiestIsolateRequests) c.busiestIsolateRequests = n;
  const seconds = params.durationSeconds;
  return {
    params: p,
    seed: params.seed,
    warmupSeconds: warmup,
    measuredSeconds: seconds,
    counts: c,
    figures: figuresFromCounts(c, seconds),
  };
}

/**
 * The model's figures from raw counts over `seconds`.
 * @example figuresFromCounts(counts, 600).sqlUpdatesPerSecond // counts.sqlUpdates / 600
 */
export function figuresFromCounts(c: SimulationCounts, seconds: number): Figures {
  const writes = c.writeBacks + c.markerClaims;
  return {
    l1HitRatio: c.l1Hits / c.requests,
    coalescedRatio: c.coalesced / c.requests,
    redisReadsPerSecond: c.redisReads / seconds,
    redisWriteBacksPerSecond: c.writeBacks / seconds,
    redisMarkerClaimsPerSecond: c.markerClaims / seconds,
    redisWritesPerSecond: writes / seconds,
    lostMarkerClaimsPerSecond: c.lostMarkerClaims / seconds,
    rejectedWriteBacksPerSecond: c.rejectedWriteBacks / seconds,
    sqlSelectsPerSecond: c.sqlSelects / seconds,
    sqlUpdatesPerSecond: c.sqlUpdates / seconds,
    redisRoundTripsPerRequest: (c.redisReads + writes) / c.requests,
    redisWritesPerRequest: writes / c.requests,
    sqlStatementsPerRequest: (c.sqlSelects + c.sqlUpdates) / c.requests,
    updateReduction: c.requests / c.sqlUpdates,
  };
}

/**
 * How many simulated events each figure rests on (its numerator), to judge
 * its sampling noise (~1/√n for irregular events).
 * @example figureEvents(counts).sqlSelectsPerSecond // counts.sqlSelects
 */
export function figureEvents(c: SimulationCounts): Figures {
  const writes = c.writeBacks + c.markerClaims;
  return {
    l1HitRatio: c.l1Hits,
    coalescedRatio: c.coalesced,
    redisReadsPerSecond: c.redisReads,
    redisWriteBacksPerSecond: c.writeBacks,
    redisMarkerClaimsPerSecond: c.markerClaims,
    redisWritesPerSecond: writes,
    lostMarkerClaimsPerSecond: c.lostMarkerClaims,
    rejectedWriteBacksPerSecond: c.rejectedWriteBacks,
    sqlSelectsPerSecond: c.sqlSelects,
    sqlUpdatesPerSecond: c.sqlUpdates,
    redisRoundTripsPerRequest: c.redisReads + writes,
    redisWritesPerRequest: writes,
    sqlStatementsPerRequest: c.sqlSelects + c.sqlUpdates,
    updateReduction: c.sqlUpdates,
  };
}

function assignLocations(
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
function initialState(rand: Random, p: ResolvedParams, userRate: number) {
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

/** FIFO of reads in flight, struct-of-arrays so a long run allocates nothing per event. */
class CompletionQueue {
  private time = new Float64Array(1024);
  private user = new Int32Array(1024);
  private slot = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private head = 0;
  size = 0;

  push(time: number, user: number, slot: number, sessionHit: boolean, markerSet: boolean): void {
    if (this.size === this.time.length) this.grow();
    const i = (this.head + this.size) % this.time.length;
    this.time[i] = time;
    this.user[i] = user;
    this.slot[i] = slot;
    this.flags[i] = (sessionHit ? 1 : 0) | (markerSet ? 2 : 0);
    this.size++;
  }

  peekTime(): number {
    return this.time[this.head] as number;
  }

  shift(
    apply: (now: number, user: number, slot: number, sessionHit: boolean, markerSet: boolean) => void,
  ): void {
    const i = this.head;
    const flags = this.flags[i] as number;
    this.head = (this.head + 1) % this.time.length;
    this.size--;
    apply(
      this.time[i] as number,
      this.user[i] as number,
      this.slot[i] as number,
      (flags & 1) !== 0,
      (flags & 2) !== 0,
    );
  }

  private grow(): void {
    const n = this.time.length;
    const time = new Float64Array(n * 2);
    const user = new Int32Array(n * 2);
    const slot = new Int32Array(n * 2);
    const flags = new Uint8Array(n * 2);
    for (let i = 0; i < this.size; i++) {
      const from = (this.head + i) % n;
      time[i] = this.time[from] as number;
      user[i] = this.user[from] as number;
      slot[i] = this.slot[from] as number;
      flags[i] = this.flags[from] as number;
    }
    this.time = time;
    this.user = user;
    this.slot = slot;
    this.flags = flags;
    this.head = 0;
  }
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
