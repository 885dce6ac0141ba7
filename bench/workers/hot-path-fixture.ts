// What bench/hot-path/measure.ts (Node) and the hot-path Worker agree on. Kept
// apart from the Worker, whose module scope replaces the global fetch.

/** The loop's variants: edge-auth's app (L1 hit) and the bare forward() every variant shares. */
export const HOT_PATH_VARIANTS = ['edge-auth', 'forward'] as const;
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
}
