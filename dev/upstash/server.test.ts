import { errors, Redis } from '@upstash/redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { INJECTED_ERROR, startUpstashServer, THROTTLE_ERROR, type UpstashServer } from './server';

// The fault knobs, on the in-memory engine (no Redis needed), seen through the
// real client and through raw HTTP.
describe('Upstash server faults', () => {
  const token = 'fault-test-token';
  let server: UpstashServer;
  let redis: Redis;
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    server = await startUpstashServer({ redisUrl: 'memory://', token });
    redis = new Redis({
      url: server.url,
      token,
      enableAutoPipelining: false,
      enableTelemetry: false,
      retry: false,
    });
  });
  afterEach(async () => {
    await server.setFault('none');
    server.resetStats();
  });
  afterAll(async () => {
    await server.close();
  });

  it("'error': 400 {error} per command, per-entry errors in a pipeline; nothing runs", async () => {
    await redis.set('k', 'v');
    server.resetStats();
    await server.setFault('error');
    await expect(redis.get('k')).rejects.toThrow(errors.UpstashError);
    const single = await post('/', ['GET', 'k']);
    expect(single.status).toBe(400);
    expect(await single.json()).toEqual({ error: INJECTED_ERROR });
    const pipeline = await post('/pipeline', [
      ['GET', 'k'],
      ['SET', 'k', 'w'],
    ]);
    expect(pipeline.status).toBe(200);
    expect(await pipeline.json()).toEqual([{ error: INJECTED_ERROR }, { error: INJECTED_ERROR }]);
    const transaction = await post('/multi-exec', [['GET', 'k']]);
    expect(transaction.status).toBe(400);
    expect(server.stats()).toEqual({ requests: 4, pipelines: 1, transactions: 1, commands: {}, faulted: 4 });
    await server.setFault('none');
    expect(await redis.get('k')).toBe('v'); // the pipelined SET never ran
  });

  it("'error' still checks the token first", async () => {
    await server.setFault('error');
    const res = await fetch(server.url, { method: 'POST', body: '["GET","k"]' });
    expect(res.status).toBe(401);
    expect(server.stats().faulted).toBeUndefined();
  });

  it("'throttle': 429 with Upstash's limit message", async () => {
    await server.setFault('throttle');
    const res = await post('/', ['GET', 'k']);
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({ error: THROTTLE_ERROR });
    await expect(redis.get('k')).rejects.toThrow(/max requests limit exceeded/);
    expect(server.stats()).toMatchObject({ requests: 2, commands: {}, faulted: 2 });
  });

  it("'http500': a non-JSON 500 the client cannot parse", async () => {
    await server.setFault('http500');
    const res = await post('/', ['GET', 'k']);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('text/plain');
    await expect(redis.get('k')).rejects.toThrow(errors.UpstashJSONParseError);
    expect(server.stats().faulted).toBe(2);
  });

  it("'down' refuses connections; 'none' serves again on the same port, same data", async () => {
    await redis.set('kept', '1');
    await server.setFault('down');
    expect(server.fault()).toBe('down');
    await expect(redis.get('kept')).rejects.toThrow(/fetch failed/);
    await server.setFault('none');
    expect(await redis.get('kept')).toBe(1);
  });

  it('the fault in force when the injected latency ends answers; healthy stats have no faulted member', async () => {
    await redis.get('k');
    expect(server.stats()).toEqual({ requests: 1, pipelines: 0, transactions: 0, commands: { GET: 1 } });
    server.setLatency(200);
    const answer = post('/', ['GET', 'k']);
    await expect.poll(() => server.stats().requests).toBe(2); // arrived, now waiting out the latency
    await server.setFault('throttle');
    server.setLatency(0);
    expect((await answer).status).toBe(429);
  });

  it('POST /__fault switches the mode without a token', async () => {
    const res = await fetch(`${server.url}/__fault`, { method: 'POST', body: '{"mode":"throttle"}' });
    expect(await res.json()).toEqual({ ok: true, mode: 'throttle' });
    await expect.poll(() => server.fault()).toBe('throttle');
    expect((await post('/', ['GET', 'k'])).status).toBe(429);
  });
});
