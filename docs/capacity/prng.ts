// A small seeded PRNG so the simulation is reproducible bit for bit (no
// Math.random, no clock): xoshiro128** seeded through splitmix32.

/** Uniform numbers in [0, 1), 32 bits of randomness each. */
export type Random = () => number;

/**
 * Creates a xoshiro128** generator from a 32-bit seed.
 * @example const rand = createRandom(42); rand() // same value on every run
 */
export function createRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  if ((a | b | c | d) === 0) a = 1; // the all-zero state is a fixed point
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * An exponential variate of the given rate (mean 1/rate).
 * @example exponential(createRandom(1), 2) // > 0, mean 0.5 over many draws
 */
export function exponential(rand: Random, rate: number): number {
  return -Math.log(1 - rand()) / rate;
}
