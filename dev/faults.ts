// Fault injection shared by the local Upstash and Neon servers: a test (or a
// developer with curl) switches a server into an outage and back, on the same
// port, without restarting anything. What each protocol answers in 'error'
// and 'throttle' is the server's business; this module owns the state, the
// outages that look the same for both ('down', 'http500') and `/__fault`.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeServer, listen, parseJson, readBody, sendJson } from './http';

/**
 * - `none`: healthy.
 * - `down`: the listening socket is closed and every open connection destroyed,
 *   so clients get ECONNREFUSED (or a reset on a pooled connection).
 * - `error`: every command is answered with the protocol's error.
 * - `http500`: HTTP 500 with a non-JSON body, as from a broken gateway.
 * - `throttle`: the provider's rate limit (Upstash: 429).
 */
export type FaultMode = 'none' | 'down' | 'error' | 'http500' | 'throttle';

/** Longest `forMs`, so a typo cannot leave a server down for a day. */
export const MAX_FAULT_MS = 10 * 60_000;

export interface FaultOptions {
  /** Back to 'none' after this many milliseconds (required for 'down' over HTTP: nothing could bring it back). */
  forMs?: number;
}

/** A server's fault state. `M` is the modes its protocol has. */
export interface FaultSwitch<M extends FaultMode> {
  /** The mode now in force. */
  mode(): M;
  /** Switches mode; resolves once the listener is closed or listening again. Transitions run in order. */
  set(mode: M, options?: FaultOptions): Promise<void>;
  /** Answers a request when the mode is 'down' (cut) or 'http500'; true when it did. Counts it. */
  intercept(req: IncomingMessage, res: ServerResponse): boolean;
  /** Counts a request the server answered with its own fault ('error', 'throttle'). */
  count(): void;
  /** Requests answered by a fault since the last reset. */
  faulted(): number;
  resetCount(): void;
  /** Serves `GET /__fault` and `POST /__fault {"mode", "forMs"?}`; false for other paths. */
  handleControl(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
  /** Cancels a pending restore; closes the listener unless it is already down. */
  close(): Promise<void>;
}

/**
 * The `faulted` member of a server's stats: absent while zero, so the stats of a
 * server that never faulted are exactly what they were before faults existed.
 * @example stats: () => ({ ...counts, ...faultedStat(faults.faulted()) })
 */
export function faultedStat(n: number): { faulted?: number } {
  return n > 0 ? { faulted: n } : {};
}

/** What the body of an injected HTTP 500 says; not JSON, on purpose. */
export const HTTP500_BODY = 'Internal Server Error (injected by the local server)';

/**
 * Wraps a listening server. `modes` are the modes this protocol accepts.
 * @example
 * const faults = createFaultSwitch(http, { host, port, modes: ['none', 'down', 'error', 'http500'] });
 * await faults.set('down'); await faults.set('none'); // same port again
 */
export function createFaultSwitch<M extends FaultMode>(
  server: Server,
  options: { host: string; port: number; modes: readonly M[] },
): FaultSwitch<M> {
  const { host, port, modes } = options;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let current = 'none' as M;
  let listening = true;
  let closed = false;
  let faulted = 0;
  let restore: NodeJS.Timeout | undefined;
  let transitions: Promise<void> = Promise.resolve();

  const check = (mode: unknown): M => {
    if (!modes.includes(mode as M)) throw new RangeError(`fault mode must be one of ${modes.join(', ')}`);
    return mode as M;
  };
  const checkFor = (ms: unknown): number | undefined => {
    if (ms === undefined) return undefined;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > MAX_FAULT_MS)
      throw new RangeError(`forMs must be a number of milliseconds between 1 and ${MAX_FAULT_MS}`);
    return ms;
  };

  async function apply(mode: M): Promise<void> {
    if (closed) throw new Error('the server is closed');
    if (mode === 'down') {
      current = mode; // first, so requests waiting on injected latency are cut too
      if (!listening) return;
      listening = false;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
      return;
    }
    if (!listening) {
      await listen(server, host, port);
      listening = true;
    }
    current = mode;
  }

  const faults: FaultSwitch<M> = {
    mode: () => current,
    set(mode, opts = {}) {
      let next: M;
      let forMs: number | undefined;
      try {
        next = check(mode);
        forMs = checkFor(opts.forMs);
      } catch (err) {
        return Promise.reject(err);
      }
      clearTimeout(restore);
      restore = undefined;
      const done = transitions.then(() => apply(next));
      transitions = done.catch(() => undefined);
      if (forMs !== undefined) {
        restore = setTimeout(() => {
          restore = undefined;
          faults.set('none' as M).catch(() => undefined);
        }, forMs);
        restore.unref();
      }
      return done;
    },
    intercept(req, res) {
      if (current === 'down') {
        faulted++;
        req.socket.destroy();
        return true;
      }
      if (current === 'http500') {
        faulted++;
        res.writeHead(500, {
          'content-type': 'text/plain',
          'content-length': Buffer.byteLength(HTTP500_BODY),
        });
        res.end(HTTP500_BODY);
        return true;
      }
      return false;
    },
    count() {
      faulted++;
    },
    faulted: () => faulted,
    resetCount() {
      faulted = 0;
    },
    async handleControl(req, res, path) {
      if (path !== '/__fault') return false;
      if (req.method === 'GET') {
        sendJson(res, 200, { mode: current });
        return true;
      }
      if (req.method !== 'POST') {
        sendJson(res, 405, { error: 'use GET or POST /__fault' });
        return true;
      }
      const body = parseJson(await readBody(req, 4096));
      const { mode, forMs } = (typeof body === 'object' && body !== null ? body : {}) as {
        mode?: unknown;
        forMs?: unknown;
      };
      let next: M;
      try {
        next = check(mode);
        checkFor(forMs);
        if (next === 'down' && forMs === undefined)
          throw new RangeError(
            'mode "down" over HTTP needs forMs: the server could not hear a request to come back',
          );
      } catch (err) {
        sendJson(res, 400, { error: (err as Error).message });
        return true;
      }
      // Answer first: going down destroys this very connection.
      res.once('finish', () => {
        faults.set(next, forMs === undefined ? {} : { forMs: forMs as number }).catch(() => undefined);
      });
      sendJson(res, 200, { ok: true, mode: next, ...(forMs === undefined ? {} : { forMs }) });
      return true;
    },
    async close() {
      clearTimeout(restore);
      await transitions;
      closed = true;
      if (!listening) return;
      listening = false;
      await closeServer(server);
    },
  };
  return faults;
}
