// Small HTTP plumbing shared by the local Upstash and Neon servers: body
// reading, JSON replies, listening/closing, injected latency and the
// unauthenticated `/__stats` and `/__latency` control routes.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Largest request body either server accepts; keeps a runaway client from eating memory. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** Largest latency `/__latency` accepts, so a typo cannot hang a test run for hours. */
export const MAX_LATENCY_MS = 60_000;

/** Thrown by `readBody` when the body is larger than allowed. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/**
 * Reads the whole request body as UTF-8.
 * @example const text = await readBody(req);
 */
export async function readBody(req: IncomingMessage, limitBytes = MAX_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limitBytes) throw new BodyTooLargeError(`request body exceeds ${limitBytes} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Parses JSON, returning `undefined` instead of throwing so callers answer 400 themselves.
 * @example const body = parseJson(text); if (body === undefined) return badRequest();
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Writes a JSON response with an explicit length (lets keep-alive clients reuse the socket).
 * @example sendJson(res, 200, { result: 'OK' });
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Starts listening and resolves with the bound port (useful with port 0).
 * @example const port = await listen(server, '127.0.0.1', 0);
 */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops the server, dropping idle keep-alive sockets so close() does not wait for their timeout.
 * @example await closeServer(server);
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}

/**
 * Resolves after `ms` milliseconds (immediately for 0).
 * @example await sleep(20);
 */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Validates a latency value from an option or the `/__latency` body.
 * @example const ms = checkLatency(opts.latencyMs ?? 0);
 */
export function checkLatency(ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > MAX_LATENCY_MS) {
    throw new RangeError(`latency must be a number of milliseconds between 0 and ${MAX_LATENCY_MS}`);
  }
  return ms;
}

/** What the control routes need from a server. */
export interface ControlTarget {
  stats(): unknown;
  resetStats(): void;
  setLatency(ms: number): void;
}

/**
 * Serves `GET /__stats`, `POST /__stats/reset` and `POST /__latency` (`{"ms": N}`).
 * Returns false when the path is not a control route. No auth: local development only.
 * @example if (await handleControl(req, res, path, server)) return;
 */
export async function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  target: ControlTarget,
): Promise<boolean> {
  if (!path.startsWith('/__')) return false;
  if (path === '/__stats' && req.method === 'GET') {
    sendJson(res, 200, target.stats());
  } else if (path === '/__stats/reset' && req.method === 'POST') {
    target.resetStats();
    sendJson(res, 200, { ok: true });
  } else if (path === '/__latency' && req.method === 'POST') {
    const body = parseJson(await readBody(req, 4096));
    const ms = typeof body === 'object' && body !== null ? (body as { ms?: unknown }).ms : undefined;
    try {
      target.setLatency(checkLatency(ms));
      sendJson(res, 200, { ok: true, ms });
    } catch (err) {
      sendJson(res, 400, { error: (err as Error).message });
    }
  } else {
    sendJson(res, 404, { error: `no control route ${req.method} ${path}` });
  }
  return true;
}
