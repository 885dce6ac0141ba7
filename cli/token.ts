// `edge-auth token`: inserts a fresh session for a user into the database (or
// takes an existing session id) and prints a token for it, alone on stdout.
import pg from 'pg';
import { layered, type SettingsLayer } from '../dev/settings';
import { mintToken } from '../dev/tokens';
import { varsFileLayer } from '../dev/vars-file';
import { issueSession } from '../src/session/issue';
import { CliError, databaseFailure, describeDatabase, parseFlags } from './command';
import { type CliSigningKey, signingKeyOf } from './signing-key';

export const TOKEN_HELP = `Usage: edge-auth token --user <id> [options]

Inserts a fresh session for the user into the database and prints a token (a
JWT) for it that the Worker accepts: only the token goes to stdout.
  TOKEN=$(npx edge-auth token --user 42)

  --user <id>              the user's id (the token's sub); the user must exist
  --session <sid>          sign for this existing session instead (no database needed)
  --ttl <seconds>          lifetime of the session and the token (default 3600)
  --database-url <url>     where the session goes (default: DATABASE_URL)
  --secret-file <file>     read the HMAC secret from a file, - for stdin
  --secret <secret>        the secret itself (other users see it in ps: prefer the above)
  --private-key <file>     sign with a private key instead: a JWK, a JWK set or a PEM
                           file (RS256, ES256, EdDSA …) whose public half the Worker trusts
  --alg <alg>              default HS256 with a secret, the key's own with a private key
  --kid <kid>              the kid header (default: the JWK's own)
  --issuer <iss>           the iss claim (default: JWT_ISSUER, when set)
  --audience <aud>         the aud claim, a comma list (default: JWT_AUDIENCE, when set)
  --vars-file <file>       also read DATABASE_URL, JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE
                           from this file (default: .dev.vars, when there is one)
  -h, --help               this text

Without a key flag the secret is JWT_SECRET (the Worker's), from the environment,
else the vars file. Flags win over the environment, the environment over the file.`;

const TOKEN_OPTIONS = {
  user: { type: 'string' },
  session: { type: 'string' },
  ttl: { type: 'string', default: '3600' },
  'database-url': { type: 'string' },
  secret: { type: 'string' },
  'secret-file': { type: 'string' },
  'private-key': { type: 'string' },
  alg: { type: 'string' },
  kid: { type: 'string' },
  issuer: { type: 'string' },
  audience: { type: 'string' },
  'vars-file': { type: 'string' },
} as const;

/** How a command that mints tokens differs from `edge-auth token` (`npm run token` has dev defaults). */
export interface TokenContext {
  command: string;
  help: string;
  /** Settings below the flags. Default: the environment, then the vars file. */
  layers?: (varsFile: string | undefined) => SettingsLayer[];
  /** --user when none is given. Default: none (required). */
  defaultUser?: string;
}

/** The optional claims the Worker checks when it has JWT_ISSUER / JWT_AUDIENCE. */
type Claims = { issuer?: string; audience?: string[] };

/** The longest session `issueSession` starts: a year and a day. */
const MAX_TTL_SECONDS = 366 * 24 * 3600;

/** Why a session could not be inserted, with the fix. */
function insertFailure(url: string, userId: string, err: unknown): CliError {
  const code = (err as { code?: string }).code;
  const database = describeDatabase(url);
  if (code === '23503') {
    return new CliError(
      `no user ${JSON.stringify(userId)} in ${database}: create it, or pick another --user`,
    );
  }
  if (code === '22P02' || code === '22003') {
    return new CliError(
      `--user ${JSON.stringify(userId)} is not an id of the users table's type in ${database}`,
      2,
    );
  }
  if (code === '42P01') return new CliError(`${database} has no sessions table: run edge-auth migrate first`);
  return databaseFailure(url, err);
}

async function freshSession(url: string, userId: string, ttl: number, key: CliSigningKey, claims: Claims) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined); // a dropped connection surfaces as the query's rejection
  await client.connect().catch((err: unknown) => {
    throw databaseFailure(url, err);
  });
  try {
    const issued = await issueSession({
      sql: client,
      userId,
      lifetimeSeconds: ttl,
      key: 'secret' in key ? key : { privateKey: key.privateKey, alg: key.alg },
      ...('kid' in key && key.kid ? { kid: key.kid } : {}),
      ...claims,
    });
    console.error(
      `[token] new session ${issued.sessionId} for ${userId} in ${describeDatabase(url)}, valid ${ttl} s`,
    );
    return issued.token;
  } catch (err) {
    throw insertFailure(url, userId, err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs `edge-auth token` with `argv` (the arguments after `token`) and prints the token.
 *
 * @example
 * await tokenCommand(['--user', '42', '--ttl', '600']);
 */
export async function tokenCommand(
  argv: string[],
  context: TokenContext = { command: 'edge-auth token', help: TOKEN_HELP },
): Promise<void> {
  const flags = parseFlags(argv, TOKEN_OPTIONS, context.help, context.command);
  if (!flags) return;
  const below =
    context.layers ?? ((file) => [{ source: 'environment', values: process.env }, ...varsFileLayer(file)]);
  const settings = layered(
    {
      source: 'flags',
      values: { DATABASE_URL: flags['database-url'], JWT_ISSUER: flags.issuer, JWT_AUDIENCE: flags.audience },
    },
    ...below(flags['vars-file']),
  );
  const userId = flags.user ?? context.defaultUser;
  if (!userId) throw new CliError(`--user <id> is required; see ${context.command} --help`, 2);
  if (flags.session === '') throw new CliError('--session must not be empty', 2);
  const ttl = Number(flags.ttl);
  if (!/^\d+$/.test(flags.ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new CliError(`--ttl must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS}`, 2);
  }
  const key = signingKeyOf(flags, settings);
  const issuer = settings.get('JWT_ISSUER');
  const audience = settings
    .get('JWT_AUDIENCE')
    ?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const claims: Claims = { ...(issuer ? { issuer } : {}), ...(audience?.length ? { audience } : {}) };

  if (flags.session !== undefined) {
    const signer =
      'secret' in key
        ? { secret: key.secret }
        : { privateKey: key.privateKey, ...(key.kid ? { kid: key.kid } : {}) };
    console.log(
      await mintToken({
        ...signer,
        algorithm: key.alg,
        userId,
        sessionId: flags.session,
        ttlSeconds: ttl,
        ...claims,
      }),
    );
    return;
  }
  const url = settings.get('DATABASE_URL');
  if (!url) {
    throw new CliError(
      'no database for the session: set DATABASE_URL, pass --database-url, or pass --session <sid>',
      2,
    );
  }
  console.log(await freshSession(url, userId, ttl, key, claims));
}
