import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';
import { Miniflare } from 'miniflare';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../dev/ports';
import { createDatabase, type TestDatabase } from '../dev/services';
import { parseVars } from '../dev/vars-file';
import { groupMembers, killGroup, type Running, runCommand, startCommand, until } from './support/processes';
import { bearer, bundledWorker, type Stack, startStack } from './support/stack';

/**
 * The `edge-auth` command (cli/main.ts) as a user runs it, against the real
 * Redis and PostgreSQL, its tokens checked by the bundled Worker in workerd.
 * test/package.test.ts runs the built command from an installed tarball.
 */

const ROOT = resolve(import.meta.dirname, '..');
const SECRET = randomBytes(48).toString('base64url');
/** Variables that would change what the command does: a test names the ones it means. */
const AMBIENT = /^(DATABASE_URL|REDIS_URL|JWT_\w+|UPSTASH_\w+|USERS_TABLE|USER_ID_TYPE|TOUCH_COLUMN)$/;

function cleanEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !AMBIENT.test(name)));
  return { ...base, ...env };
}

/** `edge-auth <args>`, from source, in `cwd`. */
function edgeAuth(
  args: string[],
  env: Record<string, string> = {},
  options: { cwd?: string; input?: string } = {},
) {
  return runCommand(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: cleanEnv(env),
    ...(options.input === undefined ? {} : { input: options.input }),
  });
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;

let stack: Stack;
const databases: TestDatabase[] = [];
const freshDatabase = async () => {
  const db = await createDatabase(inject('postgresAdminUrl'), { label: 'cli' });
  databases.push(db);
  return db;
};
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
  for (const db of databases) await db.drop();
});

