// The benchmark's origin: the same small answer to every request, whatever
// headers it carries, so it costs every variant the same. (The dev echo
// origin writes the identity headers back into its body and keeps every
// request it saw: more work for edge-auth than for passthrough, and memory
// that grows over a run.) It counts what it received, to check that the
// Workers forwarded identities.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The body every answer carries (about the size of a small JSON API answer). */
const BODY = Buffer.from(`${JSON.stringify({ origin: 'bench', orders: [1, 2, 3], ok: true })}\n`);

/** A running bench origin. */
export interface BenchOrigin {
  url: string;
  /** Requests and TCP connections received, and how many requests carried an `X-Auth-User-Id`. */
  stats(): { requests: number; connections: number; withIdentity: number };
  close(): Promise<void>;
}

/**
 * Starts the origin on 127.0.0.1 (a free port); answers 200 with `X-Demo-Origin: yes`.
 * @example const origin = await startBenchOrigin(); … ORIGIN_URL: origin.url … await origin.close();
 */
export async function startBenchOrigin(): Promise<BenchOrigin> {
  let requests = 0;
  let connections = 0;
  let withIdentity = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.headers['x-auth-user-id'] !== undefined) withIdentity++;
    // Read (and drop) any body before answering, as a real handler would.
    req.resume();
    req.on('end', () => {
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': BODY.length,
        'X-Demo-Origin': 'yes',
      });
      res.end(BODY);
    });
  });
  server.on('connection', () => connections++);
  // Keep connections from workerd alive between bursts.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stats: () => ({ requests, connections, withIdentity }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
