/**
 * README "Public paths", read as an attacker would: a path may go to the
 * origin without identity only if every way an origin could read it stays
 * inside a public prefix, and no reading holds `..`.
 */

/**
 * README "Public paths": `/x` matches `/x` and `/x/…`; `/x*` is a plain prefix.
 *
 * @example
 * publicRule(['/public', '/static*'])('/static-admin') // true (a plain prefix)
 */
export function publicRule(entries: string[]): (path: string) => boolean {
  return (path) =>
    entries.some((entry) =>
      entry.endsWith('*')
        ? path.startsWith(entry.slice(0, -1))
        : path === entry || path.startsWith(`${entry.replace(/\/+$/, '')}/`),
    );
}

function decodeBytes(path: string, mode: 'utf8' | 'latin1' | 'overlong'): string {
  const bytes: number[] = [];
  for (let i = 0; i < path.length; i++) {
    const hex = path.slice(i + 1, i + 3);
    if (path[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(path[i] ?? '', 'utf8'));
    }
  }
  if (mode === 'latin1') return Buffer.from(bytes).toString('latin1');
  if (mode === 'utf8') return new TextDecoder().decode(Uint8Array.from(bytes));
  // Overlong UTF-8, as lax decoders read it: C0 AF is '/', E0 80 AE is '.'.
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] ?? 0;
    const n1 = bytes[i + 1] ?? 0;
    const n2 = bytes[i + 2] ?? 0;
    if ((b & 0xe0) === 0xc0 && (n1 & 0xc0) === 0x80) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (n1 & 0x3f));
      i += 1;
    } else if ((b & 0xf0) === 0xe0 && (n1 & 0xc0) === 0x80 && (n2 & 0xc0) === 0x80) {
      out += String.fromCharCode(((b & 0x0f) << 12) | ((n1 & 0x3f) << 6) | (n2 & 0x3f));
      i += 2;
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

const PATH_READINGS: ((p: string) => string)[] = [
  (p) => decodeBytes(p, 'utf8'),
  (p) => decodeBytes(p, 'latin1'),
  (p) => decodeBytes(p, 'overlong'),
  (p) => p.replace(/%u([0-9a-fA-F]{4})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
  (p) => p.normalize('NFKC'),
  (p) => p.replaceAll('\\', '/'),
  (p) =>
    p
      .split('/')
      .map((segment) => segment.replace(/;.*$/, ''))
      .join('/'),
  (p) => p.split('\u0000')[0] ?? '',
  (p) => p.replace(/\/+/g, '/'),
];

function resolveDots(path: string): string {
  const out: string[] = [];
  for (const segment of path.split('/').slice(1)) {
    if (segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

/**
 * Whether `path` (as the origin received it) may be treated as public: it
 * matches a rule, and so does every way a reasonable origin could read it —
 * decoded once or more (UTF-8, Latin-1, overlong, `%u`), NFKC-normalised, `\`
 * as `/`, `;` parameters dropped, cut at NUL, slashes merged, dot segments
 * resolved — and none of those readings holds `..` anywhere, even inside a
 * segment (`/static../x` is outside `/static/` for an nginx `alias`).
 *
 * @example
 * mayBePublic(['/static*'], '/static/app.js') // true
 * mayBePublic(['/static*'], '/static../settings.py') // false
 */
export function mayBePublic(entries: string[], path: string): boolean {
  const rule = publicRule(entries);
  if (!rule(path)) return false;
  const seen = new Set([path]);
  let frontier = [path];
  for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const form of frontier) {
      for (const read of PATH_READINGS) {
        const reading = read(form);
        if (seen.has(reading) || seen.size > 400) continue;
        seen.add(reading);
        next.push(reading);
      }
    }
    frontier = next;
  }
  return [...seen].every(
    (reading) =>
      !reading.includes('..') &&
      rule(resolveDots(reading)) &&
      rule(resolveDots(reading.replace(/\/+/g, '/'))),
  );
}
