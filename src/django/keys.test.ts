import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDjangoFixture, managePySnippet } from '../../test/fixtures/django-sessions/support';
import { aptInstall, canAptInstall } from '../../test/support/apt';
import { base64urlEncode, utf8 } from './encoding';
import {
  DJANGO_KEY_VARIABLES,
  deriveDjangoKeys,
  formatDjangoKeys,
  MAX_DJANGO_KEYS,
  parseDjangoKeyList,
} from './keys';

const fixture = loadDjangoFixture('4.2');
const { SECRET_KEY, SECRET_KEY_FALLBACKS } = fixture.settings;

describe('deriveDjangoKeys', () => {
  it('derives one key per secret and purpose, SECRET_KEY first', async () => {
    const keys = await deriveDjangoKeys(SECRET_KEY, SECRET_KEY_FALLBACKS);
    for (const purpose of ['session', 'signedCookie', 'authHash'] as const) {
      expect(keys[purpose]).toHaveLength(1 + SECRET_KEY_FALLBACKS.length);
      expect(new Set(keys[purpose].map(base64urlEncode)).size).toBe(keys[purpose].length);
    }
    const current = await deriveDjangoKeys(SECRET_KEY);
    expect(current.session[0]).toEqual(keys.session[0]);
    expect(current.session).toHaveLength(1);
  });

  it('takes a bytes SECRET_KEY as Django does (force_bytes): a str is its UTF-8', async () => {
    const nonAscii = SECRET_KEY_FALLBACKS[1]!;
    expect(utf8(nonAscii).length).toBeGreaterThan(nonAscii.length);
    expect(await deriveDjangoKeys(utf8(nonAscii))).toEqual(await deriveDjangoKeys(nonAscii));
  });

  it('refuses an empty secret and more fallbacks than a key list holds, naming no secret', async () => {
    await expect(deriveDjangoKeys('')).rejects.toThrow('must not be empty');
    await expect(deriveDjangoKeys(SECRET_KEY, [''])).rejects.toThrow('must not be empty');
    const many = Array.from({ length: MAX_DJANGO_KEYS }, (_, i) => `${SECRET_KEY}${i}`);
    await expect(deriveDjangoKeys(SECRET_KEY, many)).rejects.toThrow(`at most ${MAX_DJANGO_KEYS - 1}`);
  });

  it('formats the three variables as NAME=value lines', async () => {
    const text = formatDjangoKeys(await deriveDjangoKeys(SECRET_KEY, SECRET_KEY_FALLBACKS));
    expect(text.split('\n')).toEqual([
      `${DJANGO_KEY_VARIABLES.session}=${fixture.keys.DJANGO_SESSION_KEYS}`,
      `${DJANGO_KEY_VARIABLES.signedCookie}=${fixture.keys.DJANGO_SIGNED_COOKIE_KEYS}`,
      `${DJANGO_KEY_VARIABLES.authHash}=${fixture.keys.DJANGO_AUTH_HASH_KEYS}`,
      '',
    ]);
  });
});

describe('parseDjangoKeyList', () => {
  const [first, second] = fixture.keys.DJANGO_SESSION_KEYS.split(',') as [string, string];

  it('reads a comma list of 32-byte keys, spaces around commas allowed', () => {
    const parsed = parseDjangoKeyList('DJANGO_SESSION_KEYS', ` ${first} , ${second}`);
    expect('keys' in parsed && parsed.keys.map(base64urlEncode)).toEqual([first, second]);
  });

  it('names the variable and the position of a bad key, never a key', () => {
    // The last character of 32 bytes carries 4 bits and 2 zero bits: setting a zero bit decodes the same.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonical = first.slice(0, 42) + alphabet[alphabet.indexOf(first[42]!) + 1];
    const bad = [
      '',
      `${first},`,
      `${first}=`,
      first.slice(1),
      `${first}A`,
      first.replace(/.$/, '+'),
      nonCanonical,
    ];
    for (const text of bad) {
      const parsed = parseDjangoKeyList('DJANGO_SESSION_KEYS', text);
      expect('problem' in parsed, text).toBe(true);
      const problem = 'problem' in parsed ? parsed.problem : '';
      expect(problem).toMatch(/^DJANGO_SESSION_KEYS: key [12] must be 43 base64url characters/);
      expect(problem).not.toContain(first.slice(0, 8));
    }
    const nine = Array.from({ length: MAX_DJANGO_KEYS + 1 }, () => first).join(',');
    expect(parseDjangoKeyList('DJANGO_AUTH_HASH_KEYS', nine)).toEqual({
      problem: `DJANGO_AUTH_HASH_KEYS holds more than ${MAX_DJANGO_KEYS} keys`,
    });
  });
});

/**
 * The `manage.py shell` snippet of test/fixtures/django-sessions/README.md,
 * run by Debian's python3 with Debian's Django (python3-django, which
 * .ci/run installs) on settings with fallbacks, prints what the TypeScript
 * derivation prints. The secrets travel in the environment, never on a
 * command line.
 */
describe("the manage.py shell snippet under Debian's Django", () => {
  const python = ['/usr/bin/python3', 'python3'].find((bin) => spawnSync(bin, ['--version']).status === 0);

  beforeAll(async () => {
    if (!python) throw new Error('python3 is required: apt-get install python3 python3-django');
    const missing = spawnSync(python, ['-c', 'import django']).status !== 0;
    if (missing && (await canAptInstall())) await aptInstall(['python3-django']);
  }, 180_000);

  it('prints the keys deriveDjangoKeys derives', async () => {
    const script = [
      'import json, os',
      'from django.conf import settings',
      'settings.configure(SECRET_KEY=os.environ["DJANGO_SECRET"], SECRET_KEY_FALLBACKS=json.loads(os.environ["DJANGO_FALLBACKS"]))',
      managePySnippet(),
    ].join('\n');
    const { stdout } = await promisify(execFile)(python!, ['-c', script], {
      env: {
        PATH: process.env.PATH,
        PYTHONDONTWRITEBYTECODE: '1',
        PYTHONIOENCODING: 'utf-8',
        DJANGO_SECRET: SECRET_KEY,
        DJANGO_FALLBACKS: JSON.stringify(SECRET_KEY_FALLBACKS),
      },
    });
    expect(stdout).toBe(formatDjangoKeys(await deriveDjangoKeys(SECRET_KEY, SECRET_KEY_FALLBACKS)));
  });
});