describe('edge-auth', () => {
  it('lists its commands; each has --help; an unknown command or flag exits 2 pointing at the help', async () => {
    const top = await edgeAuth(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^Usage: edge-auth <command>/);
    for (const command of ['migrate', 'token', 'local', 'django-keys']) {
      const help = await edgeAuth([command, '--help']);
      expect(help.code, command).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^Usage: edge-auth ${command}`));
    }
    expect(await edgeAuth(['serve'])).toMatchObject({
      code: 2,
      stderr: 'edge-auth: unknown command "serve"; commands: migrate, token, local, django-keys\n',
    });
    const badFlag = await edgeAuth(['token', '--usr', 'x']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(
      /^edge-auth token: Unknown option '--usr'.*; see edge-auth token --help\n$/,
    );
  });

  describe('migrate', () => {
    it('applies the schema to DATABASE_URL once, then finds it up to date', async () => {
      const db = await freshDatabase();
      const first = await edgeAuth(['migrate'], { DATABASE_URL: db.url });
      expect(first).toMatchObject({ code: 0, stdout: 'applied 0001_init.sql\n1 migration(s) applied\n' });
      expect(first.stderr).toContain(`users table users (text ids)`);
      const again = await edgeAuth(['migrate', '--database-url', db.url]);
      expect(again).toMatchObject({ code: 0, stdout: 'schema up to date\n' });
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
      );
      await client.end();
      expect(rows.map((r) => r.name)).toEqual(['schema_migrations', 'sessions', 'users']);
    });

    it("references Django's auth_user with the users-table flags, and refuses a mismatch naming the fix", async () => {
      const db = await freshDatabase();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query(await readFile(join(ROOT, 'examples/django/auth_user.sql'), 'utf8'));
      const wrongType = await edgeAuth(['migrate', '--users-table', 'auth_user'], { DATABASE_URL: db.url });
      expect(wrongType.code).toBe(1);
      expect(wrongType.stderr).toContain('"auth_user".id is integer, not text: set USER_ID_TYPE=integer');
      const nothing = await client.query("SELECT to_regclass('sessions') AS t");
      expect(nothing.rows).toEqual([{ t: null }]);

      const django = await edgeAuth(['migrate', '--users-table', 'auth_user', '--user-id-type', 'integer'], {
        DATABASE_URL: db.url,
      });
      expect(django).toMatchObject({ code: 0, stdout: 'applied 0001_init.sql\n1 migration(s) applied\n' });
      const fk = await client.query<{ target: string }>(
        "SELECT confrelid::regclass::text AS target FROM pg_constraint WHERE conrelid = 'sessions'::regclass AND contype = 'f'",
      );
      await client.end();
      expect(fk.rows).toEqual([{ target: 'auth_user' }]);
    });

    it('names the fix without a database, and an unreachable one by host and port only', async () => {
      const none = await edgeAuth(['migrate']);
      expect(none).toMatchObject({
        code: 2,
        stderr: 'edge-auth migrate: no database: set DATABASE_URL or pass --database-url postgres://…\n',
      });
      const port = await freePort();
      const down = await edgeAuth(['migrate'], {
        DATABASE_URL: `postgres://app:s3cret-pw@127.0.0.1:${port}/app`,
      });
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(`edge-auth migrate: cannot reach 127.0.0.1:${port}/app (`);
      expect(down.stderr).toContain('start PostgreSQL, or fix DATABASE_URL');
      expect(down.stderr).not.toContain('s3cret-pw');
    });
  });

  describe('token', () => {
    it('inserts a fresh session signed with JWT_SECRET: the Worker answers 200 for it; only the token goes to stdout', async () => {
      await stack.user('cli-1');
      const worker = await stack.worker({ JWT_SECRET: SECRET });
      const minted = await edgeAuth(['token', '--user', 'cli-1', '--ttl', '600'], {
        DATABASE_URL: stack.db.url,
        JWT_SECRET: SECRET,
      });
      expect(minted.code).toBe(0);
      const token = minted.stdout.trim();
      expect(minted.stdout).toBe(`${token}\n`);
      const claims = claimsOf(token);
      expect(claims).toMatchObject({ sub: 'cli-1' });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
      expect(minted.stderr).toContain(`new session ${claims.sid} for cli-1 in `);
      expect(minted.stderr).not.toContain(SECRET);
      const res = await worker.fetch('/auth/session', bearer(token));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ user: { id: 'cli-1' }, session: { id: claims.sid } });
      expect((await worker.fetch('/auth/session')).status).toBe(401);
    });

    it('reads the secret from stdin, or the secret and database from .dev.vars in the working directory', async () => {
      await stack.user('cli-2');
      const worker = await stack.worker({ JWT_SECRET: SECRET });
      const stdin = await edgeAuth(
        ['token', '--user', 'cli-2', '--secret-file', '-'],
        { DATABASE_URL: stack.db.url },
        {
          input: `${SECRET}\n`,
        },
      );
      expect(stdin.code).toBe(0);
      expect((await worker.fetch('/auth/session', bearer(stdin.stdout.trim()))).status).toBe(200);

      const project = await mkdtemp(join(tmpdir(), 'edge-auth-cli-'));
      try {
        await writeFile(
          join(project, '.dev.vars'),
          `DATABASE_URL="${stack.db.url}"\nJWT_SECRET="${SECRET}"\n`,
        );
        const fromFile = await edgeAuth(['token', '--user', 'cli-2'], {}, { cwd: project });
        expect(fromFile.code).toBe(0);
        expect((await worker.fetch('/auth/session', bearer(fromFile.stdout.trim()))).status).toBe(200);
      } finally {
        await rm(project, { recursive: true, force: true });
      }
    });

    it('signs with a private key (an Ed25519 PEM, an RS256 JWK) whose public half the Worker trusts', async () => {
      await stack.user('cli-3');
      const ed = await generateKeyPair('EdDSA', { extractable: true });
      const rsa = await generateKeyPair('RS256', { extractable: true });
      const jwks = {
        keys: [
          { ...(await exportJWK(ed.publicKey)), kid: 'ed-1', alg: 'EdDSA' },
          { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' },
        ],
      };
      const worker = await stack.worker({ JWT_SECRET: undefined, JWT_PUBLIC_JWKS: JSON.stringify(jwks) });
      const dir = await mkdtemp(join(tmpdir(), 'edge-auth-cli-keys-'));
      try {
        await writeFile(join(dir, 'ed.pem'), await exportPKCS8(ed.privateKey));
        await writeFile(
          join(dir, 'rsa.json'),
          JSON.stringify({ ...(await exportJWK(rsa.privateKey)), kid: 'rsa-1' }),
        );
        const env = { DATABASE_URL: stack.db.url };
        for (const [file, kid, alg] of [
          ['ed.pem', ['--kid', 'ed-1'], 'EdDSA'],
          ['rsa.json', [], 'RS256'],
        ] as const) {
          const minted = await edgeAuth(
            ['token', '--user', 'cli-3', '--private-key', join(dir, file), ...kid],
            env,
          );
          expect(minted.code, minted.stderr).toBe(0);
          const header = JSON.parse(Buffer.from(minted.stdout.split('.')[0] ?? '', 'base64url').toString());
          expect(header).toEqual({ alg, typ: 'JWT', kid: alg === 'EdDSA' ? 'ed-1' : 'rsa-1' });
          expect((await worker.fetch('/auth/session', bearer(minted.stdout.trim()))).status).toBe(200);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('--session signs for an existing session without a database, with the issuer and audience asked for', async () => {
      const minted = await edgeAuth(
        [
          'token',
          '--user',
          'u-9',
          '--session',
          's-9',
          '--ttl',
          '60',
          '--issuer',
          'https://login.example',
          '--audience',
          'a,b',
        ],
        { JWT_SECRET: SECRET, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing' },
      );
      expect(minted.code).toBe(0);
      const claims = claimsOf(minted.stdout.trim());
      expect(claims).toMatchObject({ sub: 'u-9', sid: 's-9', iss: 'https://login.example', aud: ['a', 'b'] });
      expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
    });

    it('names the fix for an unknown user, a missing or short secret and an unmigrated database, never the secret', async () => {
      const env = { DATABASE_URL: stack.db.url, JWT_SECRET: SECRET };
      const unknown = await edgeAuth(['token', '--user', 'nobody-here'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(
        /^edge-auth token: no user "nobody-here" in \S+: create it, or pick another --user\n$/,
      );
      const noKey = await edgeAuth(['token', '--user', 'x'], { DATABASE_URL: stack.db.url });
      expect(noKey).toMatchObject({ code: 2, stdout: '' });
      expect(noKey.stderr).toContain("no signing key: set JWT_SECRET to the Worker's");
      const short = await edgeAuth(['token', '--user', 'x'], { ...env, JWT_SECRET: 'too-short-secret' });
      expect(short.stderr).toBe(
        'edge-auth token: the HS256 secret (from environment) must be at least 32 bytes, as the Worker requires\n',
      );
      const empty = await freshDatabase();
      const unmigrated = await edgeAuth(['token', '--user', 'x'], { ...env, DATABASE_URL: empty.url });
      expect(unmigrated.stderr).toMatch(/has no sessions table: run edge-auth migrate first\n$/);
      for (const run of [unknown, noKey, short, unmigrated]) expect(run.stderr).not.toContain(SECRET);
    });
  });

  describe('local', () => {
    let local: Running | undefined;
    afterAll(() => {
      if (local) killGroup(local.pgid);
    });

    it('prints a .dev.vars block; a Worker with it answers 401 without a token and 200 with one; Ctrl-C stops everything', async () => {
      const db = await freshDatabase();
      const [upstashPort, neonPort] = [await freePort(), await freePort()];
      local = startCommand(
        join(ROOT, 'node_modules/.bin/tsx'),
        [
          join(ROOT, 'cli/main.ts'),
          'local',
          '--redis-port',
          String(upstashPort),
          '--neon-port',
          String(neonPort),
        ],
        { cwd: ROOT, env: cleanEnv({ DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') }) },
      );
      const running = local;
      await until('the .dev.vars block', () => {
        if (running.child.exitCode !== null) throw new Error(`edge-auth local exited:\n${running.output()}`);
        return running.stdout().includes('NEON_FETCH_ENDPOINT=');
      });
      const vars = parseVars(running.stdout());
      expect(Object.keys(vars)).toEqual([
        'UPSTASH_REDIS_REST_URL',
        'UPSTASH_REDIS_REST_TOKEN',
        'DATABASE_URL',
        'NEON_FETCH_ENDPOINT',
      ]);
      expect(vars).toMatchObject({
        UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${upstashPort}`,
        DATABASE_URL: db.url,
        NEON_FETCH_ENDPOINT: `http://127.0.0.1:${neonPort}/sql`,
      });
      expect(vars.UPSTASH_REDIS_REST_TOKEN).toMatch(/^[\w-]{32}$/); // random per run
      expect(running.output()).toContain('[local] migrations applied: 0001_init.sql');

      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      await client.query("INSERT INTO users (id, username) VALUES ('local-1', 'ada')");
      await client.end();
      const worker = new Miniflare({ ...bundledWorker(), bindings: { ...vars, JWT_SECRET: SECRET } });
      try {
        const fetch = (init: RequestInit = {}) =>
          worker.dispatchFetch(
            'http://edge.test/auth/session',
            init as Parameters<Miniflare['dispatchFetch']>[1],
          );
        expect((await fetch()).status).toBe(401);
        const minted = await edgeAuth(['token', '--user', 'local-1'], {
          DATABASE_URL: vars.DATABASE_URL ?? '',
          JWT_SECRET: SECRET,
        });
        const res = await fetch(bearer(minted.stdout.trim()));
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ user: { id: 'local-1', username: 'ada' } });
      } finally {
        await worker.dispose();
      }

      process.kill(-running.pgid, 'SIGINT'); // Ctrl-C
      const { code } = await running.exited;
      expect([0, 130]).toContain(code);
      await until('every process of it to end', () => groupMembers(running.pgid).length === 0);
      await expect(globalThis.fetch(`${vars.UPSTASH_REDIS_REST_URL}/__stats`)).rejects.toThrow();
      await expect(globalThis.fetch(`http://127.0.0.1:${neonPort}/__stats`)).rejects.toThrow();
    }, 60_000);

    it('a port in use fails at once, naming the flag that moves it', async () => {
      const taken = await freePort();
      const blocker = await new Promise<Server>((done) => {
        const server = createServer();
        server.listen(taken, '127.0.0.1', () => done(server));
      });
      try {
        const busy = await edgeAuth(['local', '--redis-port', String(taken)], { DATABASE_URL: stack.db.url });
        expect(busy).toMatchObject({
          code: 1,
          stdout: '',
          stderr: `edge-auth local: port ${taken} is already in use (another edge-auth local?): stop it, or pass --redis-port <port>\n`,
        });
      } finally {
        blocker.close();
      }
    });
  });
});
