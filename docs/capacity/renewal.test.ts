import { describe, expect, it } from 'vitest';
import { gammaP, logGamma, refillCycle, restartedSurvival, stationarySurvival } from './renewal';

describe('special functions', () => {
  it('logGamma matches factorials', () => {
    expect(Math.exp(logGamma(5))).toBeCloseTo(24, 10);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9); // ln 100!
  });

  it('gammaP is the Erlang CDF on both sides of a + 1', () => {
    expect(gammaP(1, 1)).toBeCloseTo(1 - Math.exp(-1), 14);
    // P(Erlang(3, 1) ≤ x) = 1 − e^−x (1 + x + x²/2)
    for (const x of [0.5, 2, 4, 9])
      expect(gammaP(3, x)).toBeCloseTo(1 - Math.exp(-x) * (1 + x + (x * x) / 2), 13);
    // Large shape, series (x < a + 1) and continued fraction: 1 − Σ_{j<200} e^−x x^j / j!.
    expect(gammaP(200, 180)).toBeCloseTo(0.07485803498415944, 12);
    expect(gammaP(200, 200)).toBeCloseTo(0.5094034180072753, 12);
    expect(gammaP(200, 230)).toBeCloseTo(0.9796688566711634, 12);
  });
});

describe('refill cycle', () => {
  const p = { period: 2, rate: 0.7 };

  it('with the key living exactly one period, the refilling isolate waits Exp(λ)', () => {
    for (const w of [0, 0.5, 3]) expect(restartedSurvival(p, 2, w)).toBeCloseTo(Math.exp(-0.7 * w), 12);
    expect(refillCycle(p, 2, 1, 0).meanWait).toBeCloseTo(1 / 0.7, 8);
  });

  it('long after the refill, the refilling isolate is in its stationary phase', () => {
    // Mean stationary forward recurrence: E[X²] / 2E[X] for X = P + Exp(λ).
    const mean = p.period + 1 / p.rate;
    const second = p.period ** 2 + (2 * p.period) / p.rate + 2 / p.rate ** 2;
    expect(refillCycle(p, 300, 1, 0).meanWait).toBeCloseTo(second / (2 * mean), 6);
    expect(restartedSurvival(p, 300, 1.3)).toBeCloseTo(stationarySurvival(p, 1.3), 6);
  });

  it('Poisson reads (no L1, no round trip) wait 1/(kλ) and never race', () => {
    expect(refillCycle({ period: 0, rate: 0.5 }, 10, 4, 0)).toEqual({ meanWait: 0.5, racers: 0 });
  });

  it('one isolate never races itself: its concurrent misses are coalesced', () => {
    expect(refillCycle({ period: 2.1, rate: 3 }, 10.1, 1, 0.1).racers).toBeCloseTo(0, 6);
  });
});
