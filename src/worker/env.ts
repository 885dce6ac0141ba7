import type { Env } from '../env';
import type { EdgeAuthVariables } from '../hono/middleware';
import type { ServerTiming } from '../hono/server-timing';

/** The Worker app's Hono environment: its bindings, the middleware's variables, its own timing. */
export type WorkerEnv = {
  Bindings: Env;
  Variables: EdgeAuthVariables & {
    /** The whole request's `Server-Timing` (the middleware's stages, the origin, the total). */
    edgeAuthTiming: ServerTiming;
  };
};
