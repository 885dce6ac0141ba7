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

import { type Figures, figuresFromCounts } from './figures';
import { type CapacityParams, type ResolvedParams, resolveParams } from './model';
import { createRandom, exponential } from './prng';
import { assignLocations, initialState } from './scenario';

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
  // Reads in flight, in issue order (d is constant, so they also complete in that order).
  const pending: [time: number, user: number, slot: number, sessionHit: boolean, markerSet: boolean][] = [];
  let next = 0;
  const completeDue = (by: number, inclusive: boolean) => {
    for (
      let head = pending[next];
      head && (head[0] < by || (inclusive && head[0] === by));
      head = pending[next]
    ) {
      next++;
      complete(...head);
    }
    // Completed reads are dropped now and then, so the array does not grow with the run.
    if (next > 4096 && next * 2 > pending.length) {
      pending.splice(0, next);
      next = 0;
    }
  };

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
    // Answers due by now are applied first.
    completeDue(now, true);
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
      pending.push([now + rtt, user, slot, sessionHit, markerSet]);
    }
  }
  completeDue(end, false);

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
