import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRealtimeOrigin } from './support/realtime-origin';
import { bearer, type Stack, startStack } from './support/stack';

/** Browsers and realtime apps behind edge-auth, in workerd. */
describe('preflights, WebSockets and large bodies', () => {
  let stack: Stack;
  let origin: Awaited<ReturnType<typeof startRealtimeOrigin>>;
  let token: string;
  beforeAll(async () => {
    stack = await startStack();
    origin = await startRealtimeOrigin();
    await stack.user('u-rt');
    token = await stack.session('s-rt', 'u-rt');
  });
  afterAll(async () => {
    await origin?.close();
    await stack?.stop();
  });

  const preflight = {
    method: 'OPTIONS',
    headers: {
      Origin: 'https://app.example',
      'Access-Control-Request-Method': 'PUT',
      'X-Auth-User-Id': 'admin',
    },
  };

  it('CORS_PREFLIGHT=pass sends preflights to the origin unauthenticated and without identity', async () => {
    const worker = await stack.worker({ ORIGIN_URL: origin.url, CORS_PREFLIGHT: 'pass' });
    const res = await worker.fetch('/api/items', preflight);
    expect(res.status).toBe(200);
    const seen = origin.seen.at(-1)!;
    expect(seen.method).toBe('OPTIONS');
    expect(Object.keys(seen.headers).filter((h) => h.startsWith('x-auth'))).toEqual([]);
    // Not a preflight (no Access-Control-Request-Method): authenticated as usual.
    const before = origin.seen.length;
    const plain = await worker.fetch('/api/items', {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example' },
    });
    expect(plain.status).toBe(401);
    expect(origin.seen.length).toBe(before);
  });

  it('by default a preflight is authenticated like any request', async () => {
    const worker = await stack.worker({ ORIGIN_URL: origin.url });
    const before = origin.seen.length;
    expect((await worker.fetch('/api/items', preflight)).status).toBe(401);
    expect(origin.seen.length).toBe(before);
  });

  it('a WebSocket upgrade of an authenticated request reaches the origin, and its 101 comes back with the socket', async () => {
    const worker = await stack.worker({ ORIGIN_URL: origin.url });
    const res = await worker.fetch('/ws', {
      headers: { Upgrade: 'websocket', Authorization: `Bearer ${token}`, 'X-Auth-User-Id': 'admin' },
    });
    expect(res.status).toBe(101);
    const socket = res.webSocket!;
    const messages: string[] = [];
    const received = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (messages.length >= n ? resolve() : undefined);
        socket.addEventListener('message', (event) => {
          messages.push(String(event.data));
          check();
        });
        check();
      });
    const first = received(1);
    socket.accept();
    await first;
    expect(JSON.parse(messages[0]!)).toMatchObject({ 'x-auth-user-id': 'u-rt', 'x-auth-session-id': 's-rt' });
    const echoed = received(2);
    socket.send('hello');
    await echoed;
    expect(messages[1]).toBe('echo:hello');
    socket.close();

    const refused = await worker.fetch('/ws', { headers: { Upgrade: 'websocket' } });
    expect(refused.status).toBe(401);
    expect(refused.webSocket).toBeNull();
  });

  it('a 50 MB upload and a 50 MB download stream through whole', async () => {
    const worker = await stack.worker({ ORIGIN_URL: origin.url });
    const size = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
    const expected = createHash('sha256');
    for (let i = 0; i < 50; i++) expected.update(chunk);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 50) return controller.close();
        sent++;
        controller.enqueue(new Uint8Array(chunk));
      },
    });
    const up = await worker.fetch('/upload', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ bytes: size, sha256: expected.digest('hex') });

    const down = await worker.fetch('/download?mb=50', bearer(token));
    expect(down.status).toBe(200);
    let bytes = 0;
    const reader = down.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
    }
    expect(bytes).toBe(size);
  });
});
