// What the ratios would be where requests do not share two cores (a real
// edge: each request's CPU is its own), derived from measured quantities
// instead of the contended latencies: the workerd CPU each variant adds per
// request, and the convoy's lock hold per hand-off.
import { ARMS, type Arm } from './arms';
import type { BenchResult } from './run';
import { shapeOf } from './targets';

/** The estimate for the last request of one user's burst of N. */
export interface IsolatedEstimate {
  n: number;
  /** workerd CPU per request, ms, pooled over every shape of the run. */
  cpuMsPerRequest: Record<Arm, number>;
  /** passthrough 1 × 1 p50: one request alone through Worker and origin, ms. */
  baseMs: number;
  /** convoy 1 × 1 p50: one transaction alone, ms. */
  convoyAloneMs: number;
  /** Mean gap between one user's consecutive convoy writes (the lock hold per hand-off), ms. */
  lockHoldMs: number;
  /** convoyAloneMs + (N − 1) × lockHoldMs. */
  convoyMs: number;
  /** baseMs + (edge-auth L1-hit CPU − passthrough CPU). */
  edgeAuthMs: number;
  convoyOverEdgeAuth: number;
  convoyOverPassthrough: number;
}

/**
 * Derives the estimate for a burst of `n`; undefined when the run lacks the 1 × 1 or 1 × n shapes.
 * @example isolatedEstimate(result, 20)?.convoyOverEdgeAuth // e.g. 140
 */
export function isolatedEstimate(result: BenchResult, n: number): IsolatedEstimate | undefined {
  const alone = shapeOf(result, 1, 1);
  const burst = shapeOf(result, 1, n);
  if (!alone || !burst) return undefined;
  const cpuMsPerRequest = Object.fromEntries(
    ARMS.map((arm) => [arm, pooledPerRequest(result, arm, 'workerCpuMsPerRequest')]),
  ) as Record<Arm, number>;
  const baseMs = alone.arms.passthrough.p50;
  const convoyAloneMs = alone.arms.convoy.p50;
  const lockHoldMs = burst.arms.convoy.writeSpacingMs;
  const convoyMs = convoyAloneMs + (n - 1) * lockHoldMs;
  const edgeAuthMs = baseMs + (cpuMsPerRequest['edge-auth:l1'] - cpuMsPerRequest.passthrough);
  return {
    n,
    cpuMsPerRequest,
    baseMs,
    convoyAloneMs,
    lockHoldMs,
    convoyMs,
    edgeAuthMs,
    convoyOverEdgeAuth: convoyMs / edgeAuthMs,
    convoyOverPassthrough: convoyMs / baseMs,
  };
}

/**
 * A per-request figure of an arm over every shape: Σ (figure × requests) ÷ Σ requests.
 * @example pooledPerRequest(result, 'passthrough', 'workerCpuMsPerRequest') // e.g. 0.42
 */
export function pooledPerRequest(
  result: Pick<BenchResult, 'scenarios'>,
  arm: Arm,
  figure: 'workerCpuMsPerRequest' | 'harnessCpuMsPerRequest',
): number {
  let total = 0;
  let requests = 0;
  for (const s of result.scenarios) {
    const a = s.arms[arm];
    if (!Number.isFinite(a[figure])) continue;
    total += a[figure] * a.requests;
    requests += a.requests;
  }
  return requests === 0 ? Number.NaN : total / requests;
}
