// The benchmark's origin: the same small answer to every request, whatever
// headers it carries, so it costs every variant the same. (The dev echo origin
// writes the identity headers back into its body and keeps every request it
// saw: more work for edge-auth than for passthrough, and a growing memory.)
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The body every answer carries (about the size of a small JSON API answer). */
const BODY = Buffer.from(`${JSON.stringify({ origin: 'bench', orders: [1, 2, 3], ok: true })}\n`);

/**
 * Starts the origin on 127.0.0.1 (a free port); answers 200 with `X-Demo-Origin: yes`.
 * @example const origin = await startBenchOrigin(); … ORIGIN_URL: origin.url … await origin.close();
 */
export async function startBenchOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
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
  // Keep connections from workerd alive between bursts.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
