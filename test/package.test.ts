import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, type Stack, startStack } from './support/stack';

/**
 * The package as a user gets it: `npm pack`, then the Worker of
 * examples/hono-app installed from the tarball with the oldest and the newest
 * hono the peer range allows, type-checked under a Workers-only tsconfig,
 * bundled by wrangler and run in workerd against the real stack — plus plain
 * Node importing it. npm installs dominate the time: one per hono version.
 */

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples/hono-app');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const rootPackage = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const examplePackage = JSON.parse(await readFile(join(EXAMPLE, 'package.json'), 'utf8')) as PackageJson;

/** The floor of the peer range, and the pin this repository develops against (the newest 4.x). */
const OLDEST_HONO = /^>=\s*(\d+\.\d+\.\d+) <5$/.exec(rootPackage.peerDependencies?.hono ?? '')?.[1];
const NEWEST_HONO = rootPackage.devDependencies?.hono;

/**
 * Child processes get no npm_* variables of the `npm test` running us
 * (npm_config_local_prefix would make `npm install` write into this repository),
 * except where the cache and registry are.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !/^npm_config_(cache|cafile|registry|userconfig|globalconfig)$/i.test(name))
      continue;
    env[name] = value;
  }
  return { ...env, WRANGLER_SEND_METRICS: 'false', CI: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
}

async function run(file: string, args: string[], cwd: string, timeout = 60_000) {
  try {
    return await promisify(execFile)(file, args, { cwd, env: childEnv(), timeout, maxBuffer: 16 << 20 });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`.slice(0, 4000));
  }
}

/** `tsc --noEmit` diagnostics by file (tsc prints `file(line,col): error TS…`). */
async function typecheck(cwd: string): Promise<string[]> {
  try {
    await promisify(execFile)(bin('tsc'), ['--noEmit', '-p', 'tsconfig.json', '--pretty', 'false'], {
      cwd,
      env: childEnv(),
    });
    return [];
  } catch (err) {
    const out = (err as { stdout?: string }).stdout ?? String(err);
    return out.split('\n').filter((line) => /^\S.*\(\d+,\d+\): error TS/.test(line));
  }
}

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

