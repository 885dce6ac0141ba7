import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListeningWorker } from './support/listening-worker';
import { OVERRIDE_HEADERS, type OverrideOrigin, startOverrideOrigin } from './support/override-origin';
import { send } from './support/proxies';
import { type Stack, startStack } from './support/stack';

/**
 * `CORS_PREFLIGHT=pass` in front of an origin that honours method overrides
 * (issue #13 item 2, spec R2/R3): a real Hono app with `methodOverride()`,
 * behind the bundled Worker in workerd. Only a real preflight (Origin,
 * Access-Control-Request-Method, no body) passes without a token, and it
 * reaches the origin's OPTIONS handler with no credential and no override.
 */
const PREFLIGHT = { Origin: 'https://app.example', 'Access-Control-Request-Method': 'DELETE' };
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const OVERRIDE_BODY = '_method=DELETE';

describe('CORS_PREFLIGHT=pass in front of an origin with methodOverride()', () => {
  let stack: Stack;
  let origin: OverrideOrigin;
  let worker: Awaited<ReturnType<Stack['worker']>>;
  let token: string;
  const workerEnv = () => ({ ORIGIN_URL: origin.url, CORS_PREFLIGHT: 'pass', PUBLIC_PATHS: '/public' });
  beforeAll(async () => {
    stack = await startStack();
    origin = await startOverrideOrigin();
    worker = await stack.worker(workerEnv());
    await stack.user('u-pf');
    token = await stack.session('s-pf', 'u-pf');
  });
  afterAll(async () => {
    await origin?.close();
    await stack?.stop();
  });

  /** The handlers that ran since `from` (an earlier `origin.ran.length`). */
  const handlersSince = (from: number) => origin.ran.slice(from).map((r) => r.handler);

  /** The request is answered 401 as unauthenticated, and the origin never sees it. */
  async function refused(init: RequestInit & { duplex?: 'half' }) {
    const arrived = origin.arrived.length;
    const ran = origin.ran.length;
    const res = await worker.fetch('/api/items', { method: 'OPTIONS', ...init });
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toBe('Bearer realm="edge-auth"');
    expect(origin.arrived.length).toBe(arrived);
    expect(origin.ran.length).toBe(ran);
  }

  it('the attack works against the origin directly: an OPTIONS or a POST runs its DELETE handler', async () => {
    // What makes the tests below able to fail.
    const direct = (method: string, init: RequestInit) =>
      fetch(`${origin.url}/api/items`, { method, ...init }).then((res) => res.text());
    const viaForm = await direct('OPTIONS', { headers: { ...PREFLIGHT, ...FORM }, body: OVERRIDE_BODY });
    expect(viaForm).toBe('{"handler":"DELETE"}');
    for (const header of OVERRIDE_HEADERS) {
      for (const method of ['OPTIONS', 'POST']) {
        const res = await direct(method, { headers: { ...PREFLIGHT, [header]: 'DELETE' } });
        expect(res, `${method} ${header}`).toBe('{"handler":"DELETE"}');
      }
    }
    expect(handlersSince(0)).toEqual(Array(1 + 2 * OVERRIDE_HEADERS.length).fill('DELETE'));
  });

  it('a real preflight reaches the OPTIONS handler without credentials or overrides', async () => {
    const headers = {
      ...PREFLIGHT,
      Cookie: `session=${token}; theme=dark`,
      Authorization: `Bearer ${token}`,
      ...Object.fromEntries(OVERRIDE_HEADERS.map((h) => [h, 'DELETE'])),
    };
    const res = await worker.fetch('/api/items', { method: 'OPTIONS', headers });
    expect(res.status).toBe(204);
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('https://app.example');
    expect(origin.ran.at(-1)).toEqual({ handler: 'OPTIONS', path: '/api/items' });
    const seen = origin.arrived.at(-1)!;
    expect(seen.method).toBe('OPTIONS');
    expect(seen.headers.origin).toBe('https://app.example');
    expect(seen.headers['access-control-request-method']).toBe('DELETE');
    for (const name of ['cookie', 'authorization', 'x-auth-user-id', ...OVERRIDE_HEADERS]) {
      expect(seen.headers[name.toLowerCase()], name).toBeUndefined();
    }
  });

  it('each override header alone: passed as a preflight, stripped, so the origin runs OPTIONS', async () => {
    const from = origin.ran.length;
    for (const header of OVERRIDE_HEADERS) {
      const res = await worker.fetch('/api/items', {
        method: 'OPTIONS',
        headers: { ...PREFLIGHT, [header]: 'DELETE' },
      });
      expect(res.status, header).toBe(204);
      expect(origin.ran.at(-1), header).toEqual({ handler: 'OPTIONS', path: '/api/items' });
      expect(origin.arrived.at(-1)!.headers[header.toLowerCase()], header).toBeUndefined();
    }
    expect(handlersSince(from)).toEqual(OVERRIDE_HEADERS.map(() => 'OPTIONS'));
  });

  it('an OPTIONS with a body is no preflight: 401 without a token, DELETE never runs', async () => {
    const from = origin.ran.length;
    await refused({ headers: { ...PREFLIGHT, ...FORM }, body: OVERRIDE_BODY });
    // Streamed: Transfer-Encoding chunked, no Content-Length.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(OVERRIDE_BODY));
        controller.close();
      },
    });
    await refused({ headers: { ...PREFLIGHT, ...FORM }, body: chunked, duplex: 'half' });
    expect(handlersSince(from)).toEqual([]);
  });

  it('an OPTIONS with Content-Length: 0 is still a preflight', async () => {
    // fetch() sends no Content-Length for an empty OPTIONS body; a raw request on a socket does.
    const listening = await startListeningWorker(stack, workerEnv());
    try {
      const res = await send(`${listening.url}/api/items`, {
        method: 'OPTIONS',
        headers: { ...PREFLIGHT, 'Content-Length': '0' },
      });
      expect(res.status).toBe(204);
      expect(origin.arrived.at(-1)!.method).toBe('OPTIONS');
      expect(origin.ran.at(-1)).toEqual({ handler: 'OPTIONS', path: '/api/items' });
    } finally {
      await listening.dispose();
    }
  });

  it('an OPTIONS without Origin or Access-Control-Request-Method is authenticated like any request', async () => {
    await refused({ headers: { Origin: 'https://app.example' } });
    await refused({ headers: { 'Access-Control-Request-Method': 'DELETE' } });
    await refused({});
  });

  it('on a public path, a POST with an override header runs POST, not DELETE', async () => {
    for (const header of OVERRIDE_HEADERS) {
      const res = await worker.fetch('/public/form', { method: 'POST', headers: { [header]: 'DELETE' } });
      expect(res.status, header).toBe(200);
      expect(await res.json()).toEqual({ handler: 'POST' });
      expect(origin.ran.at(-1), header).toEqual({ handler: 'POST', path: '/public/form' });
    }
  });

  it("with a token, the same OPTIONS with a body is authenticated and forwarded: the user's own request", async () => {
    const res = await worker.fetch('/api/items', {
      method: 'OPTIONS',
      headers: { ...PREFLIGHT, ...FORM, Authorization: `Bearer ${token}` },
      body: OVERRIDE_BODY,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ handler: 'DELETE' });
    const seen = origin.arrived.at(-1)!;
    expect(seen.method).toBe('OPTIONS');
    expect(seen.body).toBe(OVERRIDE_BODY);
    expect(seen.headers['x-auth-user-id']).toBe('u-pf');
    expect(origin.ran.at(-1)).toEqual({ handler: 'DELETE', path: '/api/items' });
  });
});
