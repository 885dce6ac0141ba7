// Local Upstash-compatible REST server: the `@upstash/redis` client talks to
// it unchanged, and it relays commands to a real Redis (or, as a development
// fallback only, to the in-memory engine). Adds round-trip counters and
// injectable latency so tests and benchmarks can see what the Worker costs,
// and injectable faults (down, errors, HTTP 500, rate limiting) so tests can
// see what it does when Upstash misbehaves, and a lagging read replica
// (./replica) so tests can see what a Global database's replicas answer.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createFaultSwitch, type FaultMode, type FaultOptions, faultedStat } from '../faults';
import {
  BodyTooLargeError,
  checkLatency,
  handleControl,
  listen,
  parseJson,
  readBody,
  sendJson,
  sleep,
} from '../http';
import { createTally } from '../stats';
import { bad, createCommandRoutes, type Outcome } from './commands';
import { EngineUnavailableError, type RedisEngine } from './engine';
import { createMemoryEngine } from './memory-engine';
import { createRedisEngine } from './redis-engine';
import { createReplica, type Replica, type ReplicaLag, SYNC_TOKEN_HEADER } from './replica';

/** Counters served at `GET /__stats`. One HTTP request is one round trip. */
export interface UpstashStats {
  /** Command requests that reached the server, faulted ones included. */
  requests: number;
  pipelines: number;
  transactions: number;
  /** Executed commands by upper-case name, e.g. `{ GET: 3, EVALSHA: 1 }` (never those a fault answered). */
  commands: Record<string, number>;
  /**
   * Requests answered by an injected fault (cut, error, 500, 429) instead of being run;
   * absent until a fault has answered one (healthy stats keep their shape).
   */
  faulted?: number;
}

/** The outages `setFault` can inject; see `FaultMode` in dev/faults.ts. */
export type UpstashFaultMode = FaultMode;

/** What Upstash answers (HTTP 429) when a database is over its request limit. */
export const THROTTLE_ERROR = 'ERR max requests limit exceeded. Limit: 10000, Usage: 10000';

/** What every command gets in 'error' mode. */
export const INJECTED_ERROR = 'ERR injected';

/** A running local Upstash server. */
export interface UpstashServer {
  /** Base URL for `new Redis({ url })`, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  port: number;
  /** What executes the commands: a real Redis or the in-memory fallback. */
  kind: RedisEngine['kind'];
  stats(): UpstashStats;
  resetStats(): void;
  /** Delay added to every command request before it is answered. */
  setLatency(ms: number): void;
  /**
   * Injects an outage ('none' restores, on the same port). Also `POST /__fault {"mode", "forMs"?}`.
   * @example await upstash.setFault('throttle'); … await upstash.setFault('none');
   */
  setFault(mode: UpstashFaultMode, options?: FaultOptions): Promise<void>;
  /** The fault now in force. */
  fault(): UpstashFaultMode;
  /**
   * The lagging read replica (dev/upstash/replica.ts), off unless set; also `/__replica`.
   * @example upstash.replica.setLag({ mode: 'manual' }); … upstash.replica.sync();
   */
  replica: Pick<Replica, 'lag' | 'setLag' | 'sync' | 'pending'>;
  close(): Promise<void>;
}

/** `redisUrl` that selects a fresh in-memory engine (what `ensureRedis` returns when it finds no Redis). */
export const MEMORY_REDIS_URL = 'memory://';

/** Options for `startUpstashServer`. Give `redisUrl` or `engine`. */
export interface UpstashServerOptions {
  /**
   * Relay to this Redis (redis://…); the server owns and closes that connection.
   * MEMORY_REDIS_URL gives the server its own in-memory engine instead (development fallback).
   */
  redisUrl?: string;
  /** Or run on this engine (e.g. the in-memory one); the caller closes it. */
  engine?: RedisEngine;
  /** Bearer token clients must present. */
  token: string;
  /** Default 127.0.0.1: the control routes have no auth. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 0. */
  latencyMs?: number;
  /** Reads from a lagging replica; default off. */
  replica?: ReplicaLag;
}

const FAULT_MODES: readonly UpstashFaultMode[] = ['none', 'down', 'error', 'http500', 'throttle'];

/** Compares digests so the check takes the same time whatever the token's length or content. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header ?? ''), digest(`Bearer ${token}`));
}

/**
 * Starts the server and resolves once it listens.
 * @example const upstash = await startUpstashServer({ redisUrl: 'redis://127.0.0.1:6379', token: 't' });
 * const redis = new Redis({ url: upstash.url, token: 't', enableTelemetry: false });
 */
