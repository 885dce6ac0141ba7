// Bundles the four Workers with wrangler itself (`deploy --dry-run`), so the
// benchmark runs what would be uploaded: the real edge-auth from wrangler.toml,
// and the three bench Workers from their own configs (same compatibility date).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The variants, in the order they are reported. */
export const VARIANTS = ['convoy', 'edge-auth', 'jwt-only', 'passthrough'] as const;
export type Variant = (typeof VARIANTS)[number];

/** Miniflare must use the compatibility date every config above names. */
export const COMPATIBILITY_DATE = '2026-04-20';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** Bundled scripts by variant, and the temp dir holding them. */
export interface Bundles {
  scripts: Record<Variant, string>;
  /** Removes the temp dir. */
  remove(): Promise<void>;
}

/**
 * Bundles one Worker with `wrangler deploy --dry-run` into `outdir`; returns the script's path.
 * @example await bundleWorker(dir, 'bench/workers/hot-path.toml', 'hot-path.js')
 */
export async function bundleWorker(
  outdir: string,
  config: string | undefined,
  file: string,
): Promise<string> {
  const args = ['deploy', '--dry-run', '--outdir', outdir, ...(config ? ['--config', config] : [])];
  await run(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  return join(outdir, file);
}

/**
 * Builds the bundles in parallel into one temp dir. `edgeAuthScript` reuses an
 * already-built edge-auth bundle (the test suite builds one per run).
 *
 * @example
 * const bundles = await buildBundles();
 * try { new Miniflare({ scriptPath: bundles.scripts.convoy, … }); } finally { await bundles.remove(); }
 */
export async function buildBundles(options: { edgeAuthScript?: string } = {}): Promise<Bundles> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-auth-bench-'));
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    // Each bundle in its own subdir: Miniflare resolves modules from the script's dir.
    const [convoy, edgeAuth, jwtOnly, passthrough] = await Promise.all([
      bundleWorker(join(dir, 'convoy'), 'bench/workers/convoy.toml', 'convoy.js'),
      options.edgeAuthScript ?? bundleWorker(join(dir, 'edge-auth'), undefined, 'index.js'),
      bundleWorker(join(dir, 'jwt-only'), 'bench/workers/jwt-only.toml', 'jwt-only.js'),
      bundleWorker(join(dir, 'passthrough'), 'bench/workers/passthrough.toml', 'passthrough.js'),
    ]);
    return { scripts: { convoy, 'edge-auth': edgeAuth, 'jwt-only': jwtOnly, passthrough }, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
