// `npm run token`: `edge-auth token` (cli/token.ts) with the defaults of the
// running `npm run dev`: its database and its JWT secret, and the demo user.
// Without --session it inserts a fresh session, so the token works even after
// a logout revoked every earlier one.
import { CliError } from '../cli/command';
import { TOKEN_HELP, tokenCommand } from '../cli/token';
import { DEV_DEMO_USER, DEV_POSTGRES_URL, DEV_WORKER_PORT, devDatabaseName } from '../dev/defaults';
import { runningInstance } from '../dev/instance-lock';
import { varsFileLayer } from '../dev/vars-file';

const HELP = `Usage: npm run token [-- --user <id>] [--session <sid>] [--ttl <seconds>] [options]

Prints a session token (a JWT) for the local Worker, signed with JWT_SECRET from
the environment, else with the secret of the \`npm run dev\` running on PORT.

  --user <id>       the token's subject (default ${DEV_DEMO_USER})
  --session <sid>   put this session id in the token as is (no database needed);
                    the Worker accepts it only while that session is live
  --ttl <seconds>   lifetime of the token, and of a fresh session (default 3600)
  -h, --help        this text
and every other option of edge-auth token (below).

Without --session: inserts a fresh session for the user into the dev database and
prints a token for it. Use it after POST /auth/logout revoked the printed token's session.
The dev database is the one of the \`npm run dev\` running on PORT (default
${DEV_WORKER_PORT}); with DATABASE_URL set, ${devDatabaseName()} (EDGE_AUTH_DEV_DATABASE) on
that server; else ${devDatabaseName()} on ${DEV_POSTGRES_URL.replace(/\/[^/]*$/, '')}.

Only the token goes to stdout:  TOKEN=$(npm run -s token)

${TOKEN_HELP}`;

/** The `npm run dev` on PORT, if one runs. */
const running = () => runningInstance(Number(process.env.PORT || DEV_WORKER_PORT));

/**
 * The dev database's URL: the same database `npm run dev` uses, found the way it finds it. Its
 * server (and password) only ever go into the connection, never into output.
 */
function devDatabaseUrl(): string {
  if (!process.env.DATABASE_URL) {
    const url = running()?.databaseUrl;
    if (url) return url;
  }
  const url = new URL(process.env.DATABASE_URL || DEV_POSTGRES_URL);
  url.pathname = `/${devDatabaseName()}`;
  return url.toString();
}

try {
  await tokenCommand(process.argv.slice(2), {
    command: 'npm run token --',
    help: HELP,
    defaultUser: DEV_DEMO_USER,
    // No .dev.vars unless named: the running dev Worker's secret and database are what it accepts.
    layers: (varsFile) => [
      {
        source: 'npm run dev',
        values: {
          JWT_SECRET: process.env.JWT_SECRET || running()?.jwtSecret,
          DATABASE_URL: devDatabaseUrl(),
        },
      },
      ...(varsFile ? varsFileLayer(varsFile) : []),
    ],
  });
} catch (err) {
  const message =
    err instanceof CliError && /^no signing key/.test(err.message)
      ? "no JWT_SECRET: start npm run dev (its secret is used), or set JWT_SECRET to the Worker's"
      : (err as Error).message;
  console.error(`[token] ${message}`);
  process.exit(err instanceof CliError ? err.exitCode : 1);
}
