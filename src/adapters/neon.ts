/**
 * `edge-auth/neon`: the session store on Neon serverless Postgres (SQL over
 * HTTP). Pass it a `neon()` query function from `@neondatabase/serverless`.
 *
 * @example
 * import { neon } from '@neondatabase/serverless';
 * import { createNeonSessionStore } from 'edge-auth/neon';
 * const store = createNeonSessionStore({ sql: neon(env.DATABASE_URL), timeoutMs: 3000 });
 */
export type { UsersTableConfig } from '../config/database';
export {
  createNeonSessionStore,
  type NeonSessionStore,
  type NeonSessionStoreOptions,
} from '../session/neon-store';
