// What every `edge-auth` subcommand shares: flag parsing with `--help`, errors
// the user can act on (printed as one line, no stack), and how a database is
// named in messages (host, port and database: never the URL, which may hold a
// password).
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A failure with its fix in the message; `exitCode` 2 for a usage error, 1 otherwise. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;
/** The parsed values of `options`, typed by parseArgs. */
type Values<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T; strict: true; allowPositionals: false }>
>['values'];

/**
 * Parses `argv` strictly (no positionals); `undefined` after printing `help` for `-h`/`--help`.
 * An unknown or malformed flag is a `CliError` that points at the help.
 *
 * @example
 * const values = parseFlags(argv, { user: { type: 'string' } }, HELP, 'edge-auth token');
 * if (!values) return;
 */
export function parseFlags<T extends Options>(
  argv: string[],
  options: T,
  help: string,
  command: string,
): Values<T> | undefined {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if ((values as { help?: boolean }).help) {
      console.log(help);
      return undefined;
    }
    return values as Values<T>;
  } catch (err) {
    throw new CliError(`${(err as Error).message}; see ${command} --help`, 2);
  }
}

/**
 * `host:port/database` of a postgres URL, for messages.
 *
 * @example
 * describeDatabase('postgres://u:secret@db.example:5432/app') // 'db.example:5432/app'
 */
export function describeDatabase(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return '(an unparsable URL)';
  }
}

const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
]);

/**
 * A database failure as a `CliError` naming the database and the fix for the common causes
 * (unreachable, login refused, no such database); the driver's messages hold no password.
 *
 * @example
 * await client.connect().catch((err) => { throw databaseFailure(url, err); });
 */
export function databaseFailure(url: string, err: unknown): CliError {
  const database = describeDatabase(url);
  const { code, message } = err as { code?: string; message?: string };
  const cause = message ?? String(err);
  if ((code && UNREACHABLE.has(code)) || /timeout|terminated unexpectedly/i.test(cause)) {
    return new CliError(`cannot reach ${database} (${cause}): start PostgreSQL, or fix DATABASE_URL`);
  }
  if (code === '28P01' || code === '28000') {
    return new CliError(`${database} refused the login (${cause}): fix the user or password in DATABASE_URL`);
  }
  if (code === '3D000') return new CliError(`${database}: ${cause}: create it, or fix DATABASE_URL`);
  return new CliError(`${database}: ${cause}`);
}
