import { NeonDbError, neon, neonConfig } from '@neondatabase/serverless';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INJECTED_ERROR_BODY, type NeonServer, startNeonServer } from './server';

// The fault knobs need no PostgreSQL: a fault answers before the upstream is
// used, and a malformed body (400 before any query) shows the server serving.
describe('Neon server faults', () => {
  let server: NeonServer;
  const url = 'postgres://app:secret@ep-local.example.com/app';
  const sql = neon(url);
  const malformed = () => fetch(server.endpoint, { method: 'POST', body: 'not json' });

  beforeAll(async () => {
    // Port 9 (discard) is closed: any query that got through would fail with a 502.
    server = await startNeonServer({ upstream: { host: '127.0.0.1', port: 9, user: 'nobody' } });
    neonConfig.fetchEndpoint = server.endpoint;
  });
  afterEach(async () => {
    await server.setFault('none');
    server.resetStats();
  });
  afterAll(async () => {
    await server.close();
  });

  it("'error': HTTP 400 with SQLSTATE 57P01, surfaced by neon() as NeonDbError", async () => {
    await server.setFault('error');
    const err = await sql`SELECT 1`.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NeonDbError);
    expect(err).toMatchObject({ code: '57P01', severity: 'FATAL' });
    const raw = await fetch(server.endpoint, { method: 'POST', body: '{"query":"SELECT 1"}' });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual(INJECTED_ERROR_BODY);
    expect(server.stats()).toEqual({ requests: 2, queries: 0, transactions: 0, statements: {}, faulted: 2 });
  });

  it("'http500': a non-JSON 500, a generic error without a code", async () => {
    await server.setFault('http500');
    const err = await sql`SELECT 1`.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: unknown }).code).toBeUndefined();
    const raw = await malformed();
    expect(raw.status).toBe(500);
    const text = await raw.text();
    expect(() => JSON.parse(text)).toThrow();
    expect(server.stats().faulted).toBe(2);
  });

  it("'down' refuses connections; 'none' serves again on the same port", async () => {
    expect((await malformed()).status).toBe(400);
    await server.setFault('down');
    await expect(malformed()).rejects.toThrow(/fetch failed/);
    await expect(sql`SELECT 1`).rejects.toThrow();
    await server.setFault('none');
    expect((await malformed()).status).toBe(400);
    expect(server.stats().faulted).toBeUndefined(); // refused connections never reached it
  });

  it('has no throttle mode; /__fault over HTTP', async () => {
    await expect(server.setFault('throttle' as 'none')).rejects.toThrow(/fault mode must be one of/);
    const res = await fetch(`${server.url}/__fault`, { method: 'POST', body: '{"mode":"throttle"}' });
    expect(res.status).toBe(400);
    await fetch(`${server.url}/__fault`, { method: 'POST', body: '{"mode":"error"}' });
    await expect.poll(() => server.fault()).toBe('error');
    expect((await malformed()).status).toBe(400);
    expect(server.stats().faulted).toBe(1);
  });
});
