import { importJWK, type JWK, jwtVerify } from 'jose';
import type { Env } from '../../../src/env';
import { memoryApp, SECRET as SECRET_OF_MEMORY_APP, T0 } from '../memory-app';
import { configEnv, DEFAULT_CONFIG, type FuzzConfig } from './configs';
import type { Exchange, FuzzRequest, OriginRecord } from './exchange';
import { checkExchange } from './oracle/check';
import type { CheckContext } from './oracle/context';
import { PUBLIC_PATHS } from './paths';
import { FuzzWorld, WORLD_SESSIONS, WORLD_USERS } from './world';

const MEMORY_ORIGIN = 'https://origin.example';
/** Where the app is reached: `app.request` takes paths on it. */
const OWN_ORIGIN = 'http://localhost';
/** Simulated time between two cases. */
const CLOCK_STEP_MS = 500;
/** When the credentials of a logout are tried again: past L1, the Redis entry, the revoked entry. */
const LOGOUT_PROBE_DELAYS_MS = [2_500, 5_000, 9_000, 30_000, 61_000];

export interface MemoryHarnessOptions {
  /** The assertion key (a private JWK); assertions are signed when `config.assertion` too. */
  assertionKey?: JWK;
  /** The layer's base env (cookie name, caches, issuer …). */
  env?: Partial<Env>;
  /** The trust-boundary settings; default `DEFAULT_CONFIG`. */
  config?: FuzzConfig;
}

export type MemoryHarness = Awaited<ReturnType<typeof memoryHarness>>;

/**
 * The whole app on the in-memory adapters (test/support/memory-app.ts) with
 * the world seeded, `PUBLIC_PATHS` and `config`. The test installs
 * `originFetch` as the global `fetch` (the recording origin, which answers
 * with each request's `answer` headers); `run` runs one case and checks
 * every invariant.
 *
 * @example
 * const h = await memoryHarness({ assertionKey, config });
 * vi.stubGlobal('fetch', h.originFetch);
 * const outcome = await h.run(request); // undefined when the HTTP client would not send it
 * expect(outcome?.problems).toEqual([]);
 */
