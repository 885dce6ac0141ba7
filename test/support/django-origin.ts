import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { aptInstall, canAptInstall } from './apt';
import { send } from './proxies';

/** Debian's interpreter, not a pyenv shim: the apt packages install their modules for it. */
const PYTHON = '/usr/bin/python3';
const APT_PACKAGES = ['python3-django', 'python3-gunicorn'];
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

/**
 * Starts the Django project in test/fixtures/django-origin under the real gunicorn (Debian's
 * `python3-django` 3.2 and `python3-gunicorn`, apt-installed when missing and allowed) on a
 * port of 127.0.0.1 that gunicorn picks itself, so no other process can take it in between.
 * Resolves once Django answers; `stop()` ends the master and its worker.
 *
 * @example
 * const django = await startDjangoOrigin();
 * await send(`${django.url}/login/account/`, { headers: { SCRIPT_NAME: '/login' } }); // the private view
 * await django.stop();
 */
export async function startDjangoOrigin() {
  await ensurePackages();
  const child = spawn(
    PYTHON,
    // Port 0: gunicorn binds a free port itself and logs it, so nothing can take it in between.
    ['-m', 'gunicorn', '--chdir', FIXTURE, '--bind', '127.0.0.1:0', '--workers', '1', 'wsgi:application'],
    {
      // Its own process group: the master and its worker end together, even if this process dies.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
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
    const url = await ready(bound, running.exited);
    return { url, stop, output: () => output };
  } catch (err) {
    await stop();
    throw new Error(`gunicorn did not start: ${(err as Error).message}\n${output}`);
  }
}

export type DjangoOrigin = Awaited<ReturnType<typeof startDjangoOrigin>>;

/** Waits for gunicorn's bound address, then until Django itself answers there, within one deadline. */
async function ready(bound: Promise<string>, exited: Promise<string>): Promise<string> {
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
    const res = await Promise.race([send(`${url}/login/`, { timeoutMs: 2000 }).catch((e: Error) => e), died]);
    if (!(res instanceof Error) && res.status === 200 && res.body.includes('"view": "login"')) return url;
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

/** Django and gunicorn for Debian's python3: installed with apt-get when missing and allowed. */
async function ensurePackages(): Promise<void> {
  const present = () => spawnSync(PYTHON, ['-c', 'import django, gunicorn']).status === 0;
  if (present()) return;
  const hint = `install them with: apt-get install -y ${APT_PACKAGES.join(' ')}`;
  if (!(await canAptInstall())) throw new Error(`Django or gunicorn is missing for ${PYTHON}; ${hint}`);
  installing ??= aptInstall(APT_PACKAGES);
  await installing;
  if (!present()) throw new Error(`Django or gunicorn is still missing after apt-get install; ${hint}`);
}
