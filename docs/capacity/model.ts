// Capacity model of the v2 session core: expected Redis and SQL traffic from
// the request rate, the number of active users and isolates, and the three
// TTLs. Pure functions; the derivations are in docs/capacity.md and checked
// against the discrete-event simulation in ./simulate by ./capacity.test.
//
// Per user u (rate r = requests/s ÷ users, Poisson), each of the k isolates of
// u's location sees Poisson(λ = r/k). Every formula is per user, times users;
// the number of locations only sets how many users share an isolate.

import type { Figures } from './figures';
import { type ReadRenewal, type RefillCycle, refillCycle } from './renewal';

/** Inputs of the model (and of the simulation, which adds its own knobs). */
export interface CapacityParams {
  /** Requests per second, all users together. */
  requestsPerSecond: number;
  /** Users with at least one request in the period modelled; each has one session. */
  activeUsers: number;
  /** Edge locations; each user is served by one. */
  locations: number;
  /** Isolates per location (k); a request picks one uniformly. */
  isolatesPerLocation: number;
  /** Per-isolate L1 TTL; the effective one is min(this, cacheTtlSeconds). 0 turns L1 off. Default 2. */
  l1TtlSeconds?: number;
  /** SESSION_CACHE_TTL_SECONDS: life of the Redis session entry (C, > 0). Default 10. */
  cacheTtlSeconds?: number;
  /** TOUCH_INTERVAL_SECONDS: life of the touch marker (T). Default 300. */
  touchIntervalSeconds?: number;
  /** Round trip of one Redis read (d); concurrent L1 misses in an isolate share it. Default 0. */
  readRttSeconds?: number;
  /** CPU ms of a request served from L1 (optional; enables the CPU figure). */
  cpuMsL1Hit?: number;
  /** CPU ms of a request that reads Redis (optional; enables the CPU figure). */
  cpuMsL1Miss?: number;
}

/** `CapacityParams` with every default applied and checked. */
export type ResolvedParams = Required<Omit<CapacityParams, 'cpuMsL1Hit' | 'cpuMsL1Miss'>> &
  Pick<CapacityParams, 'cpuMsL1Hit' | 'cpuMsL1Miss'>;

/** The internet-scale scenario of docs/capacity.md. */
export const INTERNET_SCALE: ResolvedParams = {
  requestsPerSecond: 100_000,
  activeUsers: 1_000_000,
  locations: 300,
  isolatesPerLocation: 4,
  l1TtlSeconds: 2,
  cacheTtlSeconds: 10,
  touchIntervalSeconds: 300,
  readRttSeconds: 0,
};

/**
 * Applies the defaults and checks every parameter, naming all problems at once.
 * @example resolveParams({ requestsPerSecond: 10, activeUsers: 5, locations: 1, isolatesPerLocation: 2 }).cacheTtlSeconds // 10
 */
export function resolveParams(p: CapacityParams): ResolvedParams {
  const resolved: ResolvedParams = {
    ...p,
    l1TtlSeconds: p.l1TtlSeconds ?? 2,
    cacheTtlSeconds: p.cacheTtlSeconds ?? 10,
    touchIntervalSeconds: p.touchIntervalSeconds ?? 300,
    readRttSeconds: p.readRttSeconds ?? 0,
  };
  const problems: string[] = [];
  const positive = ['requestsPerSecond', 'activeUsers', 'cacheTtlSeconds', 'touchIntervalSeconds'] as const;
  for (const key of positive) if (!(resolved[key] > 0)) problems.push(`${key} must be > 0`);
  for (const key of ['locations', 'isolatesPerLocation'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) problems.push(`${key} must be an integer ≥ 1`);
  }
  for (const key of ['l1TtlSeconds', 'readRttSeconds', 'cpuMsL1Hit', 'cpuMsL1Miss'] as const) {
    const v = resolved[key];
    if (v !== undefined && !(v >= 0 && Number.isFinite(v))) problems.push(`${key} must be ≥ 0`);
  }
  if (problems.length > 0) throw new RangeError(`invalid capacity parameters: ${problems.join('; ')}`);
  return resolved;
}

/** Per-user quantities every formula starts from. */
interface PerUser {
  /** Requests/s of one user (r). */
  rate: number;
  /** One isolate's read renewal: gaps of d + L + Exp(λ). */
  renewal: ReadRenewal;
  /** Redis reads/s of one user at one isolate: λ / (1 + λ(L + d)). */
  isolateReads: number;
}

