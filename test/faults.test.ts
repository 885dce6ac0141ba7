import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type KeyServer, startKeyServer } from './support/key-server';
import { createLogBook, leaks, type RequestLine } from './support/logs';
import { bearer, eventually, type Stack, startStack, TEST_SECRET } from './support/stack';

// Budgets small enough to keep the file fast, latencies well past them.
const REDIS_BUDGET_MS = 200;
const DB_BUDGET_MS = 200;
const SLOW_MS = 1000;
/** Slack over a budget for the Worker's own measurement (2 shared cores, workerd's I/O-bound clock). */
const MARGIN_MS = 250;

type Timing = Record<string, { dur?: number; desc?: string }>;

/** `Server-Timing` by stage: `cache;dur=12.0;desc="degraded"` → `{ cache: { dur: 12, desc: 'degraded' } }`. */
function serverTiming(res: { headers: { get(name: string): string | null } }): Timing {
  const stages: Timing = {};
  for (const part of (res.headers.get('Server-Timing') ?? '').split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name) continue;
    const stage: Timing[string] = {};
    for (const param of params) {
      const [key, value = ''] = param.split('=');
      if (key === 'dur') stage.dur = Number(value);
      if (key === 'desc') stage.desc = value.replace(/^"|"$/g, '');
    }
    stages[name] = stage;
  }
  return stages;
}

const DB_UNAVAILABLE = { error: 'dependency_unavailable', message: 'database is unavailable, retry shortly' };

/**
 * What a dependency outage looks like from the outside: never a 500, never a
 * logout, the latency bounded by the budgets, writes still at most once per
 * user per interval, and recovery without a restart. Outages are switched on
 * and off with the local servers' fault knobs; nothing sleeps.
 */
