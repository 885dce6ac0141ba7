import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEV_JWT_SECRET, DEV_REDIS_TOKEN } from '../dev/defaults';
import { freePort } from '../dev/ports';

/** `npm run dev` as a newcomer runs it: prints a working curl; Ctrl-C leaves nothing behind. */
describe('npm run dev', () => {
  const database = `edge_auth_devtest_${randomBytes(4).toString('hex')}`;
  let child: ChildProcess | undefined;

  let port = 0;

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    // After a failure, wrangler (in a process group of its own) would outlive the killed command.
    for (const pgid of groupsMentioning(port)) process.kill(-pgid, 'SIGKILL');
    const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('prints a curl that answers 200 from the demo origin, and Ctrl-C stops every process', async () => {
    port = await freePort();
    const inspector = await freePort();
    child = spawn('node_modules/.bin/tsx', ['dev/start.ts'], {
      detached: true, // its own process group, as a terminal would make it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PORT: String(port),
        WRANGLER_INSPECTOR_PORT: String(inspector),
        EDGE_AUTH_DEV_DATABASE: database,
        REDIS_URL: inject('redisUrl'),
        DATABASE_URL: inject('postgresAdminUrl'),
      },
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });

    const curl = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const line = output.split('\n').find((l) => l.trim().startsWith('curl -i'));
        if (line) {
          clearInterval(timer);
          resolve(line.trim());
        } else if (child?.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`npm run dev exited early:\n${output}`));
        }
      }, 100);
    });

    const [, url, token] = /^curl -i (\S+) -H 'Authorization: Bearer (\S+)'$/.exec(curl) ?? [];
    expect(url).toBe(`http://127.0.0.1:${port}/hello`);
    const res = await fetch(url!, { headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { origin: string; identity: Record<string, string> };
    expect(body.origin).toBe('demo');
    expect(body.identity['x-auth-user-id']).toBe('demo-user');
    expect(output).not.toContain(DEV_JWT_SECRET);
    expect(output).not.toContain(DEV_REDIS_TOKEN);

    // No secret on any command line (every user sees them in `ps`): not wrangler's, not its children's.
    const commandLines = allCommandLines();
    expect(commandLines.some((args) => args.includes('wrangler') && args.includes(`--port ${port}`))).toBe(
      true,
    );
    expect(commandLines.some((args) => args.includes('workerd'))).toBe(true);
    for (const secret of [DEV_JWT_SECRET, DEV_REDIS_TOKEN, `/${database}`]) {
      expect(commandLines.filter((args) => args.includes(secret))).toEqual([]);
    }
    // They travel in a file only this user can read, removed on exit.
    const varsFile = commandLines.map((args) => /--env-file (\S+)/.exec(args)?.[1]).find(Boolean);
    expect(statSync(varsFile!).mode & 0o777).toBe(0o600);
    expect(readFileSync(varsFile!, 'utf8')).toContain(DEV_JWT_SECRET);

    const pgid = child.pid!;
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    process.kill(-pgid, 'SIGINT'); // what Ctrl-C does: the whole foreground group
    // tsx reports the interrupt the shell way (128 + SIGINT); a crash would be 1.
    expect([0, 130]).toContain(await exited);
    await new Promise((r) => setTimeout(r, 500));
    expect(processesInGroup(pgid)).toEqual([]);
    // wrangler runs in a group of its own; nothing that served this port may remain.
    expect(processesMentioning(String(port))).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    expect(existsSync(varsFile!)).toBe(false);
  }, 120_000);
});

function processesInGroup(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pgid=,pid=,comm=']).toString();
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([group]) => Number(group) === pgid)
    .map((parts) => parts.slice(1).join(' '));
}

/** The command line of every process on the machine, from /proc (never truncated, unlike `ps`). */
function allCommandLines(): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      } catch {
        return ''; // ended meanwhile
      }
    })
    .filter(Boolean);
}

function groupsMentioning(port: number): number[] {
  if (!port) return [];
  const out = execFileSync('ps', ['-eo', 'pgid=,args=']).toString();
  const groups = out
    .split('\n')
    .filter((line) => line.includes(`--port ${port} `))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
  return [...new Set(groups)].filter((pgid) => pgid > 1);
}

function processesMentioning(port: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args=']).toString();
  return out
    .split('\n')
    .filter((args) => args.includes(`--port ${port}`) || args.includes(`127.0.0.1:${port}`));
}
