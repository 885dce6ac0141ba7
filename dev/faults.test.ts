import { createServer, type Server } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createFaultSwitch, type FaultSwitch, faultedStat, HTTP500_BODY } from './faults';
import { listen, sendJson } from './http';

/** A bare server that answers `{ok: true}` unless a fault intercepts. */
async function start() {
  let faults: FaultSwitch<'none' | 'down' | 'error' | 'http500'> | undefined;
  const http: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    void (async () => {
      if (await faults?.handleControl(req, res, path)) return;
      if (faults?.intercept(req, res)) return;
      sendJson(res, 200, { ok: true });
    })();
  });
  const port = await listen(http, '127.0.0.1', 0);
  faults = createFaultSwitch(http, { host: '127.0.0.1', port, modes: ['none', 'down', 'error', 'http500'] });
  return { faults, url: `http://127.0.0.1:${port}` };
}

/** The fetch failure's cause code, e.g. ECONNREFUSED, or the status when it answered. */
async function outcome(url: string): Promise<string | number> {
  try {
    return (await fetch(url)).status;
  } catch (err) {
    return ((err as Error).cause as { code?: string } | undefined)?.code ?? 'failed';
  }
}

describe('createFaultSwitch', () => {
  let server: Awaited<ReturnType<typeof start>>;
  beforeEach(async () => {
    server = await start();
  });
  afterEach(async () => {
    vi.useRealTimers();
    await server.faults.close();
  });

  it("'down' refuses connections, pooled ones included; 'none' listens again on the same port", async () => {
    expect(await outcome(server.url)).toBe(200); // leaves a pooled keep-alive connection
    await server.faults.set('down');
    expect(server.faults.mode()).toBe('down');
    expect(await outcome(server.url)).toBe('ECONNREFUSED');
    await server.faults.set('none');
    expect(await outcome(server.url)).toBe(200);
  });

  it('runs transitions in order, so the last one wins', async () => {
    const steps = [
      server.faults.set('down'),
      server.faults.set('none'),
      server.faults.set('down'),
      server.faults.set('http500'),
    ];
    await Promise.all(steps);
    expect(server.faults.mode()).toBe('http500');
    const res = await fetch(server.url);
    expect(res.status).toBe(500);
    expect(await res.text()).toBe(HTTP500_BODY);
    expect(() => JSON.parse(HTTP500_BODY)).toThrow();
  });

  it('counts intercepted requests until reset', async () => {
    await server.faults.set('http500');
    await fetch(server.url);
    await fetch(server.url);
    expect(server.faults.faulted()).toBe(2);
    server.faults.count();
    expect(server.faults.faulted()).toBe(3);
    server.faults.resetCount();
    expect(server.faults.faulted()).toBe(0);
    expect(faultedStat(0)).toEqual({});
    expect(faultedStat(2)).toEqual({ faulted: 2 });
  });

  it('forMs restores the server by itself', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await server.faults.set('down', { forMs: 5_000 });
    vi.advanceTimersByTime(4_999);
    expect(server.faults.mode()).toBe('down');
    vi.advanceTimersByTime(1);
    vi.useRealTimers();
    await vi.waitFor(() => expect(server.faults.mode()).toBe('none'));
    expect(await outcome(server.url)).toBe(200);
  });

  it('refuses unknown modes and bad durations', async () => {
    await expect(server.faults.set('throttle' as 'none')).rejects.toThrow(/fault mode must be one of/);
    await expect(server.faults.set('down', { forMs: -1 })).rejects.toThrow(/forMs/);
    expect(server.faults.mode()).toBe('none');
  });

  it('POST /__fault switches modes; GET /__fault reads it; down over HTTP needs forMs', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/__fault`, { method: 'POST', body: JSON.stringify(body) });
    expect((await post({ mode: 'sideways' })).status).toBe(400);
    const noWayBack = await post({ mode: 'down' });
    expect(noWayBack.status).toBe(400);
    expect(await noWayBack.json()).toEqual({ error: expect.stringMatching(/needs forMs/) });

    expect(await (await post({ mode: 'error' })).json()).toEqual({ ok: true, mode: 'error' });
    await vi.waitFor(() => expect(server.faults.mode()).toBe('error'));
    expect(await (await fetch(`${server.url}/__fault`)).json()).toEqual({ mode: 'error' });

    expect((await post({ mode: 'down', forMs: 60_000 })).status).toBe(200);
    await vi.waitFor(() => expect(server.faults.mode()).toBe('down'));
    await vi.waitFor(async () => expect(await outcome(server.url)).toBe('ECONNREFUSED'));
    await server.faults.set('none'); // cancels the pending restore
    expect(await outcome(server.url)).toBe(200);
  });
});
