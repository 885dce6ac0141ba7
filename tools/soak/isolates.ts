// The soak's isolates: each its own workerd process (so its RSS is its own),
// running the bundle wrangler would upload, or the control Worker. Everything
// a process prints is kept line by line for the secret scan and the
// request-line count.
import { startWorkerd, type Workerd } from '../harness/workerd';

// The control: a Worker that only relays to the origin and prints one log
// line. workerd's own native memory grows with the requests it serves, whatever
// the Worker does (measured on this machine: a Worker answering 'ok' went from
// 60 to ~250 MiB RSS over 40,000 requests while its JS heap stayed under
// 1 MiB). The control serves as many requests as edge-auth's first isolate,
// so its RSS growth is that runtime share, and edge-auth's beyond it its own.
export const CONTROL_SOURCE = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const res = await fetch(env.ORIGIN_URL + url.pathname + url.search);
    const body = await res.arrayBuffer();
    console.log(JSON.stringify({ msg: 'control', status: res.status, bytes: body.byteLength }));
    return new Response(body, { status: res.status, headers: res.headers });
  },
};
`;

/** What to run in one isolate. */
export interface IsolateSpec {
  /** What makes it differ from the others (e.g. `L1_CACHE_MAX_ENTRIES=50`), for reports. */
  note: string;
  bindings: Record<string, string>;
  /** An inline ES module to run instead of the bundle (the control). */
  source?: string;
}

/** One running isolate. */
export interface Isolate extends Pick<Workerd, 'fetch' | 'output'> {
  index: number;
  note: string;
  pid: number;
  /** The Worker's inspector target (`webSocketDebuggerUrl`), for heap figures. */
  inspectorUrl: string;
}

/**
 * Starts one isolate per spec, one after the other (so each new workerd child can be told apart).
 * `dispose()` stops them all and reads what they printed to the end; on failure, it runs at once.
 *
 * @example
 * const isolates = await startIsolates(script, [{ bindings: env, note: '' }]);
 * try { await isolates.list[0].fetch('/api', token); } finally { await isolates.dispose(); }
 */
export async function startIsolates(script: string, specs: IsolateSpec[]) {
  const started: Workerd[] = [];
  let disposed: Promise<void> | undefined;
  const drain = async () => {
    await Promise.allSettled(started.map((w) => w.mf.dispose()));
    // The processes have exited, but what they wrote may still be in the pipes, and Miniflare's
    // streams never end: read until nothing new arrives for 100 ms.
    const size = () => started.reduce((n, w) => n + w.output.stdout.length + w.output.stderr.length, 0);
    for (let last = -1, waited = 0; size() !== last && waited < 5000; waited += 100) {
      last = size();
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const dispose = () => {
    disposed ??= drain();
    return disposed;
  };
  try {
    const list: Isolate[] = [];
    for (const [index, spec] of specs.entries()) {
      const code = spec.source === undefined ? { script } : { source: spec.source };
      const w = await startWorkerd({ ...code, bindings: spec.bindings, capture: true, inspector: true });
      started.push(w);
      if (w.pid === undefined)
        throw new Error('cannot tell the new workerd process apart (needs Linux /proc)');
      // Miniflare names the user Worker '' unless told otherwise: its target is `core:user:`.
      const inspectorUrl = `${String(await w.mf.getInspectorURL()).replace(/\/$/, '')}/core:user:`;
      list.push({ index, note: spec.note, pid: w.pid, inspectorUrl, output: w.output, fetch: w.fetch });
    }
    return { list, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
