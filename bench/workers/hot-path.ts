// The hot path's own CPU, without the network. One control request runs `n`
// requests in a loop inside this isolate: through edge-auth's app, answered
// from L1 (the warm path); through the same app with ASSERTION_SIGNING_KEY
// set (a binding: the harness makes a new key per run), every request to a
// new URL so each one signs, or to one URL so the signer's cache answers; or
// through the bare `forward()` every variant shares. The origin is a stub
// that answers at once, so no socket, no other process and no scheduling
// noise are in the figure: bench/hot-path/measure.ts divides workerd's CPU
// time (from /proc) by `n`.
import { createMemorySessionCache, createMemorySessionStore } from '../../src/adapters/memory';
import { ASSERTION_HEADER } from '../../src/assertion/signer';
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
const store = createMemorySessionStore({ users, sessions });
// The log line is built and written as in production: console.log (drained by the harness).
const app = createApp({ services: workerServices(env, { cache: createMemorySessionCache(), store }) });
/** The same app signing assertions, built on the first request that brings the key. */
let signing: { app: typeof app; env: Env } | undefined;
const signingApp = (key: string) => {
  if (!signing) {
    // The longest assertion life (reused for half of it): no cached assertion expires within a loop.
    const signedEnv: Env = { ...env, ASSERTION_SIGNING_KEY: key, ASSERTION_TTL_SECONDS: '300' };
    const services = workerServices(signedEnv, { cache: createMemorySessionCache(), store });
    signing = { app: createApp({ services }), env: signedEnv };
  }
  return signing;
};
const origin = new URL(ORIGIN);
const ctx: ExecutionContext = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;

// The stub origin: forward() calls the global fetch. Every variant reads the assertion header the
// same way, so the comparison costs them alike; a change from the previous request counts.
const seen = { last: null as string | null, changes: 0 };
globalThis.fetch = async (_target, init) => {
  const assertion = (init?.headers as Headers | undefined)?.get(ASSERTION_HEADER) ?? null;
  if (assertion !== seen.last) seen.changes++;
  seen.last = assertion;
  return new Response('{"ok":true}\n', { headers: { 'Content-Type': 'application/json' } });
};
/** Numbers every loop, so a signing loop's URLs are new even to a previous loop's cache. */
let loops = 0;

export default {
  async fetch(request, bindings: { ASSERTION_SIGNING_KEY?: string }) {
    const url = new URL(request.url);
    const variant = url.searchParams.get('variant') as HotPathVariant | null;
    const n = Number(url.searchParams.get('n') ?? '1');
    const authorization = request.headers.get('Authorization') ?? '';
    if (!variant || !HOT_PATH_VARIANTS.includes(variant) || !Number.isInteger(n) || n < 1) {
      return new Response(`usage: /?variant=${HOT_PATH_VARIANTS.join('|')}&n=N\n`, { status: 400 });
    }
    const signs = variant === 'assertion-signed' || variant === 'assertion-cached';
    const key = bindings.ASSERTION_SIGNING_KEY;
    if (signs && !key)
      return new Response('the assertion variants need ASSERTION_SIGNING_KEY\n', { status: 400 });
    const handler = signs && key ? signingApp(key) : { app, env };
    const loop = ++loops;
    Object.assign(seen, { last: null, changes: 0 });
    const statuses: Record<number, number> = {};
    let serverTiming: string | null = null;
    for (let i = 0; i < n; i++) {
      // An assertion is bound to the path (not the query): a new path per request means a new signature.
      const path = variant === 'assertion-signed' ? `/api/orders/${loop}/${i}` : '/api/orders';
      const req = new Request(`https://edge.example${path}?i=${i}`, {
        headers: { Authorization: authorization, Accept: 'application/json' },
      });
      const res =
        variant === 'forward' ? await forward(req, origin) : await handler.app.fetch(req, handler.env, ctx);
      await res.arrayBuffer();
      statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      // Read once, after the loop's last request, so every variant runs the same loop.
      if (i === n - 1) serverTiming = res.headers.get('Server-Timing');
    }
    return Response.json({ statuses, serverTiming, assertionChanges: seen.changes } satisfies HotPathAnswer);
  },
} satisfies ExportedHandler<{ ASSERTION_SIGNING_KEY?: string }>;
