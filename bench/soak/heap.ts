// The Worker's own memory, as V8 sees it: through workerd's inspector (the
// Chrome DevTools protocol), a full garbage collection, then the heap's used
// size and its ArrayBuffer backing stores. What survives a full GC is what the
// Worker keeps (the L1, per-isolate clients and caches), so this is the figure
// that shows whether the Worker leaks, apart from workerd's native memory.
// workerd handles inspector messages only while the isolate's event loop runs,
// so an idle isolate is poked with requests until the answer is in.
import WebSocket from 'ws';

/** Live JS memory of one isolate after a full GC, in MiB. */
export interface HeapFigure {
  usedMiB: number;
  /** ArrayBuffer backing stores (outside the JS heap, kept alive by it). */
  backingMiB: number;
}

interface CdpReply {
  id?: number;
  result?: { usedSize?: number; backingStorageSize?: number };
  error?: { message: string };
}

/**
 * Collects garbage in the isolate behind `targetUrl` (a `webSocketDebuggerUrl`)
 * and reads its heap usage, calling `poke` (one request to the isolate) every
 * 50 ms meanwhile; null when the inspector does not answer in time.
 *
 * @example await liveHeap('ws://127.0.0.1:9229/core:user:', () => healthz()) // { usedMiB: 3.1, backingMiB: 0.2 }
 */
export async function liveHeap(
  targetUrl: string,
  poke: () => Promise<void>,
  timeoutMs = 10_000,
): Promise<HeapFigure | null> {
  const ws = new WebSocket(targetUrl);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  const replies = new Map<number, (reply: CdpReply) => void>();
  ws.on('message', (data) => {
    const reply = JSON.parse(String(data)) as CdpReply;
    if (reply.id !== undefined) replies.get(reply.id)?.(reply);
  });
  let next = 0;
  const call = (method: string) =>
    new Promise<CdpReply>((resolve) => {
      const id = ++next;
      replies.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params: {} }));
    });
  const measure = async (): Promise<HeapFigure | null> => {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await call('HeapProfiler.collectGarbage');
    const usage = await call('Runtime.getHeapUsage');
    if (usage.result?.usedSize === undefined) return null;
    return {
      usedMiB: usage.result.usedSize / 2 ** 20,
      backingMiB: (usage.result.backingStorageSize ?? 0) / 2 ** 20,
    };
  };
  let done = false;
  const poking = (async () => {
    while (!done) {
      await poke().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    return await Promise.race([measure().catch(() => null), timeout]);
  } finally {
    done = true;
    clearTimeout(timer);
    ws.terminate();
    await poking;
  }
}
