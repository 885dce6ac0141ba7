import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { exportJWK, generateKeyPair, importJWK, type JWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckContext,
  checkExchange,
  describeCounterexample,
  type Exchange,
  type Focus,
  type FuzzRequest,
  FuzzStats,
  FuzzWorld,
  fuzzArbitraries,
  fuzzSettings,
  type OriginRecord,
  type Outage,
  PUBLIC_PATHS,
  saveCounterexample,
  WORLD_SESSIONS,
  WORLD_USERS,
} from './support/fuzz-arbitraries';
import { captureLogs, type IsolateLogs } from './support/logs';
import { type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * Property-based fuzzing of the bundled Worker in workerd on real Redis and
 * PostgreSQL, behind the echo origin that records every header it receives.
 * One isolate per dependency state: healthy (with its L1), Redis down,
 * database down, both down (no L1, so a logout elsewhere is seen at once).
 * Requests the HTTP client (undici) refuses to send, and methods workerd's
 * HTTP server rejects before any Worker runs, are counted apart: they never
 * reached edge-auth. `FUZZ_SEED` / `FUZZ_RUNS` override the fixed defaults.
 */
const settings = fuzzSettings(20_261_201, 2_000);

type Worker = Awaited<ReturnType<Stack['worker']>>;

describe('fuzzing the bundled Worker in workerd', () => {
  let stack: Stack;
  let workers: Record<Outage, Worker>;
  let context: CheckContext;
  const world = new FuzzWorld();
  const isolateLogs: IsolateLogs[] = [];
  /** Credentials sent (bearer tokens and cookie values long enough to be tokens), to look for in the logs. */
  const credentials = new Set<string>();
  let signingKey = '';

  beforeAll(async () => {
    stack = await startStack();
    await seed(stack);
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const key: JWK = await exportJWK(privateKey);
    const { d: _, ...publicJwk } = key;
    const publicKey = await importJWK({ ...publicJwk, alg: 'ES256' }, 'ES256');
    const dead = await closedPort();
    const common = { PUBLIC_PATHS: PUBLIC_PATHS.join(','), ASSERTION_SIGNING_KEY: JSON.stringify(key) };
    const deadRedis = { UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${dead}`, L1_CACHE_TTL_SECONDS: '0' };
    const deadDatabase = { NEON_FETCH_ENDPOINT: `http://127.0.0.1:${dead}/sql`, L1_CACHE_TTL_SECONDS: '0' };
    // Every line the isolates print is kept (not shown: thousands would drown the output) and
    // scanned for secrets and tokens once the run is over.
    signingKey = String(key.d);
    const captured = (overrides: Record<string, string>) => {
      const logs = captureLogs();
      isolateLogs.push(logs);
      return stack.workerWith(overrides, { handleRuntimeStdio: logs.handleRuntimeStdio });
    };
    const [none, redis, database, both] = await Promise.all([
      captured(common),
      captured({ ...common, ...deadRedis }),
      captured({ ...common, ...deadDatabase }),
      captured({ ...common, ...deadRedis, ...deadDatabase }),
    ]);
    workers = { none, redis, database, both };
    context = {
      world,
      secret: TEST_SECRET,
      publicPaths: PUBLIC_PATHS,
      forwardedHost: 'edge.test',
      runtimeClientIp: '127.0.0.1',
      // Header bytes are read as UTF-8 in workerd and sent on as UTF-8; node's origin reads Latin-1.
      runtimeHeaderText: (sent) =>
        Buffer.from(new TextDecoder().decode(Buffer.from(sent, 'latin1')), 'utf8').toString('latin1'),
      verifyAssertion: async (assertion) =>
        (
          await jwtVerify(assertion, publicKey, {
            issuer: 'edge-auth',
            audience: stack.origin.url,
            algorithms: ['ES256'],
          })
        ).payload,
    };
    console.log(
      `[fuzz] workerd layer: seed ${settings.seed}, ${settings.total} cases (FUZZ_SEED, FUZZ_RUNS)`,
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** Sessions revoked so far, as the database says. */
  const revokedSoFar = new Set<string>();
  async function newlyRevoked(): Promise<string[]> {
    const { rows } = await stack.pool.query<{ id: string }>(
      'SELECT id FROM sessions WHERE revoked_at IS NOT NULL AND id = ANY($1)',
      [WORLD_SESSIONS.filter((s) => s.state === 'live').map((s) => s.id)],
    );
    const fresh = rows.map((r) => r.id).filter((id) => !revokedSoFar.has(id));
    for (const id of fresh) revokedSoFar.add(id);
    return fresh;
  }

  type Outcome = { refused: string } | { exchange: Exchange; problems: string[] };

  /** Sends one request through the isolate of its outage and checks every invariant. */
  async function exchange(req: FuzzRequest): Promise<Outcome> {
    for (const [name, value] of req.headers) {
      const lower = name.toLowerCase();
      const parts =
        lower === 'authorization' ? value.split(/\s+/) : lower === 'cookie' ? value.split(/[;=]/) : [];
      for (const part of parts) if (part.trim().length >= 24) credentials.add(part.trim());
    }
    const init: RequestInit = {
      method: req.method,
      headers: req.headers,
      ...(req.body === null ? {} : { body: req.body }),
    };
    let sent: Headers;
    let method: string;
    try {
      const request = new Request(`http://edge.test${req.path}`, init);
      sent = new Headers(request.headers);
      method = request.method;
    } catch (err) {
      return { refused: `client: ${refusal(err)}` };
    }
    const before = stack.origin.seen.length;
    let response: Awaited<ReturnType<Worker['fetch']>>;
    try {
      response = await workers[req.outage].fetch(req.path, init);
    } catch (err) {
      // undici validates header bytes and framing headers only when it sends.
      const cause = (err as { cause?: unknown }).cause;
      if (
        cause instanceof Error &&
        (cause.name === 'InvalidArgumentError' || cause.name === 'NotSupportedError')
      ) {
        return { refused: `undici: ${refusal(cause)}` };
      }
      // Past its header limit workerd answers 431 and closes at once; a body still being
      // written then fails with a reset. The Worker never saw the request.
      const code = (cause as { code?: unknown } | undefined)?.code;
      if ((code === 'ECONNRESET' || code === 'EPIPE') && headerBytes(req) > WORKERD_HEADER_LIMIT) {
        return { refused: 'workerd: headers too large (reset while the body was sent)' };
      }
      throw err;
    }
    const body = await response.text();
    const origin: OriginRecord[] = stack.origin.seen.slice(before).map((seen) => ({
      path: seen.url.split('?')[0] ?? '',
      headers: Object.entries(seen.headers).map(([name, value]): [string, string] => [
        name,
        Array.isArray(value) ? value.join(', ') : String(value),
      ]),
    }));
    // workerd's HTTP server rejects methods it does not know before any Worker runs.
    if (
      response.status === 501 &&
      body.startsWith('ERROR: Unrecognized request method') &&
      origin.length === 0
    ) {
      return { refused: 'workerd: unknown method' };
    }
    const ex: Exchange = {
      request: req,
      method,
      sent,
      response: { status: response.status, headers: [...response.headers], body },
      origin,
      revoked: await newlyRevoked(),
    };
    const problems = await checkExchange(ex, context);
    for (const sid of ex.revoked) world.markRevoked(sid, req.outage === 'redis' || req.outage === 'both');
    return { exchange: ex, problems };
  }

  /**
   * One case. A logout is a scenario: the credentials are used first (so
   * caches hold the live session), then the logout; after a revocation the
   * same credentials are tried at once on every isolate.
   */
  async function run(req: FuzzRequest): Promise<Outcome> {
    const problems: string[] = [];
    const logout =
      req.method === 'POST' && URL.parse(`http://edge.test${req.path}`)?.pathname === '/auth/logout';
    if (logout) {
      const first = await exchange({ ...req, method: 'GET', path: '/auth/session', body: null });
      if ('problems' in first) problems.push(...first.problems.map((p) => `GET /auth/session first: ${p}`));
    }
    const outcome = await exchange(req);
    if (!('problems' in outcome)) return outcome;
    problems.push(...outcome.problems);
    if (outcome.exchange.revoked.length > 0 && problems.length === 0) {
      for (const outage of Object.keys(workers) as Outage[]) {
        const probe = await exchange({ ...req, method: 'GET', path: '/auth/session', body: null, outage });
        if ('problems' in probe)
          problems.push(...probe.problems.map((p) => `then on the ${outage} isolate: ${p}`));
      }
    }
    return { exchange: outcome.exchange, problems };
  }

  /** Share of the total per focus: everything mixed, then identity spellings and paths through the real stack. */
  const PLAN: [Focus, number][] = [
    ['mixed', 1_000],
    ['headers', 500],
    ['paths', 500],
  ];
  for (const [index, [focus, share]] of PLAN.entries()) {
    const runs = settings.runs(share);
    const seed = settings.seed + index;
    it(
      `${focus}: ${runs} hostile requests through workerd keep every invariant (seed ${seed})`,
      async () => {
        const stats = new FuzzStats();
        const arbs = fuzzArbitraries({
          secret: TEST_SECRET,
          cookieName: 'session',
          maxPathLength: 12_000,
          transport: 'http',
        });
        const result = await fc.check(
          fc.asyncProperty(arbs.request(focus), async (request) => {
            const outcome = await run(request);
            if ('refused' in outcome) {
              stats.refuse(outcome.refused);
              return;
            }
            stats.record(outcome.exchange);
            if (outcome.problems.length > 0)
              throw new Error(describeCounterexample(request, outcome.problems));
          }),
          { seed, numRuns: runs },
        );
        console.log(`[fuzz] workerd ${focus} (seed ${seed}): ${stats.summary()}`);
        if (result.failed) {
          const [request] = result.counterexample ?? [];
          const file = request ? saveCounterexample(`workerd-${focus}-${seed}`, request) : 'none';
          const message =
            result.errorInstance instanceof Error
              ? result.errorInstance.message
              : String(result.errorInstance);
          throw new Error(
            `${focus}: failed after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath}), ` +
              `shrunk ${result.numShrinks} times (exact case: ${file}):\n${message}`,
          );
        }
        expect(stats.cases).toBeGreaterThan(runs * 0.75);
        expect(stats.identityForwarded + stats.publicForwarded).toBeGreaterThan(runs * 0.05);
        expect(stats.byStatus.get(401) ?? 0).toBeGreaterThan(runs * 0.1);
      },
      Math.max(60_000, runs * 100),
    );
  }

  it('no line any isolate printed during the run holds a secret, a key or a token sent', () => {
    const lines = isolateLogs.flatMap((logs) => [...logs.stdout(), ...logs.stderr()]);
    expect(lines.length).toBeGreaterThan(1_000); // the request lines really were captured
    const secrets = [TEST_SECRET, signingKey, stack.env().UPSTASH_REDIS_REST_TOKEN!, stack.db.url];
    expect(credentials.size).toBeGreaterThan(100);
    const leaks = lines.filter(
      (line) => secrets.some((s) => line.includes(s)) || [...credentials].some((c) => line.includes(c)),
    );
    expect(leaks).toEqual([]);
  });
});

/** Creates the world's users and sessions in the stack's database. */
async function seed(stack: Stack): Promise<void> {
  await stack.pool.query(
    `INSERT INTO users (id, username, email, first_name, last_name, is_staff, is_active, is_superuser)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bool[], $8::bool[])`,
    [
      WORLD_USERS.map((u) => u.id),
      WORLD_USERS.map((u) => u.username),
      WORLD_USERS.map((u) => u.email),
      WORLD_USERS.map(() => 'Ada'),
      WORLD_USERS.map(() => 'Lovelace'),
      WORLD_USERS.map((u) => u.isStaff),
      WORLD_USERS.map((u) => u.isActive),
      WORLD_USERS.map((u) => u.isSuperuser),
    ],
  );
  await stack.pool.query(
    `INSERT INTO sessions (id, user_id, expires_at, revoked_at)
     SELECT id, user_id,
            CASE WHEN state = 'expired' THEN now() - interval '1 hour' ELSE now() + interval '1 year' END,
            CASE WHEN state = 'revoked' THEN now() END
     FROM unnest($1::text[], $2::text[], $3::text[]) AS s(id, user_id, state)`,
    [
      WORLD_SESSIONS.map((s) => s.id),
      WORLD_SESSIONS.map((s) => s.userId),
      WORLD_SESSIONS.map((s) => s.state),
    ],
  );
}

/** A loopback port nothing listens on: a dependency that refuses connections. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A refusal's reason without the values in it (names of headers are kept). */
function refusal(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const header = /^invalid (\S+) header$/.exec(message)?.[1];
  if (header)
    return HOP_BY_HOP.has(header) ? `refuses to send ${header}` : 'a byte it does not send in a header';
  if (message.includes('ByteString')) return 'a character beyond Latin-1';
  if (/invalid header name/.test(message)) return 'an invalid header name';
  if (/invalid header value/.test(message)) return 'an invalid header value';
  if (/HTTP method is unsupported/.test(message)) return 'a forbidden method';
  if (/is not a valid HTTP method/.test(message)) return 'an invalid method';
  return message.slice(0, 80);
}

/** Framing headers undici decides itself and refuses from the caller. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'transfer-encoding',
  'expect',
  'proxy-connection',
]);

/** workerd's limit on a request's headers (it answers 431 above it). */
const WORKERD_HEADER_LIMIT = 128 * 1024;

function headerBytes(req: FuzzRequest): number {
  return req.headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
}