describe('dependency faults in workerd', () => {
  let stack: Stack;
  const book = createLogBook();
  /** Everything that must never appear in a log line, by name (failures name the secret, never print it). */
  const secrets: Record<string, string> = {
    'JWT secret': TEST_SECRET,
    'bad DATABASE_URL password': 'hunter2',
  };
  const keep = (name: string, token: string) => {
    secrets[name] = token;
    secrets[`${name} (signature)`] = token.split('.')[2] ?? token;
  };

  beforeAll(async () => {
    stack = await startStack();
    const env = stack.env();
    secrets['Redis token'] = env.UPSTASH_REDIS_REST_TOKEN ?? '';
    secrets['database URL'] = env.DATABASE_URL ?? '';
    const password = new URL(env.DATABASE_URL ?? '').password;
    if (password) secrets['database password'] = password;
  });
  afterEach(async () => {
    stack.upstash.setLatency(0);
    stack.neon.setLatency(0);
    await Promise.all([stack.upstash.setFault('none'), stack.neon.setFault('none')]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A user with a live session; returns the session's token. */
  async function seed(userId: string): Promise<string> {
    await stack.user(userId);
    const token = await stack.session(`s-${userId}`, userId);
    keep(`token of ${userId}`, token);
    return token;
  }

  const sessionKey = (userId: string) => `${stack.prefix}session:s-${userId}`;
  const statements = () => stack.neon.stats().statements;
  const lineWhere = (worker: { logs: { requests(): RequestLine[] } }, match: Partial<RequestLine>) =>
    eventually(
      async () => worker.logs.requests(),
      (lines) => lines.some((l) => Object.entries(match).every(([k, v]) => l[k as keyof RequestLine] === v)),
    );
  const stderrMentions = (worker: { logs: { stderr(): string[] } }, pattern: RegExp) =>
    eventually(
      async () => worker.logs.stderr(),
      (lines) => lines.some((l) => pattern.test(l)),
    );

  describe('Redis', () => {
    const faults = [
      { name: 'down', slug: 'down', apply: () => stack.upstash.setFault('down'), reached: 0, faulted: 0 },
      {
        name: 'answering errors',
        slug: 'error',
        apply: () => stack.upstash.setFault('error'),
        reached: 1,
        faulted: 1,
      },
      {
        name: 'answering 429',
        slug: 'throttle',
        apply: () => stack.upstash.setFault('throttle'),
        reached: 1,
        faulted: 1,
      },
      {
        name: `slower than REDIS_TIMEOUT_MS (${SLOW_MS} ms > ${REDIS_BUDGET_MS} ms)`,
        slug: 'slow',
        apply: async () => stack.upstash.setLatency(SLOW_MS),
        reached: 1,
        faulted: 0,
      },
    ];

    it.each(faults)(
      'Redis $name: 200 from the database, cache "degraded" within the budget, logged; recovers in the same isolate',
      async (fault) => {
        const userId = `redis-${fault.slug}`;
        const token = await seed(userId);
        // No L1: every request reads Redis, so the same isolate shows the recovery at once.
        const worker = await book.worker(stack, {
          REDIS_TIMEOUT_MS: String(REDIS_BUDGET_MS),
          L1_CACHE_TTL_SECONDS: '0',
        });
        await fault.apply();
        stack.upstash.resetStats();
        stack.neon.resetStats();

        const res = await worker.fetch('/auth/session', bearer(token));
        expect(res.status).toBe(200);
        expect(((await res.json()) as { user: { id: string } }).user.id).toBe(userId);
        const timing = serverTiming(res);
        expect(timing.cache?.desc).toBe('degraded');
        expect(timing.cache?.dur).toBeLessThan(REDIS_BUDGET_MS + MARGIN_MS);
        expect(timing.db?.dur).toBeGreaterThanOrEqual(0);
        expect(statements().SELECT).toBe(1);
        // No marker to claim: the UPDATE alone, and its WHERE lets exactly one row through.
        await eventually(
          () => stack.writes(userId),
          (n) => n === 1,
        );
        expect(statements().UPDATE).toBe(1);
        expect(stack.upstash.stats().requests).toBe(fault.reached);
        expect(stack.upstash.stats().faulted ?? 0).toBe(fault.faulted);
        await lineWhere(worker, {
          status: 200,
          outcome: 'authenticated',
          served: 'degraded',
          touch: 'write',
        });
        await stderrMentions(worker, /session cache unavailable/);

        // Recovery, same isolate: read from Redis again (a miss: nothing was written back while degraded).
        stack.upstash.setLatency(0);
        await stack.upstash.setFault('none');
        const back = await worker.fetch('/auth/session', bearer(token));
        expect(back.status).toBe(200);
        expect(serverTiming(back).cache?.desc).toBe('miss');
        await eventually(
          async () => serverTiming(await worker.fetch('/auth/session', bearer(token))).cache?.desc,
          (desc) => desc === 'hit',
        );
        // The marker is claimed again; the database refuses the redundant write within the interval.
        await eventually(
          async () => statements().UPDATE ?? 0,
          (n) => n === 2,
        );
        expect(await stack.writes(userId)).toBe(1);
      },
    );

    it('Redis down: 10 requests of one user in each of 3 isolates → one UPDATE per isolate, exactly 1 row written', async () => {
      const userId = 'redis-down-many';
      const token = await seed(userId);
      const isolates = await Promise.all(
        [1, 2, 3].map(() => book.worker(stack, { REDIS_TIMEOUT_MS: String(REDIS_BUDGET_MS) })),
      );
      await stack.upstash.setFault('down');
      stack.neon.resetStats();
      const responses = await Promise.all(
        isolates.flatMap((worker) =>
          Array.from({ length: 10 }, () => worker.fetch('/auth/verify', bearer(token))),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(30).fill(200));
      // Each isolate loads once (concurrent misses coalesce, then L1) and touches once without a marker.
      await eventually(
        async () => statements().UPDATE ?? 0,
        (n) => n === isolates.length,
      );
      expect(statements().SELECT).toBe(isolates.length);
      await eventually(
        () => stack.writes(userId),
        (n) => n >= 1,
      );
      // Every UPDATE has been sent; any still running is refused by its WHERE clause.
      expect(await stack.writes(userId)).toBe(1);
    });
  });

  describe('database', () => {
    const faults = [
      { name: 'down', slug: 'down', apply: () => stack.neon.setFault('down'), reached: 0, faulted: 0 },
      {
        name: `slower than DATABASE_TIMEOUT_MS (${SLOW_MS} ms > ${DB_BUDGET_MS} ms)`,
        slug: 'slow',
        apply: async () => stack.neon.setLatency(SLOW_MS),
        reached: 1,
        faulted: 0,
      },
      {
        name: 'answering SQL errors (57P01)',
        slug: 'error',
        apply: () => stack.neon.setFault('error'),
        reached: 1,
        faulted: 1,
      },
      {
        name: 'answering HTTP 500',
        slug: 'http500',
        apply: () => stack.neon.setFault('http500'),
        reached: 1,
        faulted: 1,
      },
    ];

    it.each(faults)(
      'database $name: cached sessions 200 (L1 and Redis), uncached 503 Retry-After: 1, never 401; recovers',
      async (fault) => {
        const inRedis = `db-${fault.slug}-redis`;
        const inL1 = `db-${fault.slug}-l1`;
        const cold = `db-${fault.slug}-cold`;
        const [redisToken, l1Token, coldToken] = await Promise.all([seed(inRedis), seed(inL1), seed(cold)]);
        // Another isolate caches one session in Redis; wait for its background work to finish.
        const other = await book.worker(stack);
        expect((await other.fetch('/auth/session', bearer(redisToken))).status).toBe(200);
        await eventually(
          () => stack.redis.exists(sessionKey(inRedis)),
          (n) => n === 1,
        );
        await eventually(
          () => stack.writes(inRedis),
          (n) => n === 1,
        );
        const worker = await book.worker(stack, {
          DATABASE_TIMEOUT_MS: String(DB_BUDGET_MS),
          L1_CACHE_TTL_SECONDS: '10',
        });
        expect((await worker.fetch('/auth/session', bearer(l1Token))).status).toBe(200);
        await eventually(
          () => stack.writes(inL1),
          (n) => n === 1,
        );

        await fault.apply();
        stack.neon.resetStats();
        const fromL1 = await worker.fetch('/auth/session', bearer(l1Token));
        expect(fromL1.status).toBe(200);
        expect(serverTiming(fromL1).cache?.desc).toBe('l1');
        const fromRedis = await worker.fetch('/auth/session', bearer(redisToken));
        expect(fromRedis.status).toBe(200);
        expect(serverTiming(fromRedis).cache?.desc).toBe('hit');
        // Both cached sessions were served without a round trip to the database.
        expect(stack.neon.stats().requests).toBe(0);

        for (const attempt of [1, 2]) {
          const res = await worker.fetch('/auth/session', bearer(coldToken));
          expect(res.status, `uncached attempt ${attempt}`).toBe(503);
          expect(res.headers.get('Retry-After')).toBe('1');
          expect(await res.json()).toEqual(DB_UNAVAILABLE);
          // Bounded by the budget, by the Worker's own clock (the whole request, token to answer).
          expect(serverTiming(res).total?.dur).toBeLessThan(DB_BUDGET_MS + MARGIN_MS);
        }
        // The failure is not cached: each uncached request asked the database once.
        expect(stack.neon.stats().requests).toBe(2 * fault.reached);
        expect(stack.neon.stats().faulted ?? 0).toBe(2 * fault.faulted);
        await lineWhere(worker, { status: 503, outcome: 'unavailable', error: 'dependency_unavailable' });
        await stderrMentions(worker, /database unavailable/);

        stack.neon.setLatency(0);
        await stack.neon.setFault('none');
        const back = await worker.fetch('/auth/session', bearer(coldToken));
        expect(back.status).toBe(200);
        expect(serverTiming(back).cache?.desc).toBe('miss');
        await eventually(
          () => stack.writes(cold),
          (n) => n === 1,
        );
      },
    );

    it('a touch the outage swallowed is written after recovery, exactly once', async () => {
      const userId = 'swallowed';
      const token = await seed(userId);
      // A first visit caches the session and touches last_login (write 1) …
      const first = await book.worker(stack);
      expect((await first.fetch('/auth/session', bearer(token))).status).toBe(200);
      await eventually(
        () => stack.writes(userId),
        (n) => n === 1,
      );
      await eventually(
        () => stack.redis.exists(sessionKey(userId)),
        (n) => n === 1,
      );
      // … then the interval passes: the marker expires, last_login is older than the interval.
      await stack.intervalPasses(userId, 300);

      await stack.neon.setFault('down');
      stack.upstash.resetStats();
      // No L1, so this same isolate may try again once the database is back.
      const worker = await book.worker(stack, { L1_CACHE_TTL_SECONDS: '0' });
      const during = await worker.fetch('/auth/session', bearer(token));
      expect(during.status).toBe(200);
      expect(serverTiming(during).cache?.desc).toBe('hit');
      // Claimed (SET NX), the UPDATE failed, given back (compare-and-delete EVAL).
      await eventually(
        async () => stack.upstash.stats().commands,
        (c) => c.EVAL === 1,
      );
      expect(stack.upstash.stats().commands).toEqual({ MGET: 1, SET: 1, EVAL: 1 });
      expect(await stack.redis.exists(`${stack.prefix}touch:${userId}`)).toBe(0);
      expect(await stack.writes(userId)).toBe(1);
      await lineWhere(worker, { status: 200, served: 'hit', touch: 'claim' });
      await stderrMentions(worker, /last_login touch failed/);

      await stack.neon.setFault('none');
      stack.neon.resetStats();
      expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(200);
      await eventually(
        () => stack.writes(userId),
        (n) => n === 2,
      );
      expect(statements()).toEqual({ UPDATE: 1 });
      // Still at most once per interval: another isolate finds the marker set and writes nothing.
      // (The decision is taken before answering: 'marked' means nothing was scheduled.)
      const another = await book.worker(stack);
      expect((await another.fetch('/auth/session', bearer(token))).status).toBe(200);
      expect(await worker.fetch('/auth/session', bearer(token)).then((r) => r.status)).toBe(200);
      await lineWhere(another, { status: 200, served: 'hit', touch: 'marked' });
      expect(another.logs.requests().map((l) => l.touch)).toEqual(['marked']);
      const decisions = await eventually(
        async () => worker.logs.requests().map((l) => l.touch),
        (touches) => touches.length === 3,
      );
      expect(decisions).toEqual(['claim', 'claim', 'marked']);
      expect(statements()).toEqual({ UPDATE: 1 });
      expect(await stack.writes(userId)).toBe(2);
    });
  });

  describe('Redis and database together', () => {
    const budgets = {
      REDIS_TIMEOUT_MS: String(REDIS_BUDGET_MS),
      DATABASE_TIMEOUT_MS: String(DB_BUDGET_MS),
    };

    it('both down: 503 for what needs them, an L1 hit still 200, /healthz 200; recovers in the same isolate', async () => {
      const inL1 = 'both-l1';
      const cold = 'both-cold';
      const [l1Token, coldToken] = await Promise.all([seed(inL1), seed(cold)]);
      const worker = await book.worker(stack, { ...budgets, L1_CACHE_TTL_SECONDS: '10' });
      expect((await worker.fetch('/auth/session', bearer(l1Token))).status).toBe(200);
      await eventually(
        () => stack.writes(inL1),
        (n) => n === 1,
      );

      await Promise.all([stack.upstash.setFault('down'), stack.neon.setFault('down')]);
      const fromL1 = await worker.fetch('/auth/session', bearer(l1Token));
      expect(fromL1.status).toBe(200);
      expect(serverTiming(fromL1).cache?.desc).toBe('l1');
      const res = await worker.fetch('/auth/verify', bearer(coldToken));
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('1');
      const health = await worker.fetch('/healthz');
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      await Promise.all([stack.upstash.setFault('none'), stack.neon.setFault('none')]);
      expect((await worker.fetch('/auth/verify', bearer(coldToken))).status).toBe(200);
    });

    /**
     * Readiness is answered from a per-isolate result up to READINESS_MAX_AGE_MS old, so each
     * state is read by a fresh isolate (nothing sleeps); the in-memory app test shows one
     * isolate moving from one state to the next as its clock passes the window.
     */
    const readyz = async (
      state: string,
      apply: () => Promise<unknown>,
      logged: { down: RegExp[]; up: RegExp[] },
    ) => {
      await apply();
      const worker = await book.worker(stack, budgets);
      const res = await worker.fetch('/readyz');
      const answer = {
        status: res.status,
        retryAfter: res.headers.get('Retry-After'),
        cacheControl: res.headers.get('Cache-Control'),
        body: await res.json(),
      };
      for (const pattern of logged.down) await stderrMentions(worker, pattern);
      await book.settle();
      for (const pattern of logged.up)
        expect(
          worker.logs.stderr().filter((l) => pattern.test(l)),
          `${state}: ${pattern}`,
        ).toEqual([]);
      return answer;
    };
    const READY = { status: 200, retryAfter: null, cacheControl: 'no-store', body: { status: 'ready' } };
    const NOT_READY = {
      status: 503,
      retryAfter: '1',
      cacheControl: 'no-store',
      body: { status: 'not_ready' },
    };
    const redisDown = /readiness: redis is down/;
    const databaseDown = /readiness: database is down/;

    it('/readyz without a token: 200 ready; 503 not_ready when either or both are down, which one only in the log; 200 after recovery', async () => {
      const none = { down: [], up: [redisDown, databaseDown] };
      expect(await readyz('healthy', async () => {}, none)).toEqual(READY);
      const redisOnly = { down: [redisDown], up: [databaseDown] };
      expect(await readyz('redis down', () => stack.upstash.setFault('down'), redisOnly)).toEqual(NOT_READY);
      const slow = () => Promise.all([stack.upstash.setFault('none'), stack.upstash.setLatency(SLOW_MS)]);
      // Past its budget counts as down.
      expect(await readyz('redis slow', slow, redisOnly)).toEqual(NOT_READY);
      const dbError = async () => {
        stack.upstash.setLatency(0);
        await stack.neon.setFault('error');
      };
      const databaseOnly = { down: [databaseDown], up: [redisDown] };
      expect(await readyz('database error', dbError, databaseOnly)).toEqual(NOT_READY);
      const bothDown = () => Promise.all([stack.upstash.setFault('down'), stack.neon.setFault('down')]);
      const both = { down: [redisDown, databaseDown], up: [] };
      expect(await readyz('both down', bothDown, both)).toEqual(NOT_READY);
      const recover = () => Promise.all([stack.upstash.setFault('none'), stack.neon.setFault('none')]);
      expect(await readyz('recovered', recover, none)).toEqual(READY);
    });

    it('/readyz: 20 concurrent and 10 repeated calls in one isolate cost one PING and one SELECT 1', async () => {
      const worker = await book.worker(stack, budgets);
      stack.upstash.resetStats();
      stack.neon.resetStats();
      const burst = await Promise.all(Array.from({ length: 20 }, () => worker.fetch('/readyz')));
      expect(burst.map((r) => r.status)).toEqual(Array(20).fill(200));
      for (let i = 0; i < 10; i++) expect((await worker.fetch('/readyz')).status).toBe(200);
      expect(stack.upstash.stats().commands).toEqual({ PING: 1 });
      expect(stack.neon.stats().statements).toEqual({ SELECT: 1 });
      // Within the window an outage is not probed for: the isolate answers from its result.
      await stack.upstash.setFault('error');
      expect((await worker.fetch('/readyz')).status).toBe(200);
      expect(stack.upstash.stats()).toMatchObject({ requests: 1, commands: { PING: 1 } });
      expect(stack.upstash.stats().faulted).toBeUndefined();
    });
  });

  describe('the key server (JWT_JWKS_URL)', () => {
    let keys: KeyServer;
    beforeAll(async () => {
      keys = await startKeyServer();
      Object.assign(secrets, keys.secrets());
    });
    afterEach(() => {
      keys.setFault('none');
      keys.setLatency(0);
    });
    afterAll(async () => {
      await keys?.close();
    });
    const remoteKeys = () => ({ JWT_SECRET: undefined, JWT_JWKS_URL: keys.url });

    /** A user and session, and tokens for them signed with the published key and with an unknown one. */
    async function seedSigned(userId: string) {
      await stack.user(userId);
      await stack.session(`s-${userId}`, userId);
      const known = await keys.sign(userId, `s-${userId}`);
      const unknown = await keys.signUnknown(userId, `s-${userId}`);
      keep(`ES256 token of ${userId}`, known);
      keep(`unknown-kid token of ${userId}`, unknown);
      return { known, unknown };
    }

    const outages = [
      { name: 'down', slug: 'down', apply: () => keys.setFault('down') },
      // Past jose's 5 s fetch timeout: a refetch would show in the token stage.
      { name: 'slow (6 s)', slug: 'slow', apply: () => keys.setLatency(6_000) },
    ];

    it.each(outages)(
      'key server $name: cached keys keep verifying; an unknown kid is 401 (not 503) with at most one refetch; recovers',
      async (outage) => {
        const userId = `keys-${outage.slug}`;
        const { known, unknown } = await seedSigned(userId);
        const worker = await book.worker(stack, remoteKeys());
        keys.resetRequests();
        expect((await worker.fetch('/auth/session', bearer(known))).status).toBe(200);
        expect(keys.requests()).toBe(1);

        outage.apply();
        keys.resetRequests();
        for (let i = 0; i < 3; i++)
          expect((await worker.fetch('/auth/session', bearer(known))).status).toBe(200);
        const refused = await Promise.all(
          Array.from({ length: 10 }, () => worker.fetch('/auth/session', bearer(unknown))),
        );
        for (const res of refused) {
          expect(res.status).toBe(401);
          expect(res.headers.get('WWW-Authenticate')).toContain('error="invalid_token"');
          expect(serverTiming(res).token?.dur).toBeLessThan(1_000);
        }
        // One cooldown window (30 s) covers the whole test: at most one refetch attempt.
        expect(keys.requests()).toBeLessThanOrEqual(1);
        await lineWhere(worker, { status: 401, outcome: 'unauthenticated', error: 'invalid_token' });

        keys.setFault('none');
        keys.setLatency(0);
        expect((await worker.fetch('/auth/session', bearer(known))).status).toBe(200);
      },
    );

    it('a cold isolate with the key server down: 503 Retry-After: 1, then 200 in the same isolate', async () => {
      const { known } = await seedSigned('keys-cold');
      keys.setFault('down');
      keys.resetRequests();
      const worker = await book.worker(stack, remoteKeys());
      const res = await worker.fetch('/auth/session', bearer(known));
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('1');
      expect(((await res.json()) as { error: string }).error).toBe('dependency_unavailable');
      expect(keys.requests()).toBeGreaterThanOrEqual(1);
      await lineWhere(worker, { status: 503, outcome: 'unavailable', error: 'dependency_unavailable' });

      keys.setFault('none');
      expect((await worker.fetch('/auth/session', bearer(known))).status).toBe(200);
    });
  });

  describe('earlier cases', () => {
    it('Redis unreachable: sessions are served from the database, nobody is logged out', async () => {
      const token = await seed('u-redis-down');
      const worker = await book.worker(stack, {
        UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
        REDIS_TIMEOUT_MS: '200',
      });
      stack.neon.resetStats();
      const res = await worker.fetch('/auth/session', bearer(token));
      expect(res.status).toBe(200);
      expect(res.headers.get('Server-Timing')).toMatch(/cache;dur=[\d.]+;desc="degraded", db;dur=/);
      expect(stack.neon.stats().statements.SELECT).toBe(1);
    });

    it('Redis up, database unreachable, cache cold: 503 with Retry-After, not 401', async () => {
      const token = await seed('u-db-down');
      const worker = await book.worker(stack, {
        NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql',
        DATABASE_TIMEOUT_MS: '500',
      });
      const res = await worker.fetch('/auth/session', bearer(token));
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('1');
      expect(await res.json()).toEqual(DB_UNAVAILABLE);
    });

    it('database unreachable but the session cached: still served', async () => {
      const token = await seed('u-cached');
      const healthy = await book.worker(stack);
      expect((await healthy.fetch('/auth/session', bearer(token))).status).toBe(200);
      await eventually(
        () => stack.redis.exists(sessionKey('u-cached')),
        (n) => n === 1,
      );
      const worker = await book.worker(stack, {
        NEON_FETCH_ENDPOINT: 'http://127.0.0.1:9/sql',
        DATABASE_TIMEOUT_MS: '500',
      });
      expect((await worker.fetch('/auth/session', bearer(token))).status).toBe(200);
    });

    it('a slow database is cut off by DATABASE_TIMEOUT_MS with a 503', async () => {
      const token = await seed('u-slow');
      const worker = await book.worker(stack, { DATABASE_TIMEOUT_MS: '100' });
      stack.neon.setLatency(1000);
      const res = await worker.fetch('/auth/session', bearer(token));
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual(DB_UNAVAILABLE);
    });

    it('bad configuration: one 500 naming every problem, never a value', async () => {
      const worker = await book.worker(stack, {
        UPSTASH_REDIS_REST_TOKEN: '',
        DATABASE_URL: 'mysql://root:hunter2@db/app',
        SESSION_CACHE_TTL_SECONDS: '900',
      });
      const res = await worker.fetch('/auth/session');
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('config_invalid');
      expect(body.message).toContain('UPSTASH_REDIS_REST_TOKEN is required');
      expect(body.message).toContain('DATABASE_URL must be a postgres or postgresql URL');
      expect(body.message).toContain('SESSION_CACHE_TTL_SECONDS must be a whole number from 0 to 300');
      expect(body.message).not.toContain('hunter2');
    });
  });

  it('secrets never appear: no captured log line of the fault runs holds a secret, key or token', async () => {
    await book.settle();
    const lines = book.lines();
    // The check means something only if the runs above were captured.
    expect(lines.filter((l) => l.stream === 'stdout').length).toBeGreaterThan(50);
    expect(lines.filter((l) => l.stream === 'stderr').length).toBeGreaterThan(10);
    expect(Object.keys(secrets).length).toBeGreaterThan(40);
    expect(leaks(lines, secrets)).toEqual([]);
  });
});
