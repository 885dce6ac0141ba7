// Local Neon-compatible SQL-over-HTTP server: `neon()` from
// @neondatabase/serverless talks to it unchanged (via neonConfig.fetchEndpoint)
// and it runs each statement on a real PostgreSQL with the extended protocol,
// returning Postgres's text output. Adds statement counters, injectable
// latency so tests can assert how many UPDATEs the Worker sends, and
// injectable faults (down, SQL errors, HTTP 500) for outage tests.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import pg, { type CustomTypesConfig, type QueryArrayConfig } from 'pg';
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
import { createPools, type Upstream } from './pools';
import {
  BadRequest,
  beginStatement,
  errorBody,
  parseSqlRequest,
  parseTarget,
  resultBody,
  type SqlQuery,
  statementKind,
} from './wire';

/** Counters served at `GET /__stats`. */
export interface NeonStats {
  /** HTTP requests to /sql (round trips), faulted ones included. */
  requests: number;
  /** User statements received, single or inside transactions (not the server's own BEGIN/COMMIT). */
  queries: number;
  /** Transaction (batch) requests. */
  transactions: number;
  /** User statements by first keyword, e.g. `{ SELECT: 2, UPDATE: 1 }` (never those a fault answered). */
  statements: Record<string, number>;
  /**
   * Requests answered by an injected fault (cut, SQL error, 500) instead of being run;
   * absent until a fault has answered one (healthy stats keep their shape).
   */
  faulted?: number;
}

/** The outages `setFault` can inject (Neon has no rate-limit answer); see dev/faults.ts. */
export type NeonFaultMode = Exclude<FaultMode, 'throttle'>;

const FAULT_MODES: readonly NeonFaultMode[] = ['none', 'down', 'error', 'http500'];

/**
 * What every statement gets in 'error' mode: Postgres's answer when the server
 * is shutting down (SQLSTATE 57P01), in Neon's HTTP 400 error shape.
 */
export const INJECTED_ERROR_BODY = {
  message: 'terminating connection due to administrator command',
  code: '57P01',
  severity: 'FATAL',
} as const;

/** A running local Neon server. */
export interface NeonServer {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** `${url}/sql`, for `neonConfig.fetchEndpoint`. */
  endpoint: string;
  port: number;
  stats(): NeonStats;
  resetStats(): void;
  /** Delay added to every /sql request before it is answered. */
  setLatency(ms: number): void;
  /**
   * Injects an outage ('none' restores, on the same port). Also `POST /__fault {"mode", "forMs"?}`.
   * @example await neonLocal.setFault('down'); … await neonLocal.setFault('none');
   */
  setFault(mode: NeonFaultMode, options?: FaultOptions): Promise<void>;
  /** The fault now in force. */
  fault(): NeonFaultMode;
  close(): Promise<void>;
}

/** Options for `startNeonServer`. */
export interface NeonServerOptions {
  /** The real PostgreSQL; the database and user come from each request's Neon-Connection-String. */
  upstream: Upstream;
  /** Default 127.0.0.1: the control routes have no auth. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Default 0. */
  latencyMs?: number;
}

// Every value stays Postgres's text output: the client parses by dataTypeID itself.
const rawText = (value: string) => value;
const RAW_TYPES = { getTypeParser: (() => rawText) as CustomTypesConfig['getTypeParser'] };

/** Neon runs one statement per query, so always use the extended protocol (pg would use the simple one without params). */
function queryConfig(q: SqlQuery): QueryArrayConfig & { queryMode: 'extended' } {
  return { text: q.query, values: q.params, rowMode: 'array', types: RAW_TYPES, queryMode: 'extended' };
}

/** Connection-level failures (refused, timed out, dropped): never the client's fault, never with details. */
function isUpstreamFailure(err: unknown): boolean {
  return !(err instanceof pg.DatabaseError) && !(err instanceof BadRequest);
}

/**
 * Starts the server and resolves once it listens.
 * @example const neonLocal = await startNeonServer({ upstream: { host: '127.0.0.1', port: 5432 } });
 * neonConfig.fetchEndpoint = neonLocal.endpoint;
 */
export async function startNeonServer(opts: NeonServerOptions): Promise<NeonServer> {
  const pools = createPools(opts.upstream);
  let latencyMs = checkLatency(opts.latencyMs ?? 0);
  const counts = { requests: 0, queries: 0, transactions: 0 };
  const statements = createTally();

  const count = (queries: SqlQuery[]) => {
    for (const q of queries) statements.add(statementKind(q.query));
    counts.queries += queries.length;
  };

  async function runTransaction(pool: pg.Pool, headers: IncomingHttpHeaders, queries: SqlQuery[]) {
    const begin = beginStatement(headers);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(begin);
      const results = [];
      for (const q of queries) results.push(resultBody(await client.query(queryConfig(q))));
      await client.query('COMMIT');
      return { results };
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: Error) => {
        broken = rollbackErr; // the connection is unusable: drop it instead of pooling it
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async function handleSql(req: IncomingMessage, res: ServerResponse): Promise<void> {
    counts.requests++;
    await sleep(latencyMs);
    if (faults.intercept(req, res)) return;
    const body = parseJson(await readBody(req));
    if (faults.mode() === 'error') {
      faults.count();
      sendJson(res, 400, INJECTED_ERROR_BODY);
      return;
    }
    if (body === undefined) throw new BadRequest('request body is not valid JSON');
    const request = parseSqlRequest(body);
    const pool = pools.get(parseTarget(req.headers));
    if (request.kind === 'query') {
      count([request.query]);
      sendJson(res, 200, resultBody(await pool.query(queryConfig(request.query))));
    } else {
      counts.transactions++;
      count(request.queries);
      sendJson(res, 200, await runTransaction(pool, req.headers, request.queries));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (await faults.handleControl(req, res, path)) return;
    if (await handleControl(req, res, path, server)) return;
    if (req.method !== 'POST' || path !== '/sql') {
      sendJson(res, 404, { message: `no route ${req.method} ${path} (use POST /sql)` });
      return;
    }
    await handleSql(req, res);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Already answered, or the client gave up (its own timeout): nobody is left to answer.
      if (res.headersSent || req.socket.destroyed) return;
      if (err instanceof pg.DatabaseError) sendJson(res, 400, errorBody(err));
      else if (err instanceof BadRequest) sendJson(res, 400, { message: err.message });
      else if (err instanceof BodyTooLargeError) sendJson(res, 413, { message: err.message });
      else if (isUpstreamFailure(err)) {
        // pg's messages can name hosts; the client only needs to know the database is unreachable.
        sendJson(res, 502, { message: 'local Neon server: upstream PostgreSQL is unreachable' });
      }
    });
  });
  const host = opts.host ?? '127.0.0.1';
  const port = await listen(http, host, opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const faults = createFaultSwitch(http, { host, port, modes: FAULT_MODES });

  const server: NeonServer = {
    url,
    endpoint: `${url}/sql`,
    port,
    stats: () => ({ ...counts, statements: statements.snapshot(), ...faultedStat(faults.faulted()) }),
    resetStats() {
      counts.requests = 0;
      counts.queries = 0;
      counts.transactions = 0;
      statements.reset();
      faults.resetCount();
    },
    setLatency(ms) {
      latencyMs = checkLatency(ms);
    },
    setFault: (mode, options) => faults.set(mode, options),
    fault: () => faults.mode(),
    async close() {
      await faults.close();
      await pools.close();
    },
  };
  return server;
}
