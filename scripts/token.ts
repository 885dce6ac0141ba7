// `npm run token`: prints a session token for the local Worker. Without
// --session it first inserts a fresh session row into the dev database, so the
// token works even after a logout revoked every earlier one.
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEV_DEMO_USER, DEV_POSTGRES_URL, DEV_WORKER_PORT, devDatabaseName } from '../dev/defaults';
import { runningInstance } from '../dev/instance-lock';
import { createSession, mintToken } from '../dev/tokens';

const HELP = `Usage: npm run token [-- --user <id>] [--session <sid>] [--ttl <seconds>]

Prints a session token (a JWT) for the local Worker, signed with JWT_SECRET from
the environment, else with the secret of the \`npm run dev\` running on PORT.

  --user <id>       the token's subject (default ${DEV_DEMO_USER})
  --session <sid>   put this session id in the token as is (no database needed);
                    the Worker accepts it only while that session is live
  --ttl <seconds>   lifetime of the token, and of a fresh session (default 3600)
  -h, --help        this text

Without --session: inserts a fresh session for the user into the dev database and
prints a token for it. Use it after POST /auth/logout revoked the printed token's session.
The dev database is ${devDatabaseName()} (EDGE_AUTH_DEV_DATABASE) on the PostgreSQL
server at DATABASE_URL; without DATABASE_URL, the database of the \`npm run dev\`
running on PORT (default ${DEV_WORKER_PORT}), else ${DEV_POSTGRES_URL}.

Only the token goes to stdout:  TOKEN=$(npm run -s token)`;

function fail(message: string, code = 1): never {
  console.error(`[token] ${message}`);
  process.exit(code);
}

function parseOptions() {
  try {
    return parseArgs({
      options: {
        user: { type: 'string', default: DEV_DEMO_USER },
        session: { type: 'string' },
        ttl: { type: 'string', default: '3600' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    return fail(`${(err as Error).message}\n\n${HELP}`, 2);
  }
}

const values = parseOptions();
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const ttlSeconds = Number(values.ttl);
if (!/^\d+$/.test(values.ttl) || ttlSeconds < 1)
  fail('--ttl must be a whole number of seconds, at least 1', 2);
if (!values.user) fail('--user must not be empty', 2);
if (values.session === '') fail('--session must not be empty', 2);

/**
 * The dev database's URL: the same database `npm run dev` uses, found the way it finds it.
 * Its server (and password) only ever go into the connection, never into output.
 */
function devDatabaseUrl(): string {
  if (!process.env.DATABASE_URL) {
    const running = runningInstance(Number(process.env.PORT || DEV_WORKER_PORT));
    if (running?.databaseUrl) return running.databaseUrl;
  }
  const url = new URL(process.env.DATABASE_URL || DEV_POSTGRES_URL);
  url.pathname = `/${devDatabaseName()}`;
  return url.toString();
}

/** host:port/database of a URL, for messages (no credentials). */
function where(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || 5432}${u.pathname}`;
}

async function freshSession(userId: string): Promise<string> {
  const url = devDatabaseUrl();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined); // a dropped connection surfaces as the query's rejection
  try {
    await client.connect();
  } catch (err) {
    fail(
      `cannot reach the dev database at ${where(url)} (${(err as Error).message}); ` +
        'start npm run dev, set DATABASE_URL, or pass --session',
    );
  }
  try {
    const sessionId = await createSession(client, { userId, ttlSeconds });
    console.error(`[token] new session ${sessionId} for ${userId}, valid ${ttlSeconds} s`);
    return sessionId;
  } catch (err) {
    // An unmigrated database or an unknown user: say which database, so the fix is obvious.
    return fail(`${(err as Error).message} (${where(url)}); npm run dev seeds ${DEV_DEMO_USER}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const secret =
  process.env.JWT_SECRET ??
  runningInstance(Number(process.env.PORT || DEV_WORKER_PORT))?.jwtSecret ??
  fail("no JWT_SECRET: start npm run dev (its secret is used), or set JWT_SECRET to the Worker's");
const sessionId = values.session ?? (await freshSession(values.user));
console.log(await mintToken({ secret, userId: values.user, sessionId, ttlSeconds }));
