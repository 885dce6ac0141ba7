// The `edge-auth` command of the package (bin, built to dist/cli.js): the
// schema, tokens and the local endpoints for a user of the installed package,
// who has no clone of this repository.
import { createRequire } from 'node:module';
import { VarsFileError } from '../dev/vars-file';
import { CliError } from './command';
import { djangoKeysCommand } from './django-keys';
import { localCommand } from './local';
import { migrateCommand } from './migrate';
import { tokenCommand } from './token';

const HELP = `Usage: edge-auth <command> [options]

Commands:
  migrate   apply edge-auth's schema to DATABASE_URL (idempotent)
  token     insert a session for a user and print its token
  local     run local Upstash and Neon endpoints in front of your Redis and
            PostgreSQL, and print the .dev.vars lines for wrangler dev
  django-keys
            derive the Django session mode's secrets from SECRET_KEY (read
            from stdin or the environment, never a flag)

Run edge-auth <command> --help for a command's options; edge-auth --version for the version.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  migrate: migrateCommand,
  token: (argv) => tokenCommand(argv),
  local: localCommand,
  'django-keys': (argv) => djangoKeysCommand(argv),
};

/** package.json is one level above both cli/ (the repository) and dist/ (the package). */
function version(): string {
  return (createRequire(import.meta.url)('../package.json') as { version: string }).version;
}

/**
 * Runs the command line `argv` (without node and the script); resolves with the exit code.
 *
 * @example
 * process.exitCode = await main(['migrate', '--help']);
 */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    console.log(HELP);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(
      `edge-auth: unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
    return 2;
  }
  try {
    await command(rest);
    return 0;
  } catch (err) {
    if (err instanceof CliError || err instanceof VarsFileError) {
      console.error(`edge-auth ${name}: ${err.message}`);
      return err instanceof CliError ? err.exitCode : 2;
    }
    // Errors of the drivers and servers carry no secret (log lines name hosts and ports only).
    console.error(`edge-auth ${name}: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

const code = await main(process.argv.slice(2));
// `local` keeps running (its servers hold the event loop); the others end here.
if (code !== 0) process.exit(code);
