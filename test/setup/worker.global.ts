import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Worker exactly as `wrangler deploy` would upload it. */
    workerScript: string;
  }
}

/** Bundles the Worker once per run with wrangler itself, so tests run the deployable artefact. */
export default async function setup(project: TestProject) {
  const outdir = await mkdtemp(join(tmpdir(), 'edge-auth-worker-'));
  await promisify(execFile)('node_modules/.bin/wrangler', ['deploy', '--dry-run', '--outdir', outdir], {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  project.provide('workerScript', join(outdir, 'index.js'));
  return async () => {
    await rm(outdir, { recursive: true, force: true });
  };
}
