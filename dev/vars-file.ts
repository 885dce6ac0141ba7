// The `.dev.vars` (dotenv) format as wrangler reads it (dotenv, then
// dotenv-expand), for `npm run dev`, `edge-auth local` and `edge-auth token`:
// `NAME=value` lines, `#` comments, an optional `export ` prefix, values bare,
// 'single-quoted' (literal) or "double-quoted" (\n and \r become line breaks,
// \$ a dollar sign). `$NAME` references are not expanded here: write `\$`.
import { existsSync, readFileSync } from 'node:fs';
import type { SettingsLayer } from './settings';

/** A malformed line: names the file and line, never the value (it may be a secret). */
export class VarsFileError extends Error {
  override name = 'VarsFileError';
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', $: '$' };

function unquote(raw: string, where: string): string {
  const quote = raw[0];
  if (quote !== '"' && quote !== "'") return raw.replace(/\s+#.*$/, ''); // a bare value ends at ` #`
  let end = raw.indexOf(quote, 1);
  if (quote === '"') {
    // The closing quote is the first one not escaped.
    end = 1;
    while (end < raw.length && raw[end] !== '"') end += raw[end] === '\\' ? 2 : 1;
  }
  if (end < 1 || end >= raw.length) throw new VarsFileError(`${where}: unterminated ${quote} quote`);
  if (!/^\s*(#.*)?$/.test(raw.slice(end + 1)))
    throw new VarsFileError(`${where}: text after the quoted value`);
  const body = raw.slice(1, end);
  return quote === "'" ? body : body.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? `\\${c}`);
}

/**
 * Parses dotenv text into names and values; later lines win. Throws `VarsFileError` naming the line.
 *
 * @example
 * parseVars('# local\nJWT_SECRET="abc"\nPUBLIC_PATHS=/login') // { JWT_SECRET: 'abc', PUBLIC_PATHS: '/login' }
 */
export function parseVars(text: string, source = 'vars'): Record<string, string> {
  const vars: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, index) => {
    if (/^\s*(#.*)?$/.test(line)) return;
    const where = `${source}:${index + 1}`;
    const match = LINE.exec(line);
    if (!match) throw new VarsFileError(`${where}: expected NAME=value`);
    vars[match[1] as string] = unquote(match[2] as string, where);
  });
  return vars;
}

/**
 * Reads a dotenv file (`parseVars`).
 *
 * @example
 * const vars = readVarsFile('.dev.vars'); vars.JWT_SECRET
 */
export function readVarsFile(path: string): Record<string, string> {
  return parseVars(readFileSync(path, 'utf8'), path);
}

/**
 * Dotenv lines for `vars` that wrangler and `parseVars` read back exactly: double-quoted with `$`
 * escaped, or single-quoted (literal) when the value holds a double quote or a backslash (a JWK
 * set). Values that are not strings (undefined, a binding object) are left out. A line break, or
 * both kinds of quote (or a `$` beside a double quote), is refused, naming the variable, not the
 * value: dotenv has no escape that carries it through.
 *
 * @example
 * formatVars({ A: 'x$y', B: undefined }) // 'A="x\\$y"\n'
 */
export function formatVars(vars: object): string {
  return Object.entries(vars)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
    .map(([name, value]) => {
      if (!/["\\\r\n]/.test(value)) return `${name}="${value.replaceAll('$', '\\$')}"\n`;
      if (!/['$\r\n]/.test(value)) return `${name}='${value}'\n`;
      throw new VarsFileError(`${name} contains characters a .dev.vars file cannot carry`);
    })
    .join('');
}

/**
 * The settings layer of a vars file: `path` when given (it must exist), else `.dev.vars` in the
 * working directory when there is one, else none.
 *
 * @example
 * layered(...varsFileLayer(flags['vars-file'])).get('JWT_SECRET')
 */
export function varsFileLayer(path: string | undefined): SettingsLayer[] {
  const file = path ?? (existsSync('.dev.vars') ? '.dev.vars' : undefined);
  if (file === undefined) return [];
  if (!existsSync(file)) throw new VarsFileError(`the vars file ${file} does not exist`);
  return [{ source: file, values: readVarsFile(file) }];
}
