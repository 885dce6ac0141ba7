// The real `neon()` client (only neonConfig.fetchEndpoint changed) against the
// local Neon server in front of the real PostgreSQL, in a database of its own.
import { NeonDbError, type NeonQueryFunction, neon, neonConfig } from '@neondatabase/serverless';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type NeonServer, startNeonServer } from '../../dev/neon/server';
import { freePort } from '../../dev/ports';
import { createDatabase, type TestDatabase } from '../../dev/services';

let db: TestDatabase;
let server: NeonServer;
let sql: NeonQueryFunction<false, false>;

beforeAll(async () => {
  db = await createDatabase(inject('postgresAdminUrl'));
  server = await startNeonServer({ upstream: inject('postgresUpstream') });
  neonConfig.fetchEndpoint = server.endpoint;
  sql = neon(db.url);
  await sql`CREATE TABLE accounts (id text PRIMARY KEY, n int NOT NULL, seen timestamptz)`;
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as NeonDbError,
  );

describe('neon() over the local SQL-over-HTTP server', () => {
  it('returns correctly typed values from Postgres text output', async () => {
    const [row] = await sql`SELECT 42::int AS i, 9007199254740993::bigint AS big, 'tëxt'::text AS t,
      '2024-03-01 12:34:56.789+02'::timestamptz AS ts, '{"a":[1,{"b":null}]}'::jsonb AS j, true AS yes,
      false AS no, NULL::text AS nothing, ARRAY[1,2,3]::int[] AS ints, ARRAY['a,b','c"d']::text[] AS texts,
      1.50::numeric AS num`;
    expect(row).toEqual({
      i: 42,
      big: '9007199254740993',
      t: 'tëxt',
      ts: new Date('2024-03-01T10:34:56.789Z'),
      j: { a: [1, { b: null }] },
      yes: true,
      no: false,
      nothing: null,
      ints: [1, 2, 3],
      texts: ['a,b', 'c"d'],
      num: '1.50',
    });
  });

  it('sends parameters and runs the session in UTC', async () => {
    const when = new Date('2025-01-02T03:04:05.000Z');
    const [row] = await sql`SELECT ${when}::timestamptz AS ts, ${{ k: 'v' }}::jsonb AS j, ${null}::int AS n,
      ${[1, 2]}::int[] AS a, current_setting('TimeZone') AS tz, ${'x'} || ${'y'} AS s`;
    expect(row).toEqual({ ts: when, j: { k: 'v' }, n: null, a: [1, 2], tz: 'UTC', s: 'xy' });
  });

  it('returns rows and full results for UPDATE … RETURNING', async () => {
    await sql`INSERT INTO accounts (id, n) VALUES ('u1', 1), ('u2', 2)`;
    expect(await sql`UPDATE accounts SET n = n + 10 WHERE id = ${'u1'} RETURNING id, n`).toEqual([
      { id: 'u1', n: 11 },
    ]);
    const full = await sql.query('UPDATE accounts SET n = n + 1 RETURNING n', [], {
      fullResults: true,
      arrayMode: true,
    });
    expect(full).toMatchObject({ command: 'UPDATE', rowCount: 2, rowAsArray: true });
    expect(full.rows.map((r) => r[0]).sort()).toEqual([12, 3]);
    expect(full.fields).toEqual([
      expect.objectContaining({ name: 'n', dataTypeID: 23, columnID: 2, dataTypeSize: 4, format: 'text' }),
    ]);
  });

  it('surfaces a unique violation as NeonDbError with code 23505 and details', async () => {
    const err = await failure(sql`INSERT INTO accounts (id, n) VALUES ('dup', 1), ('dup', 2)`);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err).toMatchObject({
      code: '23505',
      constraint: 'accounts_pkey',
      table: 'accounts',
      severity: 'ERROR',
    });
    expect(err?.detail).toMatch(/\(id\)=\(dup\)/);
  });

  it('runs one statement per query (extended protocol), reporting syntax errors with a position', async () => {
    expect(await failure(sql`SELECT 1; SELECT 2`)).toMatchObject({ code: '42601' });
    expect(await failure(sql`SELEC 1`)).toMatchObject({ code: '42601', position: '1' });
  });

  it('commits a transaction and returns one result per statement', async () => {
    const [inserted, counted] = await sql.transaction([
      sql`INSERT INTO accounts (id, n) VALUES ('t1', 1) RETURNING id`,
      sql`SELECT count(*)::int AS c FROM accounts WHERE id LIKE 't%'`,
    ]);
    expect(inserted).toEqual([{ id: 't1' }]);
    expect(counted).toEqual([{ c: 1 }]);
  });

  it('rolls the whole transaction back when a statement fails', async () => {
    const err = await failure(
      sql.transaction([
        sql`UPDATE accounts SET n = 999 WHERE id = 't1'`,
        sql`INSERT INTO accounts (id, n) VALUES ('t1', 0)`,
      ]),
    );
    expect(err).toMatchObject({ code: '23505' });
    expect(await sql`SELECT n FROM accounts WHERE id = 't1'`).toEqual([{ n: 1 }]);
  });

  it('honours the batch isolation level and read-only flag', async () => {
    const [result] = await sql.transaction([sql`SHOW transaction_isolation`], {
      isolationLevel: 'Serializable',
      readOnly: true,
      deferrable: true,
    });
    expect(result).toEqual([{ transaction_isolation: 'serializable' }]);
    const err = await failure(sql.transaction([sql`UPDATE accounts SET n = 0`], { readOnly: true }));
    expect(err).toMatchObject({ code: '25006' });
  });

  it('counts requests, transactions and statements by kind', async () => {
    server.resetStats();
    await sql`UPDATE accounts SET seen = now() WHERE id = 'u1'`;
    await sql`  -- touch\n  update accounts SET seen = now() WHERE id = 'u2'`;
    await sql.transaction([sql`SELECT 1`, sql`UPDATE accounts SET n = n WHERE id = 't1'`]);
    expect(server.stats()).toEqual({
      requests: 3,
      queries: 4,
      transactions: 1,
      statements: { SELECT: 1, UPDATE: 3 },
    });
  });

  it('delays requests by the injected latency', async () => {
    server.setLatency(150);
    try {
      const started = performance.now();
      await sql`SELECT 1`;
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    } finally {
      server.setLatency(0);
    }
  });

  it('reports an unknown database as a Postgres error', async () => {
    const url = new URL(db.url);
    url.pathname = '/no_such_database_here';
    expect(await failure(neon(url.toString())`SELECT 1`)).toMatchObject({ code: '3D000' });
  });

  it('answers 5xx without details or secrets when the upstream is down', async () => {
    const down = await startNeonServer({ upstream: { host: '127.0.0.1', port: await freePort() } });
    try {
      neonConfig.fetchEndpoint = down.endpoint;
      const err = await failure(neon('postgres://someone:s3cret-pw@db.example/dbname')`SELECT 1`);
      expect(err).toBeInstanceOf(NeonDbError);
      expect(err?.code).toBeUndefined();
      expect(err?.message).toMatch(/^Server error \(HTTP status 502\)/);
      expect(err?.message).not.toMatch(/s3cret|someone|dbname/);
    } finally {
      neonConfig.fetchEndpoint = server.endpoint;
      await down.close();
    }
  });
});
