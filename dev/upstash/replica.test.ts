import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryEngine } from './memory-engine';
import { createReplica } from './replica';
import { startUpstashServer, type UpstashServer } from './server';

describe('the lagging replica model (in-memory primary, controlled clock)', () => {
  const clock = { now: 1_000_000 };
  const engine = createMemoryEngine();
  const replica = createReplica(engine, { now: () => clock.now });
  const run = async (args: string[], token?: string) => (await replica.pipeline([args], token)).replies[0];
  const primary = async (args: string[]) => (await engine.pipeline([args]))[0];
  beforeEach(async () => {
    replica.setLag({ mode: 'off' });
    await engine.pipeline([['DEL', 'k', 'j']]);
  });
  afterAll(() => engine.close());

  it("'lag': writes reach the primary at once and the replica's reads after the lag", async () => {
    await run(['SET', 'k', 'v1', 'EX', '100']);
    replica.setLag({ mode: 'lag', ms: 500 });
    expect(await run(['SET', 'k', 'v2', 'EX', '10'])).toBe('OK');
    expect(String(await primary(['GET', 'k']))).toBe('v2');
    expect(String(await run(['GET', 'k']))).toBe('v1');
    expect(await run(['TTL', 'k'])).toBe(100);
    clock.now += 250;
    await run(['DEL', 'k']);
    expect(await primary(['EXISTS', 'k'])).toBe(0);
    clock.now += 249;
    expect(String(await run(['GET', 'k']))).toBe('v1'); // neither write is 500 ms old
    clock.now += 1;
    expect(String(await run(['GET', 'k']))).toBe('v2'); // the SET is, the DEL is not
    expect(await run(['PTTL', 'k'])).toBe(10_000 - 500);
    clock.now += 250;
    expect(await run(['EXISTS', 'k', 'j'])).toBe(0);
    expect(replica.pending()).toBe(0); // caught up: reads go to the primary again
  });

  it("'manual': nothing reaches the replica until sync(); MGET mixes lagging and current keys", async () => {
    replica.setLag({ mode: 'manual' });
    await run(['SET', 'k', 'new']);
    clock.now += 3_600_000;
    await engine.pipeline([['SET', 'j', 'untouched-by-the-model']]);
    expect((await run(['MGET', 'k', 'j'])) as unknown[]).toEqual([null, expect.anything()]);
    expect(String(((await run(['MGET', 'k', 'j'])) as unknown[])[1])).toBe('untouched-by-the-model');
    expect(await run(['TTL', 'k'])).toBe(-2);
    replica.sync();
    expect(String(await run(['GET', 'k']))).toBe('new');
    expect(await run(['TTL', 'k'])).toBe(-1);
  });

  it('a read with a sync token sees the writes up to it, and only those', async () => {
    replica.setLag({ mode: 'manual' });
    const first = await replica.pipeline([['SET', 'k', 'a']]);
    const second = await replica.pipeline([['SET', 'k', 'b']]);
    expect(Number(second.syncToken)).toBe(Number(first.syncToken) + 1);
    expect(await run(['GET', 'k'])).toBeNull();
    expect(String(await run(['GET', 'k'], first.syncToken))).toBe('a');
    expect(String(await run(['GET', 'k'], second.syncToken))).toBe('b');
    expect((await replica.pipeline([['GET', 'k']], first.syncToken)).syncToken).toBe(first.syncToken);
  });

  it('off: commands pass straight through and no sync token is sent', async () => {
    expect(await replica.pipeline([['SET', 'k', 'v']])).toEqual({ replies: ['OK'] });
    expect(String(await run(['GET', 'k']))).toBe('v');
  });
});

describe('the replica through the server and the real client', () => {
  const token = 'replica-test-token';
  let server: UpstashServer;
  const client = () =>
    new Redis({ url: server.url, token, enableAutoPipelining: false, enableTelemetry: false, retry: false });
  const control = (path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, { method: 'POST', ...(body ? { body: JSON.stringify(body) } : {}) });
  beforeAll(async () => {
    server = await startUpstashServer({ redisUrl: 'memory://', token });
  });
  afterAll(() => server.close());

  it('a client reads its own writes; another client reads them after POST /__replica/sync', async () => {
    expect((await control('/__replica', { mode: 'manual' })).status).toBe(200);
    const writer = client();
    const reader = client();
    await writer.set('k', 'v');
    expect(await writer.get('k')).toBe('v'); // read-your-writes: the client sent its sync token
    expect(await reader.get('k')).toBeNull();
    expect(await (await fetch(`${server.url}/__replica`)).json()).toEqual({ mode: 'manual', pending: 1 });
    expect((await control('/__replica/sync')).status).toBe(200);
    expect(await reader.get('k')).toBe('v');
    expect(await client().get('k')).toBe('v');
  });

  it('POST /__replica validates its body; lag mode needs ms', async () => {
    expect((await control('/__replica', { mode: 'lag' })).status).toBe(400);
    expect((await control('/__replica', { mode: 'sideways' })).status).toBe(400);
    expect(await (await control('/__replica', { mode: 'lag', ms: 250 })).json()).toEqual({
      ok: true,
      mode: 'lag',
      ms: 250,
    });
    server.replica.setLag({ mode: 'off' });
    expect(server.replica.lag()).toEqual({ mode: 'off' });
  });
});
