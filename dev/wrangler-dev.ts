// `wrangler dev` as `npm run dev` runs it: offline, in a process group of its
// own (so it can be ended with workerd and esbuild), its bindings from a file
// rather than the command line, and its output watched for the ready line and
// a failed bind.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { portBusy } from './ports';

/** A failure the user can act on (busy port, second instance): printed as is, without a stack. */
export class DevError extends Error {}

/** How long wrangler may take to answer on the port (a cold first build on a slow machine). */
const WORKER_READY_TIMEOUT_MS = 90_000;

/** A running `wrangler dev` and what it said so far that matters here. */
export interface WranglerRun {
  child: ChildProcess;
  /** The port of its "Ready on http://127.0.0.1:<port>" line. */
  readyPort?: number;
  /** The address (host:port) it or workerd could not bind: ours, or the inspector's. */
  addressInUse?: string;
}

/**
 * The error for a port someone else holds.
 * @example throw portInUse(8787);
 */
export function portInUse(port: number): DevError {
  return new DevError(
    `port ${port} is already in use by another process (127.0.0.1:${port}); stop it or use PORT=<another port>`,
  );
}

const ESCAPE_SEQUENCE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** Copies wrangler's output to ours, watching it for the ready line and a failed bind. */
function relay(from: Readable | null, to: Writable, run: WranglerRun) {
  let tail = ''; // a line may arrive split across chunks
  from?.on('data', (chunk: Buffer) => {
    to.write(chunk);
    tail = (tail + chunk.toString('utf8')).slice(-4096);
    const text = tail.replace(ESCAPE_SEQUENCE, '');
    const readyAt = /Ready on https?:\/\/[^\s/]+:(\d+)/.exec(text)?.[1];
    if (readyAt) run.readyPort = Number(readyAt);
    // workerd: "Address already in use; toString() = 127.0.0.1:8787"; wrangler: "… in use (127.0.0.1:8787)".
    const inUse = /Address already in use(?:; toString\(\) = |\s*\()([^\s)]+:\d+)/.exec(text)?.[1];
    if (inUse) run.addressInUse ??= inUse;
  });
}

/**
 * Starts `wrangler dev` on 127.0.0.1:`port` with the bindings of `varsFile` only.
 * @example const run = startWrangler(8787, '/tmp/x/bindings.env');
 */
export function startWrangler(port: number, varsFile: string): WranglerRun {
  const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--show-interactive-dev-session=false'];
  if (process.env.WRANGLER_INSPECTOR_PORT) args.push('--inspector-port', process.env.WRANGLER_INSPECTOR_PORT);
  args.push('--env-file', varsFile);
  const child = spawn('node_modules/.bin/wrangler', args, {
    // Its own process group, so endGroup() can end wrangler, workerd and esbuild together and wait for them.
    detached: true,
    // Through this process rather than inherited: its output tells whether it bound the port, and once
    // the terminal is gone (SIGHUP) only this process has to cope with writes that fail.
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      // The bindings come from the file only, never from this process's environment.
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: 'true',
      CLOUDFLARE_INCLUDE_PROCESS_ENV: 'false',
    },
  });
  const run: WranglerRun = { child };
  relay(child.stdout, process.stdout, run);
  relay(child.stderr, process.stderr, run);
  return run;
}

/**
 * Waits until wrangler says it is ready on `port` and the Worker answers /healthz there. The ready
 * line matters: an answer alone might come from whatever took the port meanwhile. Resolves early
 * (without throwing) once `stopping()` is true.
 *
 * @example await waitForWorker(8787, run, () => stopping);
 */
export async function waitForWorker(port: number, run: WranglerRun, stopping: () => boolean) {
  const { child } = run;
  const deadline = Date.now() + WORKER_READY_TIMEOUT_MS;
  while (Date.now() < deadline && !stopping()) {
    const exited = child.exitCode !== null || child.signalCode !== null;
    // wrangler exits after a failed bind; do not wait for it when it says so.
    const inUse = run.addressInUse;
    if (inUse?.endsWith(`:${port}`)) throw portInUse(port);
    if (inUse) {
      throw new DevError(
        `wrangler could not listen on ${inUse}: already in use by another process ` +
          '(WRANGLER_INSPECTOR_PORT picks the inspector port)',
      );
    }
    if (exited) {
      if ((await portBusy(port)) === 'EADDRINUSE') throw portInUse(port);
      throw new DevError(
        `wrangler exited (${child.exitCode ?? child.signalCode}) before the Worker was ready`,
      );
    }
    if (run.readyPort !== undefined && run.readyPort !== port) {
      throw new DevError(`wrangler listens on port ${run.readyPort} instead of ${port}`);
    }
    if (run.readyPort === port) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return;
      } catch {
        // not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!stopping()) throw new DevError(`the Worker did not answer on port ${port} within 90 s`);
}

/**
 * Ends every process of a group (SIGTERM, then SIGKILL after 5 s or as soon as `hurry()`) and
 * waits until none is left.
 *
 * @example await endGroup(run.child.pid!, () => false);
 */
export async function endGroup(pgid: number, hurry: () => boolean) {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  let killed = false;
  for (let waited = 0; alive(); waited += 50) {
    if (!killed && (hurry() || waited >= 5000)) {
      signal('SIGKILL');
      killed = true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
