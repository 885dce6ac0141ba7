// The Worker exactly as `wrangler deploy` would upload it, bundled offline
// into a temp dir (the integration tests do the same once per run).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorker as bundle } from '../build';

/**
 * Bundles the Worker; `remove()` deletes the temp dir.
 *
 * @example
 * const bundle = await bundleWorker();
 * try { await runSoak({ workerScript: bundle.script, … }); } finally { await bundle.remove(); }
 */
export async function bundleWorker(): Promise<{ script: string; remove(): Promise<void> }> {
  const outdir = await mkdtemp(join(tmpdir(), 'edge-auth-soak-'));
  const remove = () => rm(outdir, { recursive: true, force: true });
  try {
    return { script: await bundle(outdir, undefined, 'index.js'), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
