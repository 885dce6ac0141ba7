/**
 * `edge-auth/hono`: the Hono middleware, its options and its context
 * variables. Adapters come from `edge-auth/upstash`, `edge-auth/neon` and
 * `edge-auth/memory`; nothing here imports a database or Redis driver.
 *
 * @example
 * import { edgeAuth } from 'edge-auth/hono';
 * app.use('/api/*', edgeAuth({ keys, cache, store }));
 * app.get('/api/me', (c) => c.json(c.get('edgeAuth').session.user));
 */
import type { EdgeAuthVariables } from './middleware';

export { type EdgeAuthTrace, type EdgeAuthVariables, edgeAuth } from './middleware';
export type { EdgeAuthOptions, Resolvable, TokenKeys } from './options';

declare module 'hono' {
  interface ContextVariableMap extends EdgeAuthVariables {}
}
