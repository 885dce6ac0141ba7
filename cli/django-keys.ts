// `edge-auth django-keys`: the secrets of Django session mode, derived from
// SECRET_KEY (and SECRET_KEY_FALLBACKS) read from stdin or the environment,
// never from the command line (every user of the machine sees that in `ps`).
import { randomBytes } from 'node:crypto';
import { deriveDjangoKeys, formatDjangoKeys } from '../src/django/keys';
import { DJANGO_SESSION_ID_KEY_VARIABLE } from '../src/django/session-id';
import { CliError, parseFlags } from './command';

export const DJANGO_KEYS_HELP = `Usage: edge-auth django-keys [options] < secret-keys

Derives the keys the Worker needs to verify Django's own sessions
(SESSION_MODE=django) from Django's SECRET_KEY and SECRET_KEY_FALLBACKS. The
Worker never holds SECRET_KEY itself: only these HMAC keys, one per purpose
(db session data, signed cookies, the session auth hash), current key first.

Input, never a flag: SECRET_KEY on the first line of stdin, each fallback on a
line of its own after it; or, with --from-env, the SECRET_KEY and
SECRET_KEY_FALLBACKS environment variables (fallbacks: a JSON list or one per line).

  --from-env          read the environment instead of stdin
  --wrangler          print \`wrangler secret put\` commands instead of NAME=value lines
  --no-session-id     do not add a fresh DJANGO_SESSION_ID_KEY (keep the one you have)
  -h, --help          this text

From a Django project instead (the same three lines; \`python manage.py shell\`, paste both):
  import base64, hashlib; from django.conf import settings as s; d = lambda salt: ",".join(base64.urlsafe_b64encode(hashlib.sha256(salt.encode() + (k.encode() if isinstance(k, str) else k)).digest()).rstrip(b"=").decode() for k in [s.SECRET_KEY, *getattr(s, "SECRET_KEY_FALLBACKS", [])])
  print(f"DJANGO_SESSION_KEYS={d('django.contrib.sessions.SessionStoresigner')}\\nDJANGO_SIGNED_COOKIE_KEYS={d('django.contrib.sessions.backends.signed_cookiessigner')}\\nDJANGO_AUTH_HASH_KEYS={d('django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash')}")

A derived key signs or checks only what its purpose says; SECRET_KEY signs
everything Django signs. Rotate SECRET_KEY and derive again to retire them.`;

/**
 * Runs `edge-auth django-keys` with `argv`; the secrets come from `input` (stdin) or `env`.
 *
 * @example
 * await djangoKeysCommand(['--wrangler'], process.env, () => readStdin());
 */
export async function djangoKeysCommand(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  input: () => Promise<string> = readStdin,
): Promise<void> {
  const flags = parseFlags(
    argv,
    {
      'from-env': { type: 'boolean' },
      wrangler: { type: 'boolean' },
      'no-session-id': { type: 'boolean' },
    },
    DJANGO_KEYS_HELP,
    'edge-auth django-keys',
  );
  if (!flags) return;
  const [secretKey, ...fallbacks] = flags['from-env'] ? fromEnv(env) : lines(await input());
  if (!secretKey) {
    throw new CliError(
      flags['from-env']
        ? 'SECRET_KEY is not set in the environment'
        : 'no SECRET_KEY on stdin: pipe it in (first line), or pass --from-env',
      2,
    );
  }
  let text = formatDjangoKeys(await deriveDjangoKeys(secretKey, fallbacks));
  if (!flags['no-session-id']) {
    text += `${DJANGO_SESSION_ID_KEY_VARIABLE}=${randomBytes(32).toString('base64url')}\n`;
  }
  if (!flags.wrangler) {
    process.stdout.write(text);
    return;
  }
  // One command per secret; the value goes through stdin, never the command line.
  for (const line of text.trim().split('\n')) {
    const eq = line.indexOf('=');
    process.stdout.write(
      `printf '%s' '${line.slice(eq + 1)}' | npx wrangler secret put ${line.slice(0, eq)}\n`,
    );
  }
}

function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

function fromEnv(env: NodeJS.ProcessEnv): string[] {
  const secret = env.SECRET_KEY ?? '';
  const raw = env.SECRET_KEY_FALLBACKS?.trim() ?? '';
  if (!raw.startsWith('[')) return [secret, ...lines(raw)];
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (Array.isArray(parsed) && parsed.every((k) => typeof k === 'string')) return [secret, ...parsed];
  } catch {
    // reported below, without echoing the value
  }
  throw new CliError('SECRET_KEY_FALLBACKS must be a JSON list of strings, or one key per line', 2);
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new CliError('pipe SECRET_KEY into stdin, or pass --from-env', 2);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