export async function startUpstashServer(opts: UpstashServerOptions): Promise<UpstashServer> {
  if (!opts.token) throw new TypeError('startUpstashServer: token must be a non-empty string');
  if (!opts.engine && !opts.redisUrl) throw new TypeError('startUpstashServer: give redisUrl or engine');
  const engine =
    opts.engine ??
    (opts.redisUrl === MEMORY_REDIS_URL ? createMemoryEngine() : createRedisEngine(opts.redisUrl as string));
  const ownsEngine = !opts.engine;
  const token = opts.token;
  let latencyMs = checkLatency(opts.latencyMs ?? 0);
  const counts = { requests: 0, pipelines: 0, transactions: 0 };
  const commands = createTally();
  const replica = createReplica(engine);
  if (opts.replica) replica.setLag(opts.replica);

  const count = (cmds: string[][]) => {
    for (const args of cmds) commands.add(args[0]?.toUpperCase() ?? '');
  };

  const routes = createCommandRoutes({ replica, count });

  async function dispatch(req: IncomingMessage, path: string): Promise<Outcome> {
    if (!tokenMatches(req.headers.authorization, token)) return bad('Unauthorized', 401);
    const body = parseJson(await readBody(req));
    if (body === undefined) return bad('ERR failed to parse the request body as JSON');
    const base64 = String(req.headers['upstash-encoding']).toLowerCase() === 'base64';
    if (faults.mode() === 'error') {
      faults.count();
      // A pipeline answers per command, as Redis would if every command failed.
      if (path === '/pipeline' && Array.isArray(body))
        return { status: 200, body: body.map(() => ({ error: INJECTED_ERROR })) };
      return bad(INJECTED_ERROR);
    }
    const sync = req.headers[SYNC_TOKEN_HEADER];
    const route =
      path === '/pipeline' ? routes.pipeline : path === '/multi-exec' ? routes.transaction : routes.one;
    return route(body, base64, typeof sync === 'string' ? sync : undefined);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (await faults.handleControl(req, res, path)) return;
    if (await replica.handleControl(req, res, path)) return;
    if (await handleControl(req, res, path, server)) return;
    if (req.method !== 'POST' || !['/', '/pipeline', '/multi-exec'].includes(path)) {
      sendJson(res, 404, {
        error: `ERR no route ${req.method} ${path} (use POST /, /pipeline or /multi-exec)`,
      });
      return;
    }
    counts.requests++;
    if (path === '/pipeline') counts.pipelines++;
    if (path === '/multi-exec') counts.transactions++;
    await sleep(latencyMs);
    // Faults at the front door come before the token check, as a gateway's would.
    if (faults.intercept(req, res)) return;
    if (faults.mode() === 'throttle') {
      faults.count();
      sendJson(res, 429, { error: THROTTLE_ERROR });
      return;
    }
    const { status, body, syncToken } = await dispatch(req, path);
    if (syncToken) res.setHeader(SYNC_TOKEN_HEADER, syncToken);
    sendJson(res, status, body);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // The client gave up (its own timeout): nobody is left to answer, and it is not our failure.
      if (req.socket.destroyed) return;
      if (err instanceof BodyTooLargeError) sendJson(res, 413, { error: `ERR ${err.message}` });
      else if (err instanceof EngineUnavailableError) sendJson(res, 503, { error: `ERR ${err.message}` });
      else {
        console.error('[upstash-local] internal error:', err instanceof Error ? err.message : err);
        if (!res.headersSent) sendJson(res, 500, { error: 'ERR internal error in the local Upstash server' });
      }
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(http, host, opts.port ?? 0);
  const faults = createFaultSwitch(http, { host, port, modes: FAULT_MODES });

  const server: UpstashServer = {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    kind: engine.kind,
    stats: () => ({ ...counts, commands: commands.snapshot(), ...faultedStat(faults.faulted()) }),
    resetStats() {
      counts.requests = 0;
      counts.pipelines = 0;
      counts.transactions = 0;
      commands.reset();
      faults.resetCount();
    },
    setLatency(ms) {
      latencyMs = checkLatency(ms);
    },
    setFault: (mode, options) => faults.set(mode, options),
    fault: () => faults.mode(),
    replica,
    async close() {
      await faults.close();
      if (ownsEngine) await engine.close();
    },
  };
  return server;
}
