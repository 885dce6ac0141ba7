// The hot path's own CPU, without the network. One control request runs `n`
// requests in a loop inside this isolate: either through edge-auth's app,
// answered from L1 (the warm path), or through the bare `forward()` every
// variant shares. The origin is a stub that answers at once, so no socket,
// no other process and no scheduling noise are in the figure:
// bench/hot-path/measure.ts divides workerd's CPU time (from /proc) by `n`.
import { createMemorySessionCache, createMemorySessionStore } from '../../src/adapters/memory';
import type { Env } from '../../src/env';
import { forward } from '../../src/proxy/forward';
import { createApp } from '../../src/worker/app';
import { workerServices } from '../../src/worker/services';
import { HOT_PATH, HOT_PATH_VARIANTS, type HotPathAnswer, type HotPathVariant } from './hot-path-fixture';

const ORIGIN = 'https://origin.example';
const env: Env = {
  // Never contacted: the session comes from the memory store, then from L1.
  UPSTASH_REDIS_REST_URL: 'https://redis.example',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
  DATABASE_URL: 'postgres://unused@db.example/unused',
  JWT_SECRET: HOT_PATH.secret,
  ORIGIN_URL: ORIGIN,
  // Long enough that the whole loop is served from L1 (the default 2 s would expire mid-run).
  SESSION_CACHE_TTL_SECONDS: '10',
  L1_CACHE_TTL_SECONDS: '10',
};

const users = new Map([
  [
    HOT_PATH.user,
    {
      id: HOT_PATH.user,
      username: 'hot',
      email: 'hot@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      isStaff: false,
      isActive: true,
      isSuperuser: false,
      lastLogin: null,
    },
  ],
]);
const sessions = new Map([
  [HOT_PATH.session, { id: HOT_PATH.session, userId: HOT_PATH.user, expiresAt: Date.now() + 3_600_000 }],
]);
const services = workerServices(env, {
  cache: createMemorySessionCache(),
  store: createMemorySessionStore({ users, sessions }),
});
// The log line is built and written as in production: console.log (drained by the harness).
const app = createApp({ services });
const origin = new URL(ORIGIN);
const ctx: ExecutionContext = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;

// The stub origin: forward() calls the global fetch.
globalThis.fetch = async () =>
  new Response('{"ok":true}\n', { headers: { 'Content-Type': 'application/json' } });

export default {
  async fetch(request) {
    const url = new URL(request.url);
    const variant = url.searchParams.get('variant') as HotPathVariant | null;
    const n = Number(url.searchParams.get('n') ?? '1');
    const authorization = request.headers.get('Authorization') ?? '';
    if (!variant || !HOT_PATH_VARIANTS.includes(variant) || !Number.isInteger(n) || n < 1) {
      return new Response('usage: /?variant=edge-auth|forward&n=N\n', { status: 400 });
    }
    const statuses: Record<number, number> = {};
    let serverTiming: string | null = null;
    for (let i = 0; i < n; i++) {
      const req = new Request(`https://edge.example/api/orders?i=${i}`, {
        headers: { Authorization: authorization, Accept: 'application/json' },
      });
      const res = variant === 'edge-auth' ? await app.fetch(req, env, ctx) : await forward(req, origin);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      // Read once, after the loop's last request, so both variants run the same loop.
      if (i === n - 1) serverTiming = res.headers.get('Server-Timing');
    }
    return Response.json({ statuses, serverTiming } satisfies HotPathAnswer);
  },
} satisfies ExportedHandler;
