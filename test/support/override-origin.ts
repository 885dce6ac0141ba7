import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Context, Hono } from 'hono';
import { methodOverride } from 'hono/method-override';

/** Header overrides frameworks honour besides the `_method` form field. */
export const OVERRIDE_HEADERS = ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override'];

/** Hop-by-hop headers: Node already decoded the body they describe; a `Request` must not carry them. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);

/**
 * An origin that honours method overrides: a real Hono app with Hono's own
 * `methodOverride()` (the `_method` form field, and each override header), served
 * from Node by a small `node:http` adapter. `arrived` records what edge-auth sent;
 * `ran` records which handler (`POST`, `DELETE` or `OPTIONS`) finally answered.
 *
 * @example
 * const origin = await startOverrideOrigin(); // origin.url → ORIGIN_URL
 * // OPTIONS with the body `_method=DELETE` …
 * origin.ran.at(-1) // { handler: 'DELETE', path: '/api/items' }
 */
export async function startOverrideOrigin() {
  const arrived: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const ran: { handler: string; path: string }[] = [];

  const app = new Hono();
  app.use('*', methodOverride({ app }));
  for (const header of OVERRIDE_HEADERS) app.use('*', methodOverride({ app, header }));
  const handle = (handler: string) => (c: Context) => {
    ran.push({ handler, path: c.req.path });
    return c.json({ handler });
  };
  app.post('*', handle('POST'));
  app.delete('*', handle('DELETE'));
  app.options('*', (c) => {
    ran.push({ handler: 'OPTIONS', path: c.req.path });
    return c.body(null, 204, {
      'Access-Control-Allow-Origin': c.req.header('Origin') ?? '*',
      'Access-Control-Allow-Methods': 'GET, POST, DELETE',
    });
  });

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      arrived.push({ method, url: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name)) continue;
        headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      try {
        const answer = await app.fetch(
          new Request(`http://${req.headers.host ?? 'origin'}${req.url ?? '/'}`, {
            method,
            headers,
            ...(body.length > 0 ? { body } : {}),
          }),
        );
        res.writeHead(answer.status, Object.fromEntries(answer.headers));
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch (err) {
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end(String(err));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    arrived,
    ran,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type OverrideOrigin = Awaited<ReturnType<typeof startOverrideOrigin>>;
