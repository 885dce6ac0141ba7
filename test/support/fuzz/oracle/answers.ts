import type { Exchange } from '../exchange';

/** Caching headers for CDNs alone: never on an answer made for one user. */
const CDN_CACHE_HEADERS = ['cdn-cache-control', 'cloudflare-cdn-cache-control', 'surrogate-control'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The `Cache-Control` an authenticated answer must carry, given the
 * origin's: unchanged when it says `no-store` or a bare `private`; else
 * without `public` and `s-maxage`, with `private` added last.
 *
 * @example
 * privateCacheControl('public, max-age=600') // 'max-age=600, private'
 * privateCacheControl(null) // 'private'
 */
export function privateCacheControl(fromOrigin: string | null): string {
  const directives = (fromOrigin ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(Boolean);
  const nameOf = (d: string) => d.split('=')[0]?.trim().toLowerCase();
  const exempt =
    directives.some((d) => nameOf(d) === 'no-store') || directives.some((d) => d.toLowerCase() === 'private');
  if (exempt && fromOrigin !== null) return fromOrigin;
  const kept = directives.filter((d) => nameOf(d) !== 'public' && nameOf(d) !== 's-maxage');
  return [...kept, 'private'].join(', ');
}

/**
 * The answer to a request forwarded with identity: private to its user (in
 * the `/auth` namespace `no-store`, as every answer there), and free of
 * CDN-only caching headers.
 *
 * @example
 * privateAnswerProblems(ex, false) // ['Cache-Control "public" on an authenticated answer, not "private"']
 */
export function privateAnswerProblems(ex: Exchange, noStore: boolean): string[] {
  const problems: string[] = [];
  const answer = new Headers(ex.response.headers);
  const fromOrigin = new Headers(ex.request.answer ?? []).get('cache-control');
  const wanted = noStore ? 'no-store' : privateCacheControl(fromOrigin);
  if (answer.get('cache-control') !== wanted) {
    problems.push(
      `Cache-Control ${JSON.stringify(answer.get('cache-control'))} on an authenticated answer, not ${JSON.stringify(wanted)} (origin: ${JSON.stringify(fromOrigin)})`,
    );
  }
  for (const name of CDN_CACHE_HEADERS) {
    if (answer.has(name)) problems.push(`${name} on an authenticated answer`);
  }
  return problems;
}

/**
 * Every answer: no control character in a header, and a 401 carries its
 * `WWW-Authenticate: Bearer realm="edge-auth"…` challenge.
 *
 * @example
 * answerHeaderProblems(ex) // ['401 with WWW-Authenticate null']
 */
export function answerHeaderProblems(ex: Exchange): string[] {
  const problems: string[] = [];
  for (const [name, value] of ex.response.headers) {
    if (CONTROL.test(name) || CONTROL.test(value)) {
      problems.push(
        `answer header ${JSON.stringify(name)} has a control character: ${JSON.stringify(value)}`,
      );
    }
  }
  const challenge = new Headers(ex.response.headers).get('www-authenticate');
  if (ex.response.status === 401 && !challenge?.startsWith('Bearer realm="edge-auth"')) {
    problems.push(`401 with WWW-Authenticate ${JSON.stringify(challenge)}`);
  }
  return problems;
}
