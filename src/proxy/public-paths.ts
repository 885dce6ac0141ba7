/**
 * Builds the `PUBLIC_PATHS` matcher. An entry without `*` matches that path
 * and everything below it (`/static` matches `/static` and `/static/app.js`,
 * not `/static-admin`); a trailing `*` makes it a plain prefix
 * (`/static*` also matches `/static-admin`).
 *
 * The pathname is the one the origin receives. A path is public only when no
 * reasonable origin could resolve it outside the public prefix, so a path
 * that some server would read differently from its bytes is never public
 * (it is authenticated like any other): see `isUnambiguousPath`.
 *
 * @example
 * const isPublic = publicPathMatcher(['/healthz', '/assets/*']);
 * isPublic('/assets/app.css') // true
 * isPublic('/assets/..%2fadmin') // false: nginx or Tomcat may serve /admin
 */
export function publicPathMatcher(entries: string[]): (pathname: string) => boolean {
  const rules = entries.map((entry) =>
    entry.endsWith('*')
      ? (path: string) => path.startsWith(entry.slice(0, -1))
      : (path: string) => {
          const base = entry.replace(/\/+$/, '');
          return path === entry || path === base || path.startsWith(`${base}/`);
        },
  );
  const matches = (path: string) => rules.some((rule) => rule(path));
  return (pathname) => {
    if (rules.length === 0 || !matches(pathname)) return false;
    const decoded = unambiguousForm(pathname);
    // The decoded, compatibility-normalised form must stay inside the prefix too.
    return decoded !== undefined && matches(decoded);
  };
}

/**
 * The path as an origin that decodes and normalises would see it, or
 * `undefined` when origins may disagree about it:
 * - `\` (IIS and some Windows stacks treat it as `/`) and `;` (Tomcat/Spring
 *   path parameters: `/public/..;/admin` is `/admin` there);
 * - a percent-escape of an ASCII byte (`%2f`, `%5c`, `%2e`, `%25` double
 *   encoding, `%00`, `%3b` …): only UTF-8 escapes of non-ASCII characters are
 *   unambiguous; a malformed or overlong escape (`%c0%af`) is refused too;
 * - after decoding and NFKC normalisation (fullwidth `／` or `．` become `/`
 *   and `.` in origins that normalise), any `\`, `;`, `%`, control character,
 *   `.` segment or `..` anywhere.
 */
export function unambiguousForm(pathname: string): string | undefined {
  if (/[\\;]/.test(pathname)) return undefined;
  for (const [, hex] of pathname.matchAll(/%([0-9a-fA-F]{2})/g)) {
    if (Number.parseInt(hex ?? '', 16) < 0x80) return undefined;
  }
  if (/%(?![0-9a-fA-F]{2})/.test(pathname)) return undefined;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname).normalize('NFKC');
  } catch {
    return undefined;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\\;%\u0000-\u001f\u007f]/.test(decoded)) return undefined;
  // `..` anywhere, not only as a segment: with `/assets*`, `/assets../settings.py` is
  // outside `/assets/` for an nginx `alias` without its trailing slash.
  if (decoded.includes('..') || decoded.split('/').includes('.')) return undefined;
  return decoded;
}
