// Free-port lookup for services this package starts itself.
import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it).
 * @example const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/**
 * Whether something already listens on `host:port`, found by binding it for a moment: `null` when the
 * port is free, else the error code (`EADDRINUSE` when taken, `EACCES` for a privileged port …).
 * A bind test, not a connect: a listener that accepts nothing still blocks wrangler.
 * @example if ((await portBusy(8787)) === 'EADDRINUSE') …
 */
export function portBusy(port: number, host = '127.0.0.1'): Promise<string | null> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(null)));
  });
}
