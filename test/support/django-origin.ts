import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { aptInstall, canAptInstall } from './apt';
import { send } from './proxies';

/** Debian's interpreter, not a pyenv shim: the apt packages install their modules for it. */
export const PYTHON = '/usr/bin/python3';
/** Python modules the origin needs, each with the Debian package that provides it for PYTHON. */
const DJANGO_MODULES: Record<string, string> = { django: 'python3-django', gunicorn: 'python3-gunicorn' };
const FIXTURE = fileURLToPath(new URL('../fixtures/django-origin/', import.meta.url));
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_LIMIT = 64 * 1024;

/** What the private views of test/fixtures/django-origin answer: finding one in an answer is a breach. */
export const DJANGO_SECRETS = ['ACCOUNT-SECRET-4f1c', 'ADMIN-DATA-SECRET-9b2e'] as const;

/** The echo views' answer (`/echo/`, `/login/echo/`, `/static/echo/`): what Django saw. */
export interface DjangoEcho {
  /** The URL name of the view that answered (`echo`, `login-echo`, …). */
  view: string;
  method: string;
  path: string;
  script_name: string;
  path_info: string;
  remote_user: string | null;
  /** Every request header as its WSGI key (`HTTP_X_AUTH_USER_ID`). */
  headers: Record<string, string>;
}

/** Another Django project than the fixture; every field defaults to the fixture's. */
export interface DjangoOriginOptions {
  /** The project's directory (gunicorn's `--chdir`). */
  project?: string;
  /** The WSGI callable, `module:name`. Default `wsgi:application`. */
  app?: string;
  /** Django's environment (settings, secrets): passed in the environment, never on a command line. */
  env?: Record<string, string>;
  /** Threads per worker (gunicorn's gthread worker). Default: the sync worker. */
  threads?: number;
  /** Ready once GET `path` answers 200 with `contains` in its body. Default the fixture's `/login/`. */
  ready?: { path: string; contains: string; headers?: Record<string, string> };
  /** More Python modules the project imports, with their Debian packages (`{ psycopg2: 'python3-psycopg2' }`). */
  modules?: Record<string, string>;
}

/**
 * Starts the Django project in test/fixtures/django-origin (or `options.project`) under the real
 * gunicorn (Debian's `python3-django` 3.2 and `python3-gunicorn`, apt-installed when missing and
 * allowed) on a port of 127.0.0.1 that gunicorn picks itself, so no other process can take it in
 * between. Resolves once Django answers; `stop()` ends the master and its worker.
 *
 * @example
 * const django = await startDjangoOrigin();
 * await send(`${django.url}/login/account/`, { headers: { SCRIPT_NAME: '/login' } }); // the private view
 * await django.stop();
 */
export async function startDjangoOrigin(options: DjangoOriginOptions = {}) {
  await ensurePythonModules(options.modules);
  const threads = options.threads ? ['--threads', String(options.threads)] : [];
  const child = spawn(
    PYTHON,
    // Port 0: gunicorn binds a free port itself and logs it, so nothing can take it in between.
    [
      '-m',
      'gunicorn',
      '--chdir',
      options.project ?? FIXTURE,
      '--bind',
      '127.0.0.1:0',
      '--workers',
      '1',
      ...threads,
      options.app ?? 'wsgi:application',
    ],
    {
      // Its own process group: the master and its worker end together, even if this process dies.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...options.env },
    },
  );
  const running = trackGroup(child);
  let output = '';
  let listening: (url: string) => void = () => {};
  const bound = new Promise<string>((r) => (listening = r));
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
    const url = /Listening at: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (url) listening(url);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const stop = () => running.end();
  try {
    const url = await ready(bound, running.exited, options.ready ?? FIXTURE_READY);
    return { url, stop, output: () => output };
  } catch (err) {
    await stop();
    throw new Error(`gunicorn did not start: ${(err as Error).message}\n${output}`);
  }
}

export type DjangoOrigin = Awaited<ReturnType<typeof startDjangoOrigin>>;

/** What the fixture's login view answers. */
const FIXTURE_READY = { path: '/login/', contains: '"view": "login"' };

/** Waits for gunicorn's bound address, then until Django itself answers there, within one deadline. */
async function ready(
  bound: Promise<string>,
  exited: Promise<string>,
  probe: NonNullable<DjangoOriginOptions['ready']>,
): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const died = exited.then((why): never => {
    throw new Error(`exited (${why})`);
  });
  died.catch(() => undefined); // raced below; once it is up, its exit at stop() is no error
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`no address in ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
  });
  let url: string;
  try {
    url = await Promise.race([bound, late, died]);
  } finally {
    clearTimeout(timer);
  }
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    const res = await Promise.race([
      send(`${url}${probe.path}`, { timeoutMs: 2000, headers: probe.headers ?? {} }).catch((e: Error) => e),
      died,
    ]);
    if (!(res instanceof Error) && res.status === 200 && res.body.includes(probe.contains)) return url;
    last = res instanceof Error ? res.message : `answered ${res.status}`;
    await Promise.race([new Promise((r) => setTimeout(r, 50)), died]);
  }
  throw new Error(`Django did not answer on ${url} in ${READY_TIMEOUT_MS} ms (${last})`);
}

/** Process groups still running; killed if this process exits without stopping them. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) signalGroup(pgid, 'SIGKILL');
});

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

/** The child's group: `exited` settles when the master exits; `end()` stops the group (TERM, then KILL). */
function trackGroup(child: ChildProcess) {
  const pgid = child.pid;
  const exited = new Promise<string>((done) => {
    child.once('error', (err) => done(err.message));
    child.once('exit', (code, signal) => done(signal ? `signal ${signal}` : `code ${code}`));
  });
  if (pgid !== undefined) {
    liveGroups.add(pgid);
    void exited.then(() => liveGroups.delete(pgid));
  }
  return {
    exited,
    async end() {
      if (pgid === undefined || !signalGroup(pgid, 'SIGTERM')) return;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
      clearTimeout(timer);
      // A worker still in the group after its master: kill what is left.
      if (signalGroup(pgid, 0)) signalGroup(pgid, 'SIGKILL');
      liveGroups.delete(pgid);
    },
  };
}

let installing: Promise<void> | undefined;

/**
 * Django, gunicorn and `extra` modules for Debian's python3 ({@link PYTHON}): installed with apt-get
 * when missing and allowed.
 *
 * @example
 * await ensurePythonModules({ psycopg2: 'python3-psycopg2' }); // then run manage.py with PYTHON
 */
export async function ensurePythonModules(extra: Record<string, string> = {}): Promise<void> {
  const modules = { ...DJANGO_MODULES, ...extra };
  const present = () => spawnSync(PYTHON, ['-c', `import ${Object.keys(modules).join(', ')}`]).status === 0;
  if (present()) return;
  const packages = Object.values(modules);
  const hint = `install them with: apt-get install -y ${packages.join(' ')}`;
  const names = Object.keys(modules).join(', ');
  if (!(await canAptInstall())) throw new Error(`${names}: one is missing for ${PYTHON}; ${hint}`);
  // One install at a time: apt-get holds the dpkg lock.
  installing = (installing ?? Promise.resolve()).catch(() => undefined).then(() => aptInstall(packages));
  await installing;
  if (!present()) throw new Error(`${names}: one is still missing after apt-get install; ${hint}`);
}