function perUser(p: ResolvedParams): PerUser {
  const rate = p.requestsPerSecond / p.activeUsers;
  const lambda = rate / p.isolatesPerLocation;
  const period = Math.min(p.l1TtlSeconds, p.cacheTtlSeconds) + p.readRttSeconds;
  return { rate, renewal: { period, rate: lambda }, isolateReads: lambda / (1 + lambda * period) };
}

/** Refill cycle of a shared key living `life` seconds from its write (C or T). */
function cycleOf(p: ResolvedParams, life: number): RefillCycle & { length: number } {
  const horizon = life + p.readRttSeconds;
  const cycle = refillCycle(perUser(p).renewal, horizon, p.isolatesPerLocation, p.readRttSeconds);
  return { ...cycle, length: horizon + cycle.meanWait };
}

/**
 * Share of requests answered from L1: λL / (1 + λ(L + d)), λ = r/k. Exact
 * under the assumptions (renewal-reward on one isolate's L1 cycle).
 * @example l1HitRatio({ requestsPerSecond: 8, activeUsers: 1, locations: 1, isolatesPerLocation: 4 }) // 0.8
 */
export function l1HitRatio(params: CapacityParams): number {
  const p = resolveParams(params);
  // λL / (1 + λ(L + d)) is L × (one isolate's reads/s): the L1 is valid L
  // seconds after each read, and a request landing then is a hit.
  return Math.min(p.l1TtlSeconds, p.cacheTtlSeconds) * perUser(p).isolateReads;
}

/**
 * Redis reads/s: users · k · λ / (1 + λ(L + d)) = users · r / (1 + r(L + d)/k).
 * Each isolate's L1 is a TTL cache filled on a miss (renewal: fills/s = λ/(1+λL)).
 * @example redisReadsPerSecond({ requestsPerSecond: 8, activeUsers: 1, locations: 1, isolatesPerLocation: 4 }) // 1.6
 */
export function redisReadsPerSecond(params: CapacityParams): number {
  const p = resolveParams(params);
  return p.activeUsers * p.isolatesPerLocation * perUser(p).isolateReads;
}

/**
 * SQL SELECT/s: users · (1 + R_C) / (C + d + W_C). One refill of the Redis
 * entry per cycle (it lives C + d from the read that missed, then W_C until
 * the next read), plus R_C racing reads that missed within that read's round
 * trip (0 when d = 0). W_C and R_C come from renewal.ts. With L = 0 the reads
 * are Poisson and this is r / (1 + rC) per user exactly.
 * @example sqlSelectsPerSecond({ requestsPerSecond: 1, activeUsers: 1, locations: 1, isolatesPerLocation: 1, l1TtlSeconds: 0 }) // 1/11
 */
export function sqlSelectsPerSecond(params: CapacityParams): number {
  const p = resolveParams(params);
  const cycle = cycleOf(p, p.cacheTtlSeconds);
  return (p.activeUsers * (1 + cycle.racers)) / cycle.length;
}

/**
 * SQL UPDATE/s: one per marker life (only the claim that sets it runs the
 * UPDATE): users / (T + d + W_T) ≈ users / T for active users.
 * @example sqlUpdatesPerSecond({ requestsPerSecond: 1000, activeUsers: 300, locations: 1, isolatesPerLocation: 1, l1TtlSeconds: 0 }) // ≈ 300/300.3
 */
export function sqlUpdatesPerSecond(params: CapacityParams): number {
  const p = resolveParams(params);
  return p.activeUsers / cycleOf(p, p.touchIntervalSeconds).length;
}

/**
 * Redis write commands/s: one write-back per SELECT and one marker claim per
 * read that saw the marker absent: users · (1 + R_T) / (T + d + W_T), of
 * which users · R_T / (T + d + W_T) are lost races.
 * @example redisWritesPerSecond({ requestsPerSecond: 1, activeUsers: 1, locations: 1, isolatesPerLocation: 1, l1TtlSeconds: 0 }).writeBacks // 1/11
 */
