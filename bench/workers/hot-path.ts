// The hot path's own CPU, without the network. One control request runs `n`
// requests in a loop inside this isolate: either through edge-auth's app,
// answered from L1 (the warm path), or through the bare `forward()` every
// variant shares. The origin is a stub that answers at once, so no socket,
// no other process and no scheduling noise are in the figure:
// bench/hot-path.ts divides workerd's CPU time (from /proc) by `n`.
import { parseConfig } from '../../src/config';
import type { Env } from '../../src/env';
import { createApp } from '../../src/http/app';
import { forward } from '../../src/proxy/forward';
import { assembleServices } from '../../src/services';
import { createMemorySessionCache } from '../../src/session/memory-cache';
import { createMemorySessionStore } from '../../src/session/memory-store';
import {
  HOT_PATH_SECRET,
  HOT_PATH_SESSION,
  HOT_PATH_USER,
  HOT_PATH_VARIANTS,
  type HotPathAnswer,
  type HotPathVariant,
} from './hot-path-fixture';

const ORIGIN = 'https://origin.example';
const env: Env = {
  // Never contacted: the session comes from the memory store, then from L1.
  UPSTASH_REDIS_REST_URL: 'https://redis.example',
  UPSTASH_REDIS_REST_TOKEN: 'unused',
  DATABASE_URL: 'postgres://unused@db.example/unused',
  JWT_SECRET: HOT_PATH_SECRET,
  ORIGIN_URL: ORIGIN,
  // Long enough that the whole loop is served from L1 (the default 2 s would expire mid-run).
  SESSION_CACHE_TTL_SECONDS: '10',
  L1_CACHE_TTL_SECONDS: '10',
};

const users = new Map([
  [
    HOT_PATH_USER,
    {
      id: HOT_PATH_USER,
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
  [HOT_PATH_SESSION, { id: HOT_PATH_SESSION, userId: HOT_PATH_USER, expiresAt: Date.now() + 3_600_000 }],
]);
const services = assembleServices(parseConfig(env), {
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
    let served: string | undefined;
    for (let i = 0; i < n; i++) {
      const req = new Request(`https://edge.example/api/orders?i=${i}`, {
        headers: { Authorization: authorization, Accept: 'application/json' },
      });
      const res = variant === 'edge-auth' ? await app.fetch(req, env, ctx) : await forward(req, origin);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      // Read once, after the loop's last request, so both variants run the same loop.
      if (i === n - 1) served = /cache;[^,]*desc="(\w+)"/.exec(res.headers.get('Server-Timing') ?? '')?.[1];
    }
    return Response.json({ statuses, served: served ?? null } satisfies HotPathAnswer);
  },
} satisfies ExportedHandler;
