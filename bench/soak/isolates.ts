// The soak's Worker isolates: each is its own Miniflare, hence its own workerd
// process (so its RSS is its own), running the bundle wrangler would upload.
// Everything a process prints is captured line by line for the secret scan
// and the request-line count.
import { readdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare, type Response as WorkerResponse } from 'miniflare';
import { withoutExitOnSignal } from '../stack';

/** Must match the compatibility date of wrangler.toml (the bundle's own). */
export const COMPATIBILITY_DATE = '2026-04-20';

/** What one isolate printed so far. */
export interface CapturedOutput {
  stdout: string[];
  stderr: string[];
}

/** What to run in one isolate. */
export interface IsolateSpec {
  /** What makes it differ from the others (e.g. `L1_CACHE_MAX_ENTRIES=50`), for reports. */
  note: string;
  bindings: Record<string, string>;
  /** An inline ES module to run instead of the bundle (the control isolate). */
  source?: string;
}

/** One running isolate. */
export interface Isolate {
  index: number;
  note: string;
  /** Its workerd process. */
  pid: number;
  /** The Worker's inspector target (`webSocketDebuggerUrl`), for heap figures. */
  inspectorUrl: string;
  output: CapturedOutput;
  fetch(path: string, token: string): Promise<WorkerResponse>;
}

/** The isolates of a run. */
export interface Isolates {
  list: Isolate[];
  /** Disposes every isolate and reads what it printed to the end (once; later calls wait for the first). */
  dispose(): Promise<void>;
}

/**
 * Starts one isolate per bindings object, one after the other (so each new
 * workerd child process can be told apart). On failure, disposes what started.
 *
 * @example
 * const isolates = await startIsolates(script, [{ bindings: env, note: '' }]);
 * try { await isolates.list[0].fetch('/api', token); } finally { await isolates.dispose(); }
 */
export async function startIsolates(scriptPath: string, specs: IsolateSpec[]): Promise<Isolates> {
  const started: Miniflare[] = [];
  const list: Isolate[] = [];
  const outputs: CapturedOutput[] = [];
  let disposed: Promise<void> | undefined;
  const dispose = () => {
    disposed ??= drain();
    return disposed;
  };
  const drain = async () => {
    await Promise.allSettled(started.map((mf) => mf.dispose()));
    // The processes have exited, but what they wrote may still be in the pipes, and
    // Miniflare's streams never end: read until nothing new arrives for 100 ms.
    const size = () => outputs.reduce((n, o) => n + o.stdout.length + o.stderr.length, 0);
    let last = -1;
    for (let waited = 0; size() !== last && waited < 5000; waited += 100) {
      last = size();
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    for (const [index, spec] of specs.entries()) {
      const before = new Set(await workerdDescendants());
      const output: CapturedOutput = { stdout: [], stderr: [] };
      outputs.push(output);
      const mf = withoutExitOnSignal(
        () =>
          new Miniflare({
            modules: true,
            ...(spec.source === undefined
              ? // The bundle lives in a temp dir; module paths are resolved from there.
                { scriptPath, modulesRoot: dirname(scriptPath) }
              : { script: spec.source }),
            compatibilityDate: COMPATIBILITY_DATE,
            bindings: spec.bindings,
            // Port 0: any free port. Only used between samples, to read the heap after a GC.
            inspectorPort: 0,
            handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
              collectLines(stdout, output.stdout);
              collectLines(stderr, output.stderr);
            },
          }),
      );
      started.push(mf);
      await mf.ready;
      const fresh = (await workerdDescendants()).filter((pid) => !before.has(pid));
      if (fresh.length !== 1) throw new Error(`expected one new workerd process, found ${fresh.length}`);
      // Miniflare names the user Worker '' unless told otherwise: its target is `core:user:`.
      const inspector = `${String(await mf.getInspectorURL()).replace(/\/$/, '')}/core:user:`;
      list.push({
        index,
        note: spec.note,
        pid: fresh[0] as number,
        inspectorUrl: inspector,
        output,
        fetch: (path, token) =>
          mf.dispatchFetch(`http://edge.soak${path}`, { headers: { Authorization: `Bearer ${token}` } }),
      });
    }
    return { list, dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** Splits a stream into lines (without the newline); workerd ends every line it prints. */
function collectLines(stream: Readable, into: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line !== '') into.push(line);
  });
}

/**
 * Resident set size of a process in MiB (`VmRSS` of /proc/<pid>/status), or
 * null when it is gone or /proc is not there (not Linux).
 *
 * @example await rssMiB(isolate.pid) // 61.3
 */
export async function rssMiB(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** Pids of the `workerd` processes descending from this one (Miniflare spawns them directly). */
async function workerdDescendants(): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return [];
  }
  const parent = new Map<number, number>();
  const command = new Map<number, string>();
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          // comm is in parentheses and may contain spaces: the fields after the last ')' are fixed.
          const stat = await readFile(`/proc/${n}/stat`, 'utf8');
          const close = stat.lastIndexOf(')');
          const ppid = Number(stat.slice(close + 2).split(' ')[1]);
          parent.set(Number(n), ppid);
          command.set(Number(n), stat.slice(stat.indexOf('(') + 1, close));
        } catch {
          // The process ended while we looked.
        }
      }),
  );
  const descends = (pid: number) => {
    for (let p = parent.get(pid), hops = 0; p !== undefined && hops < 64; p = parent.get(p), hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return [...command].filter(([pid, comm]) => comm === 'workerd' && descends(pid)).map(([pid]) => pid);
}
