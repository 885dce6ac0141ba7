import { join, resolve } from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';

/**
 * What each entry costs an app's bundle, measured with esbuild's metafile the
 * way wrangler bundles a Worker (workerd conditions, minified, hono left to
 * the app): a middleware user with their own adapters must never carry Neon's
 * driver or Upstash's client. Sizes are printed as a metric; the drivers are
 * asserted.
 */
const ROOT = resolve(import.meta.dirname, '..');
const ENTRIES = {
  'edge-auth': 'src/index.ts',
  'edge-auth/hono': 'src/hono/index.ts',
  'edge-auth/upstash': 'src/adapters/upstash.ts',
  'edge-auth/neon': 'src/adapters/neon.ts',
  'edge-auth/memory': 'src/adapters/memory.ts',
  'edge-auth/django': 'src/adapters/django.ts',
  'edge-auth/worker': 'src/worker/index.ts',
} as const;
const DRIVERS = ['@neondatabase/serverless', '@upstash/redis'];

/** `import … from 'edge-auth/…'` resolved to this repository's sources, as the package maps them. */
const edgeAuthSources: Plugin = {
  name: 'edge-auth-sources',
  setup(b) {
    b.onResolve({ filter: /^edge-auth(\/|$)/ }, (args) => ({
      path: join(ROOT, ENTRIES[args.path as keyof typeof ENTRIES]),
    }));
  },
};

async function bundle(contents: string, resolveDir = ROOT) {
  const result = await build({
    stdin: { contents, resolveDir, loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['hono', 'hono/*', 'node:*', 'cloudflare:*'],
    metafile: true,
    logLevel: 'silent',
    plugins: [edgeAuthSources],
  });
  return { bytes: result.outputFiles[0]?.contents.length ?? 0, metafile: result.metafile };
}

function driversIn(metafile: Metafile): string[] {
  const inputs = Object.keys(metafile.inputs);
  return DRIVERS.filter((d) => inputs.some((input) => input.includes(`node_modules/${d}/`)));
}

function sourcesIn(metafile: Metafile, dir: string): string[] {
  return Object.keys(metafile.inputs).filter((input) => input.startsWith(`src/${dir}/`));
}

describe('bundle size by entry', () => {
  it('no entry but the Worker carries a database or Redis driver', async () => {
    const sizes: string[] = [];
    const drivers: Record<string, string[]> = {};
    for (const name of Object.keys(ENTRIES)) {
      const { bytes, metafile } = await bundle(`export * from '${name}';`);
      drivers[name] = driversIn(metafile);
      sizes.push(
        `${name.padEnd(18)} ${(bytes / 1024).toFixed(1).padStart(6)} KiB  drivers: ${drivers[name].join(', ') || 'none'}`,
      );
    }
    console.log(`[bundle] minified, hono external:\n${sizes.join('\n')}`);
    expect(drivers).toEqual({
      'edge-auth': [],
      'edge-auth/hono': [],
      'edge-auth/upstash': [],
      'edge-auth/neon': [],
      'edge-auth/memory': [],
      'edge-auth/django': [],
      'edge-auth/worker': DRIVERS,
    });
  });

  it('the middleware with in-memory adapters bundles no driver and none of the Worker', async () => {
    const { metafile } = await bundle(`
      import { edgeAuth } from 'edge-auth/hono';
      import { createMemorySessionCache, createMemorySessionStore } from 'edge-auth/memory';
      export const auth = edgeAuth({ keys: { secret: 'x'.repeat(32) }, cache: createMemorySessionCache(), store: createMemorySessionStore() });
    `);
    expect(driversIn(metafile)).toEqual([]);
    expect(sourcesIn(metafile, 'worker')).toEqual([]);
  });

  it('examples/hono-app carries the two drivers it uses and nothing of the Worker', async () => {
    const { bytes, metafile } = await bundle(
      `export { default } from './src/index.ts';`,
      join(ROOT, 'examples/hono-app'),
    );
    console.log(`[bundle] examples/hono-app: ${(bytes / 1024).toFixed(1)} KiB minified (hono external)`);
    expect(driversIn(metafile)).toEqual(DRIVERS);
    expect(sourcesIn(metafile, 'worker')).toEqual([]);
    expect(sourcesIn(metafile, 'proxy')).toEqual([]);
  });
});
