// The one non-trivial piece of the capacity model: how long after a shared
// Redis key (session entry or touch marker) expires does the next Redis read
// arrive?
//
// Each isolate's Redis reads for one user form a renewal process: a read at
// time s fills the L1 at s + d (d = read round trip, in flight until then),
// the entry is valid for L, and the next read is the first request after
// that, Exp(λ) later by memorylessness. So the gaps are `P + Exp(λ)` with
// P = d + L ("period") and λ = the user's request rate at that isolate.
//
// A shared key refilled by a read of isolate i at time 0 lives H seconds
// (H = C + d for the session entry, T + d for the marker). The next refill is
// the first read, from any isolate, after H. Isolate i restarted its renewal
// at 0 (its read IS the refill), so its wait is the forward recurrence time
// B(H) of a renewal process started at 0, computed exactly below with Erlang
// sums. The other k − 1 isolates are taken as independent and in their
// stationary phase — the one approximation here (measured by the simulation).
// The same two survival functions give the races of a non-zero round trip:
// other isolates whose first read after the expiry comes within d of the
// first one still find the key absent.

/**
 * ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; relative error ~1e-15).
 * @example Math.exp(logGamma(5)) // 24 (≈)
 */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < LANCZOS.length; i++) a += (LANCZOS[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * Regularised lower incomplete gamma P(a, x) = P(Gamma(a, 1) ≤ x), so the
 * Erlang(n, λ) CDF at t is `gammaP(n, λ t)`. Series below a + 1, Lentz's
 * continued fraction above (Numerical Recipes §6.2).
 * @example gammaP(1, 1) // 1 − e^−1 ≈ 0.632
 */
export function gammaP(a: number, x: number): number {
  if (x <= 0) return 0;
  if (!Number.isFinite(x)) return 1;
  const logPrefix = a * Math.log(x) - x - logGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.min(1, sum * Math.exp(logPrefix));
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.max(0, 1 - Math.exp(logPrefix) * h);
}

/** P(x1 ≤ G_n ≤ x2) for G_n ~ Erlang(n, λ), G_0 ≡ 0. */
function erlangBetween(n: number, lambda: number, x1: number, x2: number): number {
  if (x2 < x1) return 0;
  if (n === 0) return x1 <= 0 && x2 >= 0 ? 1 : 0;
  return Math.max(0, gammaP(n, lambda * x2) - gammaP(n, lambda * Math.max(0, x1)));
}

/** One isolate's read process: gaps are `period + Exp(rate)`. */
export interface ReadRenewal {
  /** Deterministic part of the gap: read round trip + L1 lifetime (seconds). */
  period: number;
  /** Requests per second of this user at this isolate. */
  rate: number;
}

/**
 * Survival of the stationary forward recurrence time: at a random instant,
 * P(this isolate's next read is more than w seconds away). Its density is
 * P(gap > x) / E[gap], integrated from w.
 * @example stationarySurvival({ period: 2, rate: 1 }, 0) // 1
 */
export function stationarySurvival(p: ReadRenewal, w: number): number {
  const mean = p.period + 1 / p.rate;
  if (w < p.period) return (p.period - w + 1 / p.rate) / mean;
  return Math.exp(-p.rate * (w - p.period)) / p.rate / mean;
}

/** The renewal indices n whose term in `restartedSurvival` can exceed 1e-15 (period > 0). */
function termRange(p: ReadRenewal, horizon: number): { lo: number; hi: number } {
  const maxN = Math.floor(horizon / p.period);
  // Term n needs S_n ≤ H (decreasing in n) and S_{n+1} > H (increasing in n);
  // both are monotone, so bisect for where each stops being negligible.
  const notPastH = (n: number) => erlangBetween(n, p.rate, 0, horizon - n * p.period);
  const pastH = (n: number) => 1 - erlangBetween(n + 1, p.rate, 0, horizon - (n + 1) * p.period);
  const eps = 1e-15;
  let lo = 0;
  let hi = maxN;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (pastH(mid) > eps) hi = mid;
    else lo = mid + 1;
  }
  const first = lo;
  hi = maxN;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (notPastH(mid) > eps) lo = mid;
    else hi = mid - 1;
  }
  return { lo: first, hi: lo };
}

/**
 * P(B(H) > w): the isolate read at time 0 (renewal epoch S_0 = 0, S_n = nP +
 * G_n with G_n ~ Erlang(n, λ)); probability that none of its reads falls in
 * (H, H + w]. Sum over the last epoch S_n ≤ H of P(S_n ≤ H, S_{n+1} > H + w),
 * where S_{n+1} = S_n + P + X and E[e^{λG_n}; G_n < u] = (λu)^n / n!.
 * @example restartedSurvival({ period: 0, rate: 2 }, 10, 1) // e^−2 (Poisson)
 */
