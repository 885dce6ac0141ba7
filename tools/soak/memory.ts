// Each isolate's memory at the start, middle and end of the load: workerd's
// RSS (/proc), and the Worker's own memory as V8 sees it: through workerd's
// inspector (the Chrome DevTools protocol), a full garbage collection, then
// the heap's used size and its ArrayBuffer backing stores. What survives a full GC is what the
// Worker keeps (the L1, per-isolate clients and caches), so this is the figure
// that shows whether the Worker leaks, apart from workerd's native memory.
// workerd handles inspector messages only while the isolate's event loop runs,
// so an idle isolate is poked with requests until the answer is in.
import WebSocket from 'ws';
import { rssMiB } from '../harness/proc';
import type { Isolate } from './isolates';
import type { MemorySamples } from './observations';

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

/**
 * Samples every isolate's live heap (first: its full GC can only lower the RSS read right after)
 * and RSS. An isolate is poked with `/healthz` requests while its heap is read; `pokes()` counts
 * those sent to edge-auth's isolates (they print request lines too).
 *
 * @example const memory = memorySampler(isolates.list, control); await memory.sample('start');
 */
export function memorySampler(isolates: Isolate[], control: Isolate) {
  let pokes = 0;
  const blank = () => ({ start: Number.NaN, middle: Number.NaN, end: Number.NaN });
  const samples = isolates.map(() => ({ rss: blank(), heap: blank() }));
  return {
    samples,
    pokes: () => pokes,
    async sample(at: keyof MemorySamples): Promise<void> {
      for (const [i, isolate] of isolates.entries()) {
        const poke = async () => {
          const res = await isolate.fetch('/healthz', '');
          await res.arrayBuffer();
          if (isolate !== control) pokes++;
        };
        const heap = await liveHeap(isolate.inspectorUrl, poke);
        const m = samples[i] as (typeof samples)[number];
        m.heap[at] = heap ? heap.usedMiB + heap.backingMiB : Number.NaN;
        m.rss[at] = rssMiB(isolate.pid) ?? Number.NaN;
      }
    },
  };
}
