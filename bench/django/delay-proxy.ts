// PostgreSQL one network hop away, on one machine: a TCP proxy that holds
// every chunk it relays for `delayMs` in each direction (chunks keep their
// order: timers of one duration fire in the order they were set). A new
// connection's first bytes wait one round trip more, the TCP handshake a real
// hop would cost before them, so a client that connects per request (Django's
// default CONN_MAX_AGE=0) pays for it as it would over the network.

import type { AddressInfo } from 'node:net';
import { connect, createServer, type Socket } from 'node:net';

/** A running proxy. */
export interface DelayProxy {
  host: string;
  port: number;
  /** Connections accepted so far. */
  connections(): number;
  /** Stops listening and cuts every connection. */
  close(): Promise<void>;
}

/**
 * Starts the proxy on 127.0.0.1 (a free port) in front of `target`.
 *
 * @example
 * const proxy = await startDelayProxy({ host: '127.0.0.1', port: 5432 }, 5);
 * // postgres://postgres@127.0.0.1:${proxy.port}/db is PostgreSQL 10 ms of round trip away
 * await proxy.close();
 */
export async function startDelayProxy(
  target: { host: string; port: number },
  delayMs: number,
): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const track = (socket: Socket, peer: () => Socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => sockets.delete(socket));
    // Either side failing ends both, as a dropped link would.
    socket.on('error', () => peer().destroy());
  };
  const server = createServer((client) => {
    accepted++;
    const upstream = connect(target.port, target.host);
    track(client, () => upstream);
    track(upstream, () => client);
    // The handshake's round trip: the client's first bytes could not have left before it.
    client.pause();
    setTimeout(() => client.resume(), 2 * delayMs);
    relay(client, upstream, delayMs);
    relay(upstream, client, delayMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Everything `from` sends reaches `to` `delayMs` later, its end too. */
function relay(from: Socket, to: Socket, delayMs: number): void {
  from.on('data', (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  });
  from.on('end', () => {
    setTimeout(() => {
      if (!to.destroyed) to.end();
    }, delayMs);
  });
}
