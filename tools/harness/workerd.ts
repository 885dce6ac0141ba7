// Workers as the benchmark and the soak run them: bundled by wrangler itself
// (`deploy --dry-run`), so what runs is what would be uploaded, each in its
// own workerd process (one Miniflare each), started alone so that its pid is
// the one new workerd child of this process: its CPU time and RSS come from /proc.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Miniflare, type Response as WorkerResponse } from 'miniflare';
import { COMPATIBILITY_DATE } from '../../src/config/defaults';
import { processes } from './proc';

/** The repository's root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Bundled scripts by name, in one temp dir. */
export interface Bundles<K extends string> {
  scripts: Record<K, string>;
  /** Removes the temp dir. */
  remove(): Promise<void>;
}

/**
 * Bundles Workers in parallel: `configs` maps a name to its wrangler config (undefined: the real
 * Worker's wrangler.toml); the script is the config's `main` as `<name of the .toml>.js`.
 *
 * @example
 * const bundles = await bundleWorkers({ 'edge-auth': undefined, convoy: 'bench/workers/convoy.toml' });
 * try { startWorkerd({ script: bundles.scripts.convoy }); } finally { await bundles.remove(); }
 */
export async function bundleWorkers<K extends string>(
  configs: Record<K, string | undefined>,
): Promise<Bundles<K>> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-auth-bundles-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  const env = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    CI: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  };
  try {
    const built = await Promise.all(
      (Object.entries(configs) as [K, string | undefined][]).map(async ([name, config]) => {
        // Each bundle in its own dir: Miniflare resolves modules from the script's dir.
        const outdir = join(dir, name);
        const args = ['deploy', '--dry-run', '--outdir', outdir, ...(config ? ['--config', config] : [])];
        await promisify(execFile)(join(ROOT, 'node_modules/.bin/wrangler'), args, { cwd: ROOT, env });
        return [name, join(outdir, config ? `${basename(config, '.toml')}.js` : 'index.js')] as const;
      }),
    );
    return { scripts: Object.fromEntries(built) as Record<K, string>, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** What to run in one workerd. */
export interface WorkerdOptions {
  /** A bundled script (bundleWorkers), or `source`: an inline ES module. */
  script?: string;
  source?: string;
  bindings?: Record<string, string>;
  /** Keep every line it prints (the soak's log scan); default: drop stdout, relay stderr. */
  capture?: boolean;
  /** Open an inspector on a free port (the soak's heap figures). */
  inspector?: boolean;
}

/** One running workerd. */
export interface Workerd {
  mf: Miniflare;
  /** Its process, when /proc shows exactly one new workerd child. */
  pid: number | undefined;
  /** What it printed, line by line (only with `capture`). */
  output: { stdout: string[]; stderr: string[] };
  /** `path` with `Authorization: Bearer <token>`. */
  fetch(path: string, token: string): Promise<WorkerResponse>;
}

const workerdChildren = () =>
  processes()
    .filter((p) => p.comm === 'workerd' && p.ppid === process.pid)
    .map((p) => p.pid);

/**
 * Starts one workerd and waits until it is ready; start them one at a time, or the pids mix up.
 *
 * @example
 * const w = await startWorkerd({ script, bindings: { ORIGIN_URL: origin.url } });
 * try { await w.fetch('/api', token); } finally { await w.mf.dispose(); }
 */
export async function startWorkerd(options: WorkerdOptions): Promise<Workerd> {
  const before = new Set(workerdChildren());
  const output = { stdout: [] as string[], stderr: [] as string[] };
  // Miniflare answers SIGINT/SIGTERM with an immediate process.exit, which would skip the caller's
  // cleanup (databases, Redis keys). Its signal listeners go: the CLIs own signals; its `exit`
  // hook still kills workerd if the process dies anyway.
  const signals = ['SIGINT', 'SIGTERM'] as const;
  const listening = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mf = new Miniflare({
    modules: true,
    ...(options.script
      ? { scriptPath: options.script, modulesRoot: dirname(options.script) }
      : { script: options.source ?? '' }),
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: options.bindings ?? {},
    ...(options.inspector ? { inspectorPort: 0 } : {}),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      if (options.capture) {
        collectLines(stdout, output.stdout);
        collectLines(stderr, output.stderr);
        return;
      }
      // edge-auth logs a JSON line per request: drained here, not relayed to this process's output.
      stdout.resume();
      stderr.pipe(process.stderr);
    },
  });
  for (const s of signals)
    for (const l of process.listeners(s)) if (!listening.get(s)?.has(l)) process.off(s, l);
  try {
    await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => undefined);
    throw err;
  }
  const fresh = workerdChildren().filter((pid) => !before.has(pid));
  return {
    mf,
    pid: fresh.length === 1 ? fresh[0] : undefined,
    output,
    fetch: (path, token) =>
      mf.dispatchFetch(`http://edge.bench${path}`, { headers: { Authorization: `Bearer ${token}` } }),
  };
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
