// The package as a user gets it, for test/package.test.ts: commands run in a
// fresh project without the `npm test` around them, README's install lines,
// and a git repository of the working tree to install from.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

/** Variables that would change what edge-auth's commands do: each test names the ones it means. */
const AMBIENT = /^(DATABASE_URL|REDIS_URL|JWT_\w+|UPSTASH_\w+|USERS_TABLE|USER_ID_TYPE|TOUCH_COLUMN|PORT)$/;

/**
 * The environment of a user's shell: none of the `npm test` running us (npm_config_local_prefix would
 * make `npm install` write into this repository) but the npm cache and registry, none of edge-auth's
 * variables, and wrangler offline.
 *
 * @example spawn('npx', ['edge-auth', 'local'], { env: childEnv({ DATABASE_URL: url }) })
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !/^npm_config_(cache|cafile|registry|userconfig|globalconfig)$/i.test(name))
      continue;
    if (AMBIENT.test(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    WRANGLER_SEND_METRICS: 'false',
    CI: 'true',
    CLOUDFLARE_CF_FETCH_ENABLED: 'false',
    ...extra,
  };
}

/**
 * Runs a command to completion in `cwd`; rejects with its output when it fails.
 *
 * @example const { stdout } = await run('npx', ['edge-auth', 'migrate'], project, { env: childEnv({ DATABASE_URL }) });
 */
export async function run(
  file: string,
  args: string[],
  cwd: string,
  options: { timeout?: number; env?: NodeJS.ProcessEnv } = {},
) {
  try {
    return await promisify(execFile)(file, args, {
      cwd,
      env: options.env ?? childEnv(),
      timeout: options.timeout ?? 60_000,
      maxBuffer: 16 << 20,
    });
  } catch (err) {
    const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${cwd}:\n${stdout}\n${stderr}`.slice(0, 4000));
  }
}

/**
 * The shell lines of README.md's "Install" section, comments removed.
 *
 * @example (await readmeInstallLines(root)).find((l) => l.includes('.tgz'))
 */
export async function readmeInstallLines(root: string): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = /^## Install\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)]
    .flatMap((block) => (block[1] ?? '').split('\n'))
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

/**
 * A git repository holding the working tree's files (tracked and new, as `git ls-files` lists them,
 * ignored ones left out: no dist/, no node_modules/), committed, in a temporary directory: what a
 * clone of the repository would give. Only that temporary repository is written.
 *
 * @example const repo = await gitSnapshot(root); await run('npm', ['install', `git+file://${repo}`], app);
 */
export async function gitSnapshot(root: string): Promise<string> {
  const repo = await mkdtemp(join(tmpdir(), 'edge-auth-git-'));
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], root);
  for (const path of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    // Deleted but still tracked files are not part of the working tree.
    await cp(join(root, path), join(repo, path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  const env = childEnv({ GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com' });
  const identity = { ...env, GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com' };
  await run('git', ['init', '-q'], repo, { env: identity });
  await run('git', ['add', '-A'], repo, { env: identity });
  await run('git', ['commit', '-q', '-m', 'working tree'], repo, { env: identity });
  return repo;
}

/**
 * A new, empty project (`package.json` only) in `parent`.
 *
 * @example const project = await newProject(work, 'my-worker');
 */
export async function newProject(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name, private: true, type: 'module' }, null, 2)}\n`,
  );
  return dir;
}
