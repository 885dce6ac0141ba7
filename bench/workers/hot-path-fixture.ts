// What bench/hot-path/measure.ts (Node) and the hot-path Worker agree on. Kept
// apart from the Worker, whose module scope replaces the global fetch.

/**
 * The loop's variants: edge-auth's app (L1 hit), the same app with ASSERTION_SIGNING_KEY set and
 * every request to a new URL (one ES256 signature each) or to the same URL (the signer's cache
 * answers), and the bare forward() every variant shares.
 */
export const HOT_PATH_VARIANTS = ['edge-auth', 'assertion-signed', 'assertion-cached', 'forward'] as const;
export type HotPathVariant = (typeof HOT_PATH_VARIANTS)[number];

/** The HS256 secret the harness signs its token with (bench only), and the one user and session. */
export const HOT_PATH = {
  secret: 'edge-auth-hot-path-secret-edge-auth-hot',
  user: 'u-hot',
  session: 's-hot',
};

/** One loop's answer: statuses counted, and the `Server-Timing` of its last answer. */
export interface HotPathAnswer {
  statuses: Record<number, number>;
  serverTiming: string | null;
  /** Requests whose `X-Auth-Assertion` differed from the one before (the first compared with none). */
  assertionChanges: number;
}

/**
 * How many times the origin must see a new assertion in a loop of `n`: every request for
 * `assertion-signed`, only the first for `assertion-cached`, never without a key.
 * @example expectedAssertionChanges('assertion-signed', 300) // 300
 */
export function expectedAssertionChanges(variant: HotPathVariant, n: number): number {
  return variant === 'assertion-signed' ? n : variant === 'assertion-cached' ? 1 : 0;
}