export function redisWritesPerSecond(params: CapacityParams) {
  const p = resolveParams(params);
  const session = cycleOf(p, p.cacheTtlSeconds);
  const marker = cycleOf(p, p.touchIntervalSeconds);
  const writeBacks = (p.activeUsers * (1 + session.racers)) / session.length;
  const markerClaims = (p.activeUsers * (1 + marker.racers)) / marker.length;
  return {
    writeBacks,
    // Refused by NX: a racing read's, after the first one's landed.
    rejectedWriteBacks: (p.activeUsers * session.racers) / session.length,
    markerClaims,
    lostMarkerClaims: (p.activeUsers * marker.racers) / marker.length,
    total: writeBacks + markerClaims,
  };
}

/**
 * The simpler SELECT formula that treats the Redis reads as Poisson:
 * ρ / (1 + ρ(C + d)) per user, ρ = r/(1 + r(L + d)/k). Exact at L = 0, too low
 * when one user's reads are regular (bursty user, few isolates): kept to show
 * how much the non-Poisson read stream matters.
 * @example poissonSqlSelectsPerSecond({ requestsPerSecond: 1, activeUsers: 1, locations: 1, isolatesPerLocation: 1, l1TtlSeconds: 0 }) // 1/11
 */
export function poissonSqlSelectsPerSecond(params: CapacityParams): number {
  const p = resolveParams(params);
  const rho = p.isolatesPerLocation * perUser(p).isolateReads;
  return (p.activeUsers * rho) / (1 + rho * (p.cacheTtlSeconds + p.readRttSeconds));
}

/** Every figure plus the sizing numbers only the model gives. */
export interface CapacityEstimate {
  params: ResolvedParams;
  figures: Figures;
  /** Requests/s of one user (r). */
  requestsPerUserPerSecond: number;
  /** Mean requests/s reaching one isolate. */
  requestsPerIsolatePerSecond: number;
  /** Mean live L1 entries (session + marker state) per isolate, by Little's law: fills/s × L ÷ isolates × 2. */
  l1EntriesPerIsolate: number;
  /** The story's design: a SELECT … FOR UPDATE + UPDATE transaction on every request. */
  perRequestDesign: { transactionsPerSecond: number; updatesPerSecond: number };
  updatesSavedPerSecond: number;
  /** Requests/s × CPU ms ÷ 1000, when both CPU figures are given. */
  cpuCores: number | null;
}

/**
 * Every figure of the model for one scenario.
 * @example estimate(INTERNET_SCALE).figures.sqlUpdatesPerSecond // ≈ 3,225
 */
export function estimate(params: CapacityParams): CapacityEstimate {
  const p = resolveParams(params);
  const requests = p.requestsPerSecond;
  const u = perUser(p);
  const reads = redisReadsPerSecond(p);
  const writes = redisWritesPerSecond(p);
  const selects = writes.writeBacks;
  const updates = sqlUpdatesPerSecond(p);
  const hit = l1HitRatio(p);
  const coalesced = p.readRttSeconds * u.isolateReads; // same argument as the hit ratio, over d
  const isolates = p.locations * p.isolatesPerLocation;
  const l = Math.min(p.l1TtlSeconds, p.cacheTtlSeconds);
  const missShare = reads / requests;
  const cpuCores =
    p.cpuMsL1Hit === undefined || p.cpuMsL1Miss === undefined
      ? null
      : (requests * ((1 - missShare) * p.cpuMsL1Hit + missShare * p.cpuMsL1Miss)) / 1000;
  return {
    params: p,
    figures: {
      l1HitRatio: hit,
      coalescedRatio: coalesced,
      redisReadsPerSecond: reads,
      redisWriteBacksPerSecond: writes.writeBacks,
      redisMarkerClaimsPerSecond: writes.markerClaims,
      redisWritesPerSecond: writes.total,
      lostMarkerClaimsPerSecond: writes.lostMarkerClaims,
      rejectedWriteBacksPerSecond: writes.rejectedWriteBacks,
      sqlSelectsPerSecond: selects,
      sqlUpdatesPerSecond: updates,
      redisRoundTripsPerRequest: (reads + writes.total) / requests,
      redisWritesPerRequest: writes.total / requests,
      sqlStatementsPerRequest: (selects + updates) / requests,
      updateReduction: requests / updates,
    },
    requestsPerUserPerSecond: u.rate,
    requestsPerIsolatePerSecond: requests / isolates,
    l1EntriesPerIsolate: (2 * reads * l) / isolates,
    perRequestDesign: { transactionsPerSecond: requests, updatesPerSecond: requests },
    updatesSavedPerSecond: requests - updates,
    cpuCores,
  };
}