describe('the npm package', () => {
  let work: string;
  let packed: Packed;
  let stack: Stack;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'edge-auth-package-'));
    const [{ stdout }, started] = await Promise.all([
      // prepack builds dist/ (declarations with tsc, the bundle with esbuild).
      run('npm', ['pack', '--json', '--pack-destination', work], ROOT, 120_000),
      startStack(),
    ]);
    stack = started;
    packed = (JSON.parse(stdout) as Packed[])[0]!;
    console.log(
      `[package] ${packed.filename}: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`,
    );
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds only the runtime: the bundle, its declarations, the schema, README and licence', async () => {
    const paths = packed.files.map((f) => f.path).sort();
    expect(paths.filter((p) => !p.endsWith('.d.ts'))).toEqual([
      'LICENSE',
      'README.md',
      'dist/index.js',
      ...paths.filter((p) => p.startsWith('migrations/')),
      'package.json',
    ]);
    for (const p of paths.filter((p) => p.startsWith('migrations/')))
      expect(p).toMatch(/^migrations\/\d{4}_\w+\.sql$/);
    // One declaration file per source module, none for tests.
    const sources = (await readdir(join(ROOT, 'src'), { recursive: true }))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => `dist/${f.replace(/\.ts$/, '.d.ts')}`)
      .sort();
    expect(paths.filter((p) => p.endsWith('.d.ts'))).toEqual(sources);
  });

  it('declares hono as a peer, tested at both ends of its range', () => {
    expect(rootPackage.dependencies?.hono).toBeUndefined();
    expect(OLDEST_HONO).toMatch(/^4\.\d+\.\d+$/);
    expect(NEWEST_HONO).toMatch(/^4\.\d+\.\d+$/);
    // The example pins the same tools this repository runs it with.
    for (const tool of ['typescript', 'wrangler', '@cloudflare/workers-types'])
      expect(examplePackage.devDependencies?.[tool], tool).toBe(rootPackage.devDependencies?.[tool]);
  });

  describe.each([
    ['oldest', OLDEST_HONO!],
    ['newest', NEWEST_HONO!],
  ])('examples/hono-app with the %s hono (%s)', (_, hono) => {
    let app: string;
    let worker: Miniflare | undefined;

    beforeAll(async () => {
      app = join(work, `hono-${hono}`);
      await cp(EXAMPLE, app, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|dist|\.wrangler)$/.test(src),
      });
      // The tarball just packed, this hono; TypeScript and wrangler are this repository's (same pins).
      const pkg = structuredClone(examplePackage);
      pkg.dependencies = { ...pkg.dependencies, 'edge-auth': `file:${join(work, packed.filename)}`, hono };
      pkg.devDependencies = {
        '@cloudflare/workers-types': examplePackage.devDependencies!['@cloudflare/workers-types']!,
      };
      await writeFile(join(app, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
      await run('npm', ['install', '--no-audit', '--no-fund', '--no-update-notifier'], app, 90_000);
    }, 120_000);
    afterAll(async () => {
      await worker?.dispose();
    });

    it('type-checks under a Workers-only tsconfig with skipLibCheck: false', async () => {
      const tsconfig = JSON.parse(await readFile(join(app, 'tsconfig.json'), 'utf8'));
      expect(tsconfig.compilerOptions.types).toEqual(['@cloudflare/workers-types/2023-07-01']);
      expect(tsconfig.compilerOptions.skipLibCheck).toBe(false);
      const errors = await typecheck(app);
      // hono < 4.12.3's own client types do not match workers-types' Response
      // (a bare `new Hono()` app fails the same way): the only errors allowed, and only there.
      const ours = errors.filter((line) => !line.startsWith('node_modules/hono/dist/types/client/'));
      expect(ours).toEqual([]);
      if (hono === NEWEST_HONO) expect(errors).toEqual([]);
    });

    it('bundles with wrangler and runs in workerd against Redis and PostgreSQL', async () => {
      const out = join(app, 'dist');
      await run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', out], app);
      const bundle = await readFile(join(out, 'index.js'), 'utf8');
      // One hono: the app's. Its HTTPException is the class edge-auth throws.
      expect(bundle.match(/var HTTPException\d* = class/g)).toEqual(['var HTTPException = class']);

      worker = new Miniflare({
        modules: true,
        scriptPath: join(out, 'index.js'),
        modulesRoot: out,
        compatibilityDate: '2026-04-20',
        bindings: stack.env(),
      });
      const fetch = (path: string, init: RequestInit = {}) =>
        worker!.dispatchFetch(`http://app.test${path}`, init as Parameters<Miniflare['dispatchFetch']>[1]);

      const open = await fetch('/');
      expect(open.status).toBe(200);
      expect(await open.json()).toEqual({ hello: 'world' });

      const refused = await fetch('/api/me');
      expect(refused.status).toBe(401);
      expect(refused.headers.get('WWW-Authenticate')).toBe('Bearer realm="edge-auth"');
      expect(await refused.json()).toMatchObject({ error: 'missing_token' });

      const forged = await fetch('/api/me', bearer('not.a.token'));
      expect(forged.status).toBe(401);
      expect(forged.headers.get('WWW-Authenticate')).toMatch(
        /^Bearer realm="edge-auth", error="invalid_token"/,
      );

      const user = `u-pkg-${hono}`;
      await stack.user(user);
      const token = await stack.session(`s-pkg-${hono}`, user);
      const res = await fetch('/api/me', bearer(token));
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        user: expect.objectContaining({ id: user, username: `user-${user}`, isActive: true }),
        sessionId: `s-pkg-${hono}`,
      });
    });

    it('imports in plain Node', async () => {
      const script = `import('edge-auth').then(async (m) => {
        const cache = m.createMemorySessionCache();
        console.log(JSON.stringify({
          exports: Object.keys(m).sort(),
          read: await cache.read('s1', 'u1'),
          authError: new m.AuthError('missing_token', 'none') instanceof Error,
          resolved: require.resolve('edge-auth'),
        }));
      })`;
      const { stdout } = await run(process.execPath, ['-e', script], app);
      const result = JSON.parse(stdout) as {
        exports: string[];
        read: unknown;
        authError: boolean;
        resolved: string;
      };
      expect(result.resolved).toBe(join(app, 'node_modules/edge-auth/dist/index.js'));
      expect(result.exports).toEqual(
        expect.arrayContaining([
          'edgeAuth',
          'createApp',
          'parseConfig',
          'createUpstashSessionCache',
          'createNeonSessionStore',
          'createMemorySessionCache',
          'createMemorySessionStore',
          'createTokenVerifier',
          'createAuthenticator',
          'assembleServices',
          'AuthError',
          'DependencyError',
          'OriginError',
          'ConfigError',
          'IdentityError',
        ]),
      );
      expect(result.read).toEqual({ entry: null, touchMarked: false });
      expect(result.authError).toBe(true);
    });
  });
});
