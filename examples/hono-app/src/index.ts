import { neon, neonConfig } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis/cloudflare';
import { edgeAuth } from 'edge-auth/hono';
import { createNeonSessionStore } from 'edge-auth/neon';
import { createUpstashSessionCache } from 'edge-auth/upstash';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';

/** This app's bindings: its own names, passed to edge-auth as values. */
type Bindings = {
  JWT_SECRET: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  DATABASE_URL: string;
  /** Local development only: the SQL-over-HTTP server `npx edge-auth local` prints. */
  NEON_FETCH_ENDPOINT?: string;
};

/**
 * The adapters, built on the first request of the isolate (bindings arrive
 * with it) and reused after: edge-auth builds its per-isolate session cache
 * once per cache and store object.
 */
let adapters: ReturnType<typeof createAdapters> | undefined;
function createAdapters(env: Bindings) {
  if (env.NEON_FETCH_ENDPOINT) neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
  const redis = new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    signal: () => AbortSignal.timeout(1000),
    retry: false,
  });
  return {
    cache: createUpstashSessionCache({ redis, prefix: 'edge-auth:' }),
    store: createNeonSessionStore({ sql: neon(env.DATABASE_URL), timeoutMs: 3000 }),
  };
}
const adaptersOf = (env: Bindings) => (adapters ??= createAdapters(env));

const app = new Hono<{ Bindings: Bindings }>();

app.get('/', (c) => c.json({ hello: 'world' }));

app.use(
  '/api/*',
  edgeAuth({
    keys: (c) => ({ secret: c.env.JWT_SECRET }),
    cache: (c) => adaptersOf(c.env).cache,
    store: (c) => adaptersOf(c.env).store,
  }),
);
app.get('/api/me', (c) => {
  const { session } = c.get('edgeAuth');
  return c.json({ user: session.user, sessionId: session.session.id });
});

// edge-auth's refusals (401, 403, 503) pass through as they are; anything else is a generic 500.
app.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  console.error(err);
  return c.json({ error: 'internal_error', message: 'something went wrong' }, 500);
});

export default app;
