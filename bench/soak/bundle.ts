// The Worker exactly as `wrangler deploy` would upload it, bundled offline
// into a temp dir (the integration tests do the same once per run).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

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
    await promisify(execFile)(
      join(ROOT, 'node_modules/.bin/wrangler'),
      ['deploy', '--dry-run', '--outdir', outdir],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          WRANGLER_SEND_METRICS: 'false',
          CI: 'true',
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
        },
      },
    );
    return { script: join(outdir, 'index.js'), remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
