// The key `edge-auth token` signs with: the Worker's HMAC secret (from a file,
// stdin, the flag, JWT_SECRET in the environment or .dev.vars), or a private key
// whose public half the Worker trusts (a JWK, a JWK set or a PEM file).
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import type { Settings } from '../dev/settings';
import { ASYMMETRIC_ALGORITHMS, HMAC_MIN_SECRET_BYTES } from '../src/config/keys';
import { CliError } from './command';

/** A key to sign with, and its algorithm. */
export type CliSigningKey =
  | { secret: string; alg: 'HS256' | 'HS384' | 'HS512' }
  | { privateKey: JWK; alg: string; kid?: string };

/** The flags that pick the key. */
export interface KeyFlags {
  secret?: string;
  'secret-file'?: string;
  'private-key'?: string;
  alg?: string;
  kid?: string;
}

const EC_ALGORITHMS: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };

/** The usual algorithm of a key: RS256 for RSA, ES256/384/512 by curve, EdDSA for Ed25519. */
function algorithmOf(jwk: JWK): string | undefined {
  if (jwk.alg) return jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return EC_ALGORITHMS[jwk.crv ?? ''];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/** Reads a file, or stdin for '-'. */
function readSource(path: string, flag: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new CliError(
      `${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      2,
    );
  }
}

/** The private JWK in a JWK, a JWK set (the one private key, or the one with `kid`) or a PEM file. */
function privateJwk(text: string, path: string, kid: string | undefined): JWK {
  if (!text.trimStart().startsWith('{')) {
    try {
      return createPrivateKey(text).export({ format: 'jwk' }) as JWK;
    } catch {
      throw new CliError(`--private-key ${path} is neither a JWK nor a PEM private key`, 2);
    }
  }
  let parsed: JWK & { keys?: JWK[] };
  try {
    parsed = JSON.parse(text) as JWK & { keys?: JWK[] };
  } catch {
    throw new CliError(`--private-key ${path} is not valid JSON`, 2);
  }
  const candidates = (parsed.keys ?? [parsed]).filter((k) => k.d !== undefined && (!kid || k.kid === kid));
  if (candidates.length === 1) return candidates[0] as JWK;
  throw new CliError(
    candidates.length === 0
      ? `--private-key ${path} holds no private key${kid ? ` with kid ${kid}` : ''} (a private JWK has "d")`
      : `--private-key ${path} holds several private keys: pick one with --kid`,
    2,
  );
}

/**
 * Picks the signing key from the flags, else from JWT_SECRET in `settings`; the error of a missing
 * or unusable key names the fix and never the key.
 *
 * @example
 * const key = signingKeyOf({ 'secret-file': '-' }, settings); // { secret: …, alg: 'HS256' }
 */
export function signingKeyOf(flags: KeyFlags, settings: Settings): CliSigningKey {
  const secretFlags = ['secret', 'secret-file'].filter((f) => flags[f as keyof KeyFlags] !== undefined);
  if (flags['private-key'] !== undefined) {
    if (secretFlags.length > 0)
      throw new CliError(`--private-key and --${secretFlags[0]} exclude each other`, 2);
    const path = flags['private-key'];
    const jwk = privateJwk(readSource(path, '--private-key'), path, flags.kid);
    const alg = flags.alg ?? algorithmOf(jwk);
    if (!alg || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
      throw new CliError(
        `--alg must name the key's algorithm: one of ${ASYMMETRIC_ALGORITHMS.join(', ')}`,
        2,
      );
    }
    const kid = flags.kid ?? jwk.kid;
    return { privateKey: jwk, alg, ...(kid ? { kid } : {}) };
  }
  if (secretFlags.length > 1) throw new CliError('--secret and --secret-file exclude each other', 2);
  const fromFile = flags['secret-file'];
  // A file's (or stdin's) final line break is not part of the secret.
  const secret =
    fromFile !== undefined
      ? readSource(fromFile, '--secret-file').replace(/\r?\n$/, '')
      : (flags.secret ?? settings.get('JWT_SECRET'));
  if (!secret) {
    throw new CliError(
      "no signing key: set JWT_SECRET to the Worker's (in the environment or .dev.vars), " +
        'or pass --secret-file <file> (- for stdin) or --private-key <file>',
      2,
    );
  }
  const alg = flags.alg ?? 'HS256';
  if (alg !== 'HS256' && alg !== 'HS384' && alg !== 'HS512') {
    throw new CliError('--alg with a secret must be HS256, HS384 or HS512', 2);
  }
  const needed = HMAC_MIN_SECRET_BYTES[alg] ?? 0;
  const source =
    fromFile !== undefined ? '--secret-file' : flags.secret ? '--secret' : settings.sourceOf('JWT_SECRET');
  if (new TextEncoder().encode(secret).length < needed) {
    throw new CliError(
      `the ${alg} secret (from ${source}) must be at least ${needed} bytes, as the Worker requires`,
      2,
    );
  }
  return { secret, alg };
}
