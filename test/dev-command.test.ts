import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEV_JWT_SECRET, DEV_REDIS_TOKEN } from '../dev/defaults';
import { freePort } from '../dev/ports';

/** `npm run dev` as a newcomer runs it: prints a working curl; Ctrl-C leaves nothing behind. */
describe('npm run dev', () => {
  const database = `edge_auth_devtest_${randomBytes(4).toString('hex')}`;
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child?.pid && child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
    const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  it('prints a curl that answers 200 from the demo origin, and Ctrl-C stops every process', async () => {
    const port = await freePort();
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

function processesMentioning(port: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args=']).toString();
  return out
    .split('\n')
    .filter((args) => args.includes(`--port ${port}`) || args.includes(`127.0.0.1:${port}`));
}
