import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath } from '../../dev/redis-process';
import { aptInstall, canAptInstall } from './apt';

export type ProxyKind = 'nginx' | 'caddy';

/** The addresses the example configs are written with; tests replace them as plain text. */
export const EXAMPLE_ADDRESSES = { proxy: '127.0.0.1:8088', worker: '127.0.0.1:8787', app: '127.0.0.1:8080' };

const EXAMPLES: Record<ProxyKind, { file: string; server: RegExp }> = {
  nginx: {
    file: fileURLToPath(new URL('../../examples/nginx/nginx.conf', import.meta.url)),
    server: /^nginx\b/,
  },
  caddy: {
    file: fileURLToPath(new URL('../../examples/caddy/Caddyfile', import.meta.url)),
    server: /^Caddy$/,
  },
};
const APT_PACKAGES = ['nginx-light', 'caddy'];
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const OUTPUT_LIMIT = 64 * 1024;

/**
 * Starts nginx or Caddy from a copy of the example config, with the proxy on a free port of
 * 127.0.0.1 and the edge-auth Worker and the app at the given `host:port`s; resolves once the
 * proxy answers HTTP. The process runs in its own process group and its own temp directory
 * (nginx's prefix; Caddy's HOME and XDG dirs), which `stop()` ends and removes. `edit` changes
 * the example's text first (a test's extra route).
 *
 * @example
 * const nginx = await startProxy('nginx', { worker: '127.0.0.1:41234', app: '127.0.0.1:41235' });
 * await send(`${nginx.url}/api`, { headers: { Authorization: `Bearer ${token}` } });
 * await nginx.stop();
 */
export async function startProxy(
  kind: ProxyKind,
  upstreams: { worker: string; app: string },
  edit: (config: string) => string = (config) => config,
) {
  const binary = await proxyBinary(kind);
  const template = edit(await readFile(EXAMPLES[kind].file, 'utf8'));
  // A port found free may be taken before the proxy binds it: try another one then.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = substitute(template, {
      [EXAMPLE_ADDRESSES.proxy]: `127.0.0.1:${port}`,
      [EXAMPLE_ADDRESSES.worker]: upstreams.worker,
      [EXAMPLE_ADDRESSES.app]: upstreams.app,
    });
    const proxy = await launch(kind, binary, config, port);
    try {
      await proxy.ready();
      return proxy;
    } catch (err) {
      await proxy.stop();
      if (attempt < 3 && /address already in use/i.test(proxy.output())) continue;
      throw err;
    }
  }
}

export type RunningProxy = Awaited<ReturnType<typeof startProxy>>;

async function launch(kind: ProxyKind, binary: string, config: string, port: number) {
  const dir = await mkdtemp(join(tmpdir(), `edge-auth-${kind}-`));
  // Run as root, nginx's workers are `nobody`: they must be able to reach the temp paths.
  await chmod(dir, 0o755);
  const configPath = join(dir, kind === 'nginx' ? 'nginx.conf' : 'Caddyfile');
  await writeFile(configPath, config);
  let child: ChildProcess;
  if (kind === 'nginx') {
    child = spawn(binary, ['-p', `${dir}/`, '-e', 'stderr', '-c', configPath], {
      cwd: dir,
      detached: true, // its own process group: the master and its workers end together
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } else {
    await Promise.all(['data', 'config'].map((d) => mkdir(join(dir, d))));
    child = spawn(binary, ['run', '--config', configPath, '--adapter', 'caddyfile'], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        HOME: dir,
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_CONFIG_HOME: join(dir, 'config'),
      },
    });
  }

  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let running = true;
  const exited = new Promise<string>((done) => {
    child.once('error', (err) => {
      running = false;
      done(err.message);
    });
    child.once('exit', (code, signal) => {
      running = false;
      done(signal ? `signal ${signal}` : `code ${code}`);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const pgid = child.pid;
  if (pgid !== undefined) {
    liveGroups.add(pgid);
    void exited.then(() => liveGroups.delete(pgid));
  }

  return {
    kind,
    url,
    /** Everything the proxy wrote to stdout and stderr (its logs). */
    output: () => output,
    /** Resolves when the proxy answers HTTP as itself; fails if it exits or the deadline passes. */
    async ready() {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      let last = 'no answer yet';
      while (running) {
        try {
          const res = await send(`${url}/`, { timeoutMs: 1000 });
          // Its Server header: not some other process that took the port meanwhile.
          if (EXAMPLES[kind].server.test(String(res.headers.server))) return;
          last = `answered as ${String(res.headers.server)}`;
        } catch (err) {
          last = (err as Error).message;
        }
        if (Date.now() > deadline) break;
        await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
      }
      const why = running ? `did not answer on ${url} in ${READY_TIMEOUT_MS} ms (${last})` : await exited;
      throw new Error(`${kind} did not start: ${why}\n${output}`);
    },
    /** Ends the whole process group (SIGTERM, then SIGKILL past a deadline) and removes its directory. */
    async stop() {
      if (pgid !== undefined) await endProcessGroup(pgid, exited);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Process groups still running; killed if this process exits without stopping them. */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function endProcessGroup(pgid: number, exited: Promise<string>) {
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(-pgid, name);
      return true;
    } catch {
      return false; // ESRCH: nothing left in the group
    }
  };
  if (!signal('SIGTERM')) return;
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, STOP_TIMEOUT_MS)))]);
  clearTimeout(timer);
  // nginx's workers may outlive their master by a moment: wait until the group is empty.
  while (signal(0)) {
    if (Date.now() > deadline) {
      signal('SIGKILL');
      await exited;
      return;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

function substitute(template: string, replacements: Record<string, string>): string {
  let text = template;
  for (const [from, to] of Object.entries(replacements)) {
    if (!text.includes(from)) throw new Error(`the example config does not contain ${from}`);
    text = text.split(from).join(to);
  }
  return text;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

let installing: Promise<void> | undefined;

/**
 * The nginx or caddy executable: from PATH (and the sbin directories a non-root PATH lacks);
 * installed with apt-get when missing and running as root; otherwise a clear failure.
 */
async function proxyBinary(kind: ProxyKind): Promise<string> {
  const found = await findExecutable(kind);
  if (found) return found;
  const hint = `install it with: apt-get install -y ${APT_PACKAGES.join(' ')}`;
  if (!(await canAptInstall())) {
    throw new Error(`${kind} is not installed (looked on PATH and in /usr/sbin); ${hint}`);
  }
  installing ??= aptInstall(APT_PACKAGES);
  await installing;
  const installed = await findExecutable(kind);
  if (!installed) throw new Error(`${kind} is still missing after apt-get install; ${hint}`);
  return installed;
}

/** nginx lives in sbin, which a non-root PATH may lack. */
const findExecutable = (name: string) => findOnPath(name, ['/usr/local/sbin', '/usr/sbin', '/sbin']);

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP/1.1 request on its own connection, with header names sent exactly as written
 * (fetch would lower-case them, and could not show that `X-AUTH-EMAIL` is stripped too).
 *
 * @example
 * await send(`${proxy.url}/x`, { method: 'POST', headers: { 'X-Auth-User-Id': 'admin' }, body: 'hi' });
 */
export function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request(url, {
      method: init.method ?? 'GET',
      headers: init.headers ?? {},
      agent: false,
      timeout: init.timeoutMs ?? 10_000,
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} in time`)));
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', fail);
      res.on('end', () =>
        done({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.end(init.body);
  });
}
