import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A demo/test origin that answers every request with a JSON echo of what it
 * received, and records it.
 *
 * @example
 * const origin = await startEchoOrigin();
 * // … requests through edge-auth …
 * origin.seen[0].headers['x-auth-user-id'] // '42'
 * // An origin that marks some answers cacheable, to see what edge-auth does with them:
 * await startEchoOrigin({ answerHeaders: (r) => (r.url === '/cdn' ? { 'Cache-Control': 'public' } : {}) });
 */
export async function startEchoOrigin(
  options: {
    port?: number;
    host?: string;
    /** Extra headers of the answer to `request` (e.g. a `Cache-Control` the test chooses). */
    answerHeaders?: (request: SeenRequest) => Record<string, string>;
  } = {},
) {
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const record = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(record);
      const identity = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k.startsWith('x-auth-')),
      );
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'X-Demo-Origin': 'yes',
        ...options.answerHeaders?.(record),
      });
      res.end(JSON.stringify({ origin: 'demo', method: record.method, url: record.url, identity }, null, 2));
    });
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
