import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { startEchoOrigin } from '../../../dev/origin';
import type { Env } from '../../../src/env';
import { captureLogs, type IsolateLogs } from '../logs';
import { type Stack, TEST_SECRET } from '../stack';
import { configEnv, type FuzzConfig } from './configs';
import type { Exchange, FuzzRequest, OriginRecord, Outage } from './exchange';
import { checkExchange } from './oracle/check';
import type { CheckContext } from './oracle/context';
import { PUBLIC_PATHS } from './paths';
import { closedPort, headerBytes, refusal, seed, WORKERD_HEADER_LIMIT } from './workerd-support';
import { FuzzWorld, WORLD_SESSIONS } from './world';

type Worker = Awaited<ReturnType<Stack['worker']>>;
/** Where the fuzzers reach the Worker. */
export const WORKERD_ORIGIN = 'http://edge.test';
/** A case the HTTP client or workerd's HTTP server would not deliver, with why. */
export type Outcome = { refused: string } | { exchange: Exchange; problems: string[] };

/**
 * The bundled Worker in workerd on the stack's real Redis and PostgreSQL
 * (seeded with the world), behind an echo origin that records every header
 * it receives and answers with each request's `answer` headers. One isolate
 * per dependency state (healthy with its L1; Redis, database, both down
 * without), for one config at a time (`use`).
 *
 * @example
 * const h = await workerdHarness(stack);
 * await h.use(DEFAULT_CONFIG);
 * const outcome = await h.run(request); // { refused } or { exchange, problems }
 */
export async function workerdHarness(stack: Stack) {
  await seed(stack);
  const world = new FuzzWorld();
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const signingKey = await exportJWK(privateKey);
  let answer: [string, string][] = [];
  const origin = await startEchoOrigin({ answerHeaders: () => Object.fromEntries(answer) });
  const dead = await closedPort();
  const deadRedis = { UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${dead}`, L1_CACHE_TTL_SECONDS: '0' };
  const deadDatabase = { NEON_FETCH_ENDPOINT: `http://127.0.0.1:${dead}/sql`, L1_CACHE_TTL_SECONDS: '0' };
  /** Every line the isolates print, kept (not shown) and scanned for secrets once the run is over. */
  const isolateLogs: IsolateLogs[] = [];
  /** Credentials sent (bearer tokens and cookie values long enough to be tokens), to look for in the logs. */
  const credentials = new Set<string>();
  let workers: Record<Outage, Worker> | undefined;
  /** Each isolate's `host:port`: the `Host` its Worker sees. */
  const hosts: Record<Outage, string> = { none: '', redis: '', database: '', both: '' };
  let running: string | undefined;
  let context: CheckContext | undefined;
  const verifyAssertion = async (assertion: string) =>
    (
      await jwtVerify(assertion, publicKey, {
        issuer: 'edge-auth',
        audience: origin.url,
        algorithms: ['ES256'],
      })
    ).payload;
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

  /** Sends one request through the isolate of its outage and checks every invariant. */
  async function exchange(req: FuzzRequest): Promise<Outcome> {
    if (!workers || !context) throw new Error('use() a config first');
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
      const request = new Request(`${WORKERD_ORIGIN}${req.path}`, init);
      sent = new Headers(request.headers);
      method = request.method;
    } catch (err) {
      return { refused: `client: ${refusal(err)}` };
    }
    // As the Worker gets them: workerd drops empty headers, and `Host` is its socket's (undici sets it).
    for (const [name, value] of [...sent]) if (value === '') sent.delete(name);
    sent.set('host', hosts[req.outage]);
    const before = origin.seen.length;
    answer = req.answer ?? [];
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
    const records: OriginRecord[] = origin.seen.slice(before).map((seen) => ({
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
      records.length === 0
    ) {
      return { refused: 'workerd: unknown method' };
    }
    const ex: Exchange = {
      request: req,
      method,
      sent,
      response: { status: response.status, headers: [...response.headers], body },
      origin: records,
      revoked: await newlyRevoked(),
    };
    const problems = await checkExchange(ex, context);
    for (const sid of ex.revoked) world.markRevoked(sid, req.outage === 'redis' || req.outage === 'both');
    return { exchange: ex, problems };
  }

  return {
    world,
    origin,
    isolateLogs,
    credentials,
    /** What must never show in a log line: the secrets the isolates were given. */
    secrets: () => [
      TEST_SECRET,
      String(signingKey.d),
      stack.env().UPSTASH_REDIS_REST_TOKEN ?? '',
      stack.db.url,
    ],

    /** Runs the next cases on isolates of `config` (those of the previous config are disposed). */
    async use(config: FuzzConfig): Promise<void> {
      const key = JSON.stringify(config);
      if (running === key) return;
      await Promise.all(Object.values(workers ?? {}).map((w) => w.dispose()));
      const common = {
        PUBLIC_PATHS: PUBLIC_PATHS.join(','),
        ...configEnv(config, { originUrl: origin.url, assertionKey: JSON.stringify(signingKey) }),
      };
      const captured = (overrides: Partial<Env>) => {
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
      for (const outage of Object.keys(workers) as Outage[])
        hosts[outage] = (await workers[outage].mf.ready).host;
      running = key;
      context = {
        world,
        secret: TEST_SECRET,
        publicPaths: PUBLIC_PATHS,
        cookieName: 'session',
        config,
        ownOrigin: WORKERD_ORIGIN,
        runtimeClientIp: '127.0.0.1',
        // Header bytes are read as UTF-8 in workerd and sent on as UTF-8; node's origin reads Latin-1.
        seenByWorker: (sent) => new TextDecoder().decode(Buffer.from(sent, 'latin1')),
        seenByOrigin: (forwarded) => Buffer.from(forwarded, 'utf8').toString('latin1'),
        ...(config.assertion ? { verifyAssertion } : {}),
      };
    },

    /**
     * One case. A logout is a scenario: the credentials are used first (so
     * caches hold the live session), then the logout; after a revocation the
     * same credentials are tried at once on every isolate.
     */
    async run(req: FuzzRequest): Promise<Outcome> {
      const problems: string[] = [];
      const logout =
        req.method === 'POST' && URL.parse(`${WORKERD_ORIGIN}${req.path}`)?.pathname === '/auth/logout';
      if (logout) {
        const first = await exchange({ ...req, method: 'GET', path: '/auth/session', body: null });
        if ('problems' in first) problems.push(...first.problems.map((p) => `GET /auth/session first: ${p}`));
      }
      const outcome = await exchange(req);
      if (!('problems' in outcome)) return outcome;
      problems.push(...outcome.problems);
      if (outcome.exchange.revoked.length > 0 && problems.length === 0) {
        for (const outage of Object.keys(workers ?? {}) as Outage[]) {
          const probe = await exchange({ ...req, method: 'GET', path: '/auth/session', body: null, outage });
          if ('problems' in probe)
            problems.push(...probe.problems.map((p) => `then on the ${outage} isolate: ${p}`));
        }
      }
      return { exchange: outcome.exchange, problems };
    },

    async stop(): Promise<void> {
      await Promise.all(Object.values(workers ?? {}).map((w) => w.dispose()));
      await origin.close();
    },
  };
}
