import type { Env } from '../env';
import { NUMBERS } from './defaults';

/**
 * Reads bindings for the section parsers of `parseConfig`: each read returns
 * a value (a default where the binding is absent or wrong) and records a
 * problem naming the variable, never its value; `problems` holds them all.
 *
 * @example
 * const r = createReader({ REDIS_TIMEOUT_MS: 'soon' });
 * r.number('REDIS_TIMEOUT_MS') // 1000; r.problems: ['REDIS_TIMEOUT_MS must be a whole number from 50 to 30000']
 */
export function createReader(env: Env) {
  const problems: string[] = [];
  const raw = (name: keyof Env) => textOf((env as Record<string, unknown>)[name]);
  const read = (name: keyof Env): string | undefined => {
    const value = raw(name);
    if (value === null) {
      problems.push(`${name} must be text`);
      return undefined;
    }
    const trimmed = value?.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  return {
    problems,
    read,
    /** The binding as given, untrimmed (`null`: not text). */
    raw,
    required(name: keyof Env): string {
      const value = read(name);
      if (value === undefined) problems.push(`${name} is required`);
      return value ?? '';
    },
    number(name: keyof typeof NUMBERS & keyof Env): number {
      const { default: fallback, min, max } = NUMBERS[name];
      const value = read(name);
      if (value === undefined) return fallback;
      if (/^\d+$/.test(value) && Number(value) >= min && Number(value) <= max) return Number(value);
      problems.push(`${name} must be a whole number from ${min} to ${max}`);
      return fallback;
    },
    /** `true` or `false` (default `false`). */
    flag(name: keyof Env): boolean {
      const value = read(name)?.toLowerCase();
      if (value === undefined || value === 'false') return false;
      if (value === 'true') return true;
      problems.push(`${name} must be "true" or "false"`);
      return false;
    },
    /** A comma list, entries trimmed, empty ones dropped. */
    list(name: keyof Env): string[] {
      return (read(name) ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean);
    },
    url(name: keyof Env, value: string | undefined, protocols: string[]): URL | undefined {
      if (value === undefined || value === '') return undefined;
      try {
        const parsed = new URL(value);
        if (protocols.includes(parsed.protocol)) return parsed;
      } catch {
        // reported below, without echoing the value
      }
      problems.push(`${name} must be a ${protocols.map((p) => p.replace(':', '')).join(' or ')} URL`);
      return undefined;
    },
  };
}

export type Reader = ReturnType<typeof createReader>;

/**
 * A binding as text. wrangler passes unquoted TOML values as numbers or
 * booleans and tables as objects (a JWKS, say); all are accepted. `null`
 * means "not representable as text".
 */
function textOf(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return null;
}
