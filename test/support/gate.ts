import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP relay between the Worker and a protocol server that can hold
 * chosen requests until the test releases them, so a race (a write-back
 * landing after a logout) is reproduced in a fixed order instead of by luck.
 *
 * @example
 * const gate = await startGate(stack.upstash.url);
 * const held = gate.hold((body) => body.includes('"owner"'));
 * await held.arrived; // the write-back is waiting here
 * held.release(); await held.done;
 */
export async function startGate(target: string) {
  const holds: Hold[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const hold = holds.find((h) => !h.taken && h.matches(body));
      if (hold) hold.taken = true;
      if (hold && !hold.answered) {
        hold.signalArrived();
        await hold.released;
      }
      try {
        const answer = await fetch(new URL(req.url ?? '/', target), {
          method: req.method ?? 'POST',
          headers: forwardable(req.headers),
          ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        });
        const text = await answer.text();
        if (hold?.answered) {
          // Executed upstream now, answered later: a read that saw the state of this moment.
          hold.signalArrived();
          await hold.released;
        }
        res.writeHead(answer.status, { 'Content-Type': answer.headers.get('Content-Type') ?? 'text/plain' });
        res.end(text);
      } catch {
        res.writeHead(502).end();
      } finally {
        hold?.signalDone();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    /**
     * Holds the first request whose body matches, until `release()`; with
     * `answered`, relays it at once and holds its answer instead.
     */
    hold(matches: (body: string) => boolean, options: { answered?: boolean } = {}) {
      const hold = new Hold(matches, options.answered ?? false);
      holds.push(hold);
      return hold;
    },
    close: () => {
      for (const h of holds) h.release();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

class Hold {
  taken = false;
  signalArrived = () => {};
  signalDone = () => {};
  release = () => {};
  /** Resolves when the matching request reached the gate (or, `answered`, its answer did) and is held. */
  readonly arrived = new Promise<void>((r) => (this.signalArrived = r));
  /** Resolves when the held request was relayed and answered. */
  readonly done = new Promise<void>((r) => (this.signalDone = r));
  readonly released = new Promise<void>((r) => (this.release = r));
  constructor(
    readonly matches: (body: string) => boolean,
    readonly answered: boolean,
  ) {}
}

function forwardable(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'host' || name === 'content-length' || name === 'connection' || value === undefined)
      continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