export async function memoryHarness(options: MemoryHarnessOptions = {}) {
  const key = options.assertionKey;
  const config = { ...(options.config ?? DEFAULT_CONFIG) };
  config.assertion &&= key !== undefined;
  const t = memoryApp({
    PUBLIC_PATHS: PUBLIC_PATHS.join(','),
    ...options.env,
    ...configEnv(config, {
      originUrl: MEMORY_ORIGIN,
      ...(key ? { assertionKey: JSON.stringify(key) } : {}),
    }),
  });
  for (const u of WORLD_USERS) {
    t.store.users.set(u.id, { ...u, firstName: 'Ada', lastName: 'Lovelace', lastLogin: null });
  }
  for (const s of WORLD_SESSIONS) {
    t.store.sessions.set(s.id, {
      id: s.id,
      userId: s.userId,
      expiresAt: s.state === 'expired' ? T0 - 3_600_000 : T0 + 365 * 86_400_000,
      revokedAt: s.state === 'revoked' ? T0 - 1_000 : null,
    });
  }
  const world = new FuzzWorld();
  let records: OriginRecord[] = [];
  let answer: [string, string][] = [];
  /** Outbound requests to anything but the origin (a `jku` or `x5u` followed, say). */
  const strayFetches: string[] = [];
  const originFetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (url.origin !== MEMORY_ORIGIN) strayFetches.push(request.url);
    records.push({ path: url.pathname, headers: [...request.headers] });
    return new Response('origin answer', { status: 200, headers: [['X-Origin', 'yes'], ...answer] });
  };
  const { issuer, audience, cookieName } = t.config.token;
  const context: CheckContext = {
    world,
    secret: SECRET_OF_MEMORY_APP,
    publicPaths: PUBLIC_PATHS,
    cookieName,
    config,
    ownOrigin: OWN_ORIGIN,
    ...(config.assertion && key ? { verifyAssertion: await assertionVerifier(key) } : {}),
    ...(issuer === undefined ? {} : { issuer }),
    ...(audience === undefined ? {} : { audience }),
  };

  return {
    app: t,
    world,
    context,
    originFetch,
    strayFetches,
    /** Runs one request; `'refused'` when the HTTP client itself refuses to build it. */
    async exchange(req: FuzzRequest): Promise<Exchange | 'refused'> {
      let sent: Request;
      try {
        sent = new Request(`${OWN_ORIGIN}${req.path}`, {
          method: req.method,
          headers: req.headers,
          ...(req.body === null ? {} : { body: req.body }),
        });
      } catch {
        return 'refused';
      }
      const clientHeaders = new Headers(sent.headers);
      records = [];
      answer = req.answer ?? [];
      t.logLines.splice(0);
      // Time moves between cases, so L1 (2 s) and Redis entries (10 s, revoked 60 s) and touch intervals expire.
      t.clock.now += CLOCK_STEP_MS;
      const liveBefore = WORLD_SESSIONS.filter((s) => world.isLive(s.id));
      t.cache.failing = req.outage === 'redis' || req.outage === 'both';
      t.store.failing = req.outage === 'database' || req.outage === 'both';
      let response: Response;
      let body: string;
      try {
        response = await t.app.request(sent, undefined, {}, t.ctx);
        body = await response.text();
        await t.settle();
      } finally {
        t.cache.failing = false;
        t.store.failing = false;
      }
      const revoked = liveBefore
        .filter((s) => t.store.sessions.get(s.id)?.revokedAt != null)
        .map((s) => s.id);
      return {
        request: req,
        method: sent.method,
        sent: clientHeaders,
        response: { status: response.status, headers: [...response.headers], body },
        origin: records,
        revoked,
        logs: t.logLines.splice(0),
      };
    },
    /**
     * Runs one case and checks every invariant. A logout is a scenario: the
     * credentials are used once (`GET /auth/session`, so caches hold the live
     * session), then the logout, then after a revocation the same credentials
     * are tried again across every cache expiry (L1, Redis, revoked entry).
     * `undefined` when the HTTP client refuses the request.
     */
    async run(req: FuzzRequest): Promise<{ exchange: Exchange; problems: string[] } | undefined> {
      const problems: string[] = [];
      if (req.method === 'POST' && URL.parse(`${OWN_ORIGIN}${req.path}`)?.pathname === '/auth/logout') {
        const before = await this.exchange({ ...req, method: 'GET', path: '/auth/session', body: null });
        if (before !== 'refused') {
          for (const problem of await this.check(before))
            problems.push(`GET /auth/session first: ${problem}`);
        }
      }
      const ex = await this.exchange(req);
      if (ex === 'refused') return undefined;
      problems.push(...(await this.check(ex)));
      return { exchange: ex, problems };
    },

    /** Checks one exchange (see `run`), records its revocations and probes after a logout. */
    async check(ex: Exchange): Promise<string[]> {
      const problems = await checkExchange(ex, context);
      if (strayFetches.length > 0) {
        problems.push(`outbound requests beyond the origin: ${strayFetches.splice(0).join(', ')}`);
      }
      for (const sid of ex.revoked) {
        world.markRevoked(sid, ex.request.outage === 'redis' || ex.request.outage === 'both');
      }
      if (ex.revoked.length === 0 || problems.length > 0) return problems;
      const probe: FuzzRequest = {
        method: 'GET',
        path: '/auth/session',
        headers: ex.request.headers,
        body: null,
        outage: 'none',
      };
      for (const delayMs of LOGOUT_PROBE_DELAYS_MS) {
        t.clock.now += delayMs - CLOCK_STEP_MS;
        const after = await this.exchange(probe);
        if (after === 'refused') break;
        for (const problem of await checkExchange(after, context)) {
          problems.push(`${delayMs} ms after the logout, GET /auth/session: ${problem}`);
        }
      }
      return problems;
    },
  };
}

/**
 * Harnesses per config, built on first use, behind one recording origin:
 * for properties whose cases each carry their own config.
 *
 * @example
 * const pool = memoryHarnesses({ assertionKey, env });
 * vi.stubGlobal('fetch', pool.originFetch);
 * const outcome = await pool.run({ config, request });
 */
export function memoryHarnesses(options: Omit<MemoryHarnessOptions, 'config'>) {
  const harnesses = new Map<string, MemoryHarness>();
  let current: MemoryHarness | undefined;
  return {
    originFetch: (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      if (!current) throw new Error('no case is running');
      return current.originFetch(input, init);
    },
    async run(fuzzCase: { config: FuzzConfig; request: FuzzRequest }) {
      const key = JSON.stringify(fuzzCase.config);
      let harness = harnesses.get(key);
      if (!harness) {
        harness = await memoryHarness({ ...options, config: fuzzCase.config });
        harnesses.set(key, harness);
      }
      current = harness;
      return harness.run(fuzzCase.request);
    },
  };
}

/** Verifies assertions signed with `key` for the memory origin. */
async function assertionVerifier(key: JWK): Promise<NonNullable<CheckContext['verifyAssertion']>> {
  const { d: _, ...publicJwk } = key;
  const publicKey = await importJWK({ ...publicJwk, alg: 'ES256' }, 'ES256');
  return async (assertion) =>
    (
      await jwtVerify(assertion, publicKey, {
        issuer: 'edge-auth',
        audience: MEMORY_ORIGIN,
        algorithms: ['ES256'],
      })
    ).payload;
}
