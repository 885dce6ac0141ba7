// What bench/hot-path.ts (Node) and the hot-path Worker agree on. Kept apart
// from the Worker, whose module scope replaces the global fetch.

/** The loop's variants: edge-auth's app (L1 hit) and the bare forward() every variant shares. */
export const HOT_PATH_VARIANTS = ['edge-auth', 'forward'] as const;
export type HotPathVariant = (typeof HOT_PATH_VARIANTS)[number];

/** The HS256 secret the harness signs its token with (bench only). */
export const HOT_PATH_SECRET = 'edge-auth-hot-path-secret-edge-auth-hot';
export const HOT_PATH_USER = 'u-hot';
export const HOT_PATH_SESSION = 's-hot';

/** One loop's answer: statuses counted, and how edge-auth served the last request (`l1`). */
export interface HotPathAnswer {
  statuses: Record<number, number>;
  served: string | null;
}