export function restartedSurvival(p: ReadRenewal, horizon: number, w: number): number {
  if (p.period === 0) return Math.exp(-p.rate * w);
  const { lo, hi } = termRange(p, horizon);
  return survivalParts(p, horizon, w, lo, hi).survival;
}

/**
 * `survival` = P(B(H) > w); `idle` = the part of it where the isolate's L1
 * has already lapsed at H + w, so a request there is a read: the density of
 * B is λ · idle (differentiate the sum term by term).
 */
function survivalParts(p: ReadRenewal, horizon: number, w: number, lo: number, hi: number) {
  if (w < 0) return { survival: 1, idle: 0 };
  const { period, rate } = p;
  let survival = 0;
  let idle = 0;
  for (let n = lo; n <= hi; n++) {
    const a = horizon - n * period; // G_n must be ≤ a for S_n ≤ H
    const c = a + w - period; // G_n ≥ c ⇒ S_{n+1} > H + w whatever X is
    if (c < a) survival += erlangBetween(n, rate, Math.max(c, 0), a);
    if (c > 0) {
      const u = Math.min(a, c);
      const term =
        n === 0 ? Math.exp(-rate * c) : Math.exp(-rate * c + n * Math.log(rate * u) - logGamma(n + 1));
      survival += term;
      idle += term;
    }
  }
  return { survival: Math.min(1, survival), idle };
}

/** What happens around one refill of a shared key (session entry or marker). */
export interface RefillCycle {
  /** Mean wait from the key's expiry to the first read after it (seconds). */
  meanWait: number;
  /**
   * Mean number of reads from other isolates in the round trip after that
   * first read: they find the key absent too (0 when the round trip is 0).
   */
  racers: number;
}

/**
 * The refill cycle of a key written by the read of one of `isolates`
 * identical isolates and living `horizon` seconds (from the read's send time,
 * so C + d or T + d), with reads taking `rtt` seconds.
 *
 * meanWait = ∫ P(B(H) > w) · S_e(w)^(k−1) dw.
 * racers = Σ_j P(Y_j ≤ min_m Y_m + d) − 1, Y_j = isolate j's first read after
 * expiry: each other isolate whose first read comes less than d after the
 * winner's still sees the key absent. Past P + d every factor decays as
 * e^{−λ·}, so both tails are closed-form; the rest is Simpson-integrated
 * piecewise between the kinks.
 * @example refillCycle({ period: 0, rate: 0.5 }, 10, 4, 0).meanWait // 0.5 = 1/(kλ)
 */
export function refillCycle(p: ReadRenewal, horizon: number, isolates: number, rtt: number): RefillCycle {
  const { period, rate } = p;
  const k = isolates;
  // Poisson reads (no L1): the first read after expiry comes 1/(kλ) later on
  // average, and the other k − 1 isolates keep reading at λ each meanwhile.
  if (period === 0) return { meanWait: 1 / (k * rate), racers: (k - 1) * rate * rtt };
  const { lo, hi } = termRange(p, horizon);
  const b = (w: number) => survivalParts(p, horizon, w, lo, hi);
  const se = (w: number) => (w < 0 ? 1 : stationarySurvival(p, w));
  const fe = (w: number) => (w < period ? 1 : Math.exp(-rate * (w - period))) / (period + 1 / rate);
  const residue = horizon - Math.floor(horizon / period) * period;
  const kink = residue > 0 ? period - residue : 0;

  const wait = (w: number) => b(w).survival * se(w) ** (k - 1);
  const meanWait = integrate(wait, [0, kink, period]) + wait(period) / (k * rate);

  // One isolate coalesces its own concurrent misses: nobody to race.
  if (rtt === 0 || k === 1) return { meanWait, racers: 0 };
  // P(isolate i reads first, or within d of the first) + the same for the k − 1 others.
  const within = (y: number) => {
    const early = se(y - rtt);
    const fromI = rate * b(y).idle * early ** (k - 1);
    const fromOthers = (k - 1) * fe(y) * b(y - rtt).survival * early ** (k - 2);
    return fromI + fromOthers;
  };
  const end = period + rtt;
  const hits = integrate(within, [0, rtt, kink, kink + rtt, period, end]) + within(end) / (k * rate);
  // `hits` is 1 + racers; below 1e-9 the difference is the quadrature's error, not races.
  const racers = hits - 1;
  return { meanWait, racers: racers < 1e-9 ? 0 : racers };
}

/** ∫ f over [first, last] of `points`, Simpson on each piece between consecutive (sorted) points. */
function integrate(f: (x: number) => number, points: number[]): number {
  const xs = [...points].sort((x, y) => x - y);
  let total = 0;
  for (let i = 1; i < xs.length; i++) total += simpson(f, xs[i - 1] as number, xs[i] as number);
  return total;
}

/** Composite Simpson's rule on [a, b] with 256 intervals (the integrand is smooth there). */
function simpson(f: (x: number) => number, a: number, b: number): number {
  if (b <= a) return 0;
  const n = 256;
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}
