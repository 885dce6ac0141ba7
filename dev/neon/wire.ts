// Neon SQL-over-HTTP wire rules: request parsing (body and Neon-* headers),
// how results and errors are shaped for `neon()`, and statement kinds for stats.
import type { IncomingHttpHeaders } from 'node:http';
import type { DatabaseError, FieldDef, QueryResult } from 'pg';

/** One statement as the client sends it; params are already text (or null). */
export interface SqlQuery {
  query: string;
  params: Array<string | null>;
}

/** A parsed request: one statement, or a batch to run as one transaction. */
export type SqlRequest = { kind: 'query'; query: SqlQuery } | { kind: 'transaction'; queries: SqlQuery[] };

/** Who to connect as, from the Neon-Connection-String header. Host and port there are ignored. */
export interface Target {
  user: string;
  database: string;
  /** Empty when the header carries none. */
  password: string;
}

/** A request the server refuses with HTTP 400 before touching the database. */
export class BadRequest extends Error {
  override name = 'BadRequest';
}

function toQuery(value: unknown): SqlQuery {
  const { query, params } = (value ?? {}) as { query?: unknown; params?: unknown };
  if (typeof query !== 'string') throw new BadRequest('each query needs a string "query"');
  if (params !== undefined && !Array.isArray(params)) throw new BadRequest('"params" must be an array');
  const text = (params ?? []).map((p: unknown) => {
    if (p === null || typeof p === 'string') return p;
    if (typeof p === 'number' || typeof p === 'boolean') return String(p);
    throw new BadRequest('params must be strings, numbers, booleans or null');
  });
  return { query, params: text };
}

/**
 * Parses `{query, params}` or `{queries: [...]}`.
 * @example parseSqlRequest({ query: 'SELECT $1', params: ['1'] })
 */
export function parseSqlRequest(body: unknown): SqlRequest {
  if (typeof body !== 'object' || body === null) throw new BadRequest('request body must be a JSON object');
  const { queries } = body as { queries?: unknown };
  if (queries === undefined) return { kind: 'query', query: toQuery(body) };
  if (!Array.isArray(queries)) throw new BadRequest('"queries" must be an array');
  return { kind: 'transaction', queries: queries.map(toQuery) };
}

/**
 * Reads user, password and database from the Neon-Connection-String header.
 * Messages never repeat the header: it holds a password.
 * @example parseTarget(req.headers)
 */
export function parseTarget(headers: IncomingHttpHeaders): Target {
  const raw = headers['neon-connection-string'];
  if (typeof raw !== 'string' || raw === '') throw new BadRequest('missing Neon-Connection-String header');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BadRequest('Neon-Connection-String is not a valid URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new BadRequest('Neon-Connection-String must be a postgres:// or postgresql:// URL');
  }
  const user = decodeURIComponent(url.username);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!user || !database) throw new BadRequest('Neon-Connection-String must name a user and a database');
  return { user, database, password: decodeURIComponent(url.password) };
}

const ISOLATION: Record<string, string> = {
  ReadUncommitted: 'READ UNCOMMITTED',
  ReadCommitted: 'READ COMMITTED',
  RepeatableRead: 'REPEATABLE READ',
  Serializable: 'SERIALIZABLE',
};

function flag(headers: IncomingHttpHeaders, name: string): boolean | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new BadRequest(`${name} must be true or false`);
}

/**
 * The BEGIN statement for a batch, from the Neon-Batch-* headers.
 * @example beginStatement({ 'neon-batch-isolation-level': 'Serializable' }) // 'BEGIN ISOLATION LEVEL SERIALIZABLE'
 */
export function beginStatement(headers: IncomingHttpHeaders): string {
  const parts = ['BEGIN'];
  const level = headers['neon-batch-isolation-level'];
  if (level !== undefined) {
    const sql = typeof level === 'string' ? ISOLATION[level] : undefined;
    if (!sql)
      throw new BadRequest(`unknown Neon-Batch-Isolation-Level (use ${Object.keys(ISOLATION).join(', ')})`);
    parts.push(`ISOLATION LEVEL ${sql}`);
  }
  const readOnly = flag(headers, 'neon-batch-read-only');
  if (readOnly !== undefined) parts.push(readOnly ? 'READ ONLY' : 'READ WRITE');
  const deferrable = flag(headers, 'neon-batch-deferrable');
  if (deferrable !== undefined) parts.push(deferrable ? 'DEFERRABLE' : 'NOT DEFERRABLE');
  return parts.join(' ');
}

/**
 * The first SQL keyword, upper-case, skipping comments and opening parentheses ("OTHER" if none).
 * @example statementKind('-- touch\nupdate users set …') // 'UPDATE'
 */
export function statementKind(sql: string): string {
  const rest = sql.replace(/^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/, '');
  return /^[A-Za-z_]+/.exec(rest)?.[0].toUpperCase() ?? 'OTHER';
}

/** The JSON `neon()` parses for one statement: text values, array rows, full field metadata. */
export function resultBody(result: QueryResult<unknown[]>): unknown {
  return {
    fields: result.fields.map((f: FieldDef) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: f.format,
    })),
    rows: result.rows,
    command: result.command,
    rowCount: result.rowCount,
    rowAsArray: true,
  };
}

const ERROR_FIELDS = [
  'severity',
  'code',
  'detail',
  'hint',
  'position',
  'internalPosition',
  'internalQuery',
  'where',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'file',
  'line',
  'routine',
] as const;

/**
 * The HTTP 400 body for a Postgres error, with node-postgres's DatabaseError field names
 * (which `neon()` copies onto NeonDbError).
 * @example sendJson(res, 400, errorBody(err))
 */
export function errorBody(err: DatabaseError): Record<string, unknown> {
  const body: Record<string, unknown> = { message: err.message };
  for (const field of ERROR_FIELDS) if (err[field] !== undefined) body[field] = err[field];
  return body;
}
