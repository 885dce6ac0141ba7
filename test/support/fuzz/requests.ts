import fc from 'fast-check';
import {
  boundaryHeader,
  FORM_CONTENT_TYPE,
  forwardedRequestHeaders,
  methodBody,
  siteHeaders,
} from './boundary-headers';
import { authorization, cookieHeader, mixedCredentials } from './cookies';
import type { FuzzRequest, Outage } from './exchange';
import { headerPair } from './headers';
import { methodArbitrary, optionsShape, preflight } from './methods';
import { originAnswer } from './origin-answers';
import { pathArbitraries } from './paths';
import { transport } from './text';
import { type TokenOptions, tokenArbitraries } from './tokens';

/** What the fuzzers emphasise; every focus still mixes in everything else. */
export type Focus = 'tokens' | 'cookies' | 'headers' | 'paths' | 'mixed' | 'boundary' | 'verify';

export interface ArbitraryOptions extends TokenOptions {
  /** The session cookie's name (`SESSION_COOKIE`). */
  cookieName: string;
  /** Longest generated path; the real layer keeps it under workerd's URL limit. */
  maxPathLength?: number;
  /**
   * `fetch` (default): anything `new Request()` accepts, control bytes in
   * header values included. `http`: what an HTTP/1 client puts on the wire
   * (no control bytes but TAB), so few cases are refused before the Worker.
   */
  transport?: 'fetch' | 'http';
  /** Where clients reach the Worker (`Origin` of same-site requests); default `http://localhost`. */
  ownOrigin?: string;
}

/**
 * The generators of hostile requests, one per focus.
 *
 * @example
 * const arbs = fuzzArbitraries({ secret, cookieName: 'session' });
 * await fc.check(fc.asyncProperty(arbs.request('mixed'), async (req) => { … checkExchange(…) … }));
 */
export function fuzzArbitraries(options: ArbitraryOptions) {
  const { cookieName } = options;
  const maxPathLength = options.maxPathLength ?? 16_000;
  const wire = options.transport === 'http';
  const t = transport(wire);
  const { token, liveToken, worldToken } = tokenArbitraries(options, t);
  const headerPairs = headerPair(t);
  const { path, simplePath } = pathArbitraries(maxPathLength);
  const method = methodArbitrary(t);
  const outage = fc.oneof(
    { weight: 17, arbitrary: fc.constant<Outage>('none') },
    { weight: 1, arbitrary: fc.constantFrom<Outage>('redis', 'database', 'both') },
  );
  const body = fc.option(fc.string({ maxLength: 64 }), { nil: null });

  /** Tokens tilted towards ones that authenticate, so the forwarding path is well exercised. */
  const mostlyLive = fc.oneof({ weight: 3, arbitrary: liveToken }, { weight: 1, arbitrary: token });

  const weights: Record<Focus, { auth: fc.Arbitrary<string>; path: fc.Arbitrary<string>; headers: number }> =
    {
      tokens: { auth: token, path: simplePath, headers: 2 },
      cookies: { auth: mostlyLive, path: simplePath, headers: 2 },
      headers: { auth: mostlyLive, path: fc.oneof(simplePath, path), headers: 10 },
      paths: { auth: mostlyLive, path, headers: 2 },
      mixed: { auth: token, path, headers: 6 },
      boundary: { auth: mostlyLive, path: fc.oneof(simplePath, path), headers: 4 },
      verify: { auth: mostlyLive, path: simplePath, headers: 2 },
    };
  /** Route weights: any path, a logout, the session, forward-auth's verify. */
  const routeWeights: Partial<Record<Focus, [number, number, number, number]>> = {
    boundary: [20, 4, 1, 2],
    verify: [2, 1, 1, 20],
  };
  const ownOrigin = options.ownOrigin ?? 'http://localhost';
  const forwarded = forwardedRequestHeaders(t);
  const site = siteHeaders(ownOrigin);
  const optionsRequest = optionsShape(t, ownOrigin);

  /** A hostile request; `focus` decides what is stressed hardest. */
  const request = (focus: Focus): fc.Arbitrary<FuzzRequest> => {
    const w = weights[focus];
    const credentials = fc.oneof(
      {
        weight: focus === 'cookies' ? 1 : 6,
        arbitrary: fc.tuple(
          fc.option(authorization(w.auth, t), { nil: undefined, freq: 9 }),
          fc.constant(undefined),
        ),
      },
      {
        weight: focus === 'cookies' ? 8 : 2,
        arbitrary: fc.tuple(fc.constant(undefined), cookieHeader(w.auth, cookieName, t)),
      },
      { weight: 1, arbitrary: fc.tuple(authorization(w.auth, t), cookieHeader(w.auth, cookieName, t)) },
    );
    // The endpoints that act on a session, now and then, whatever the focus (logouts revoke for good).
    const [anyPath, logout, session, verify] = routeWeights[focus] ?? [60, 1, 1, 1];
    const route = fc.oneof(
      { weight: anyPath, arbitrary: fc.tuple(method, w.path) },
      {
        weight: logout,
        arbitrary: fc.tuple(fc.constant('POST'), fc.constantFrom('/auth/logout', '/auth/./logout?x=1')),
      },
      { weight: session, arbitrary: fc.tuple(fc.constantFrom('GET', 'HEAD'), fc.constant('/auth/session')) },
      { weight: verify, arbitrary: fc.tuple(method, fc.constant('/auth/verify')) },
    );
    const stressed = focus === 'boundary';
    /** Now and then in every focus, often where the trust boundary is stressed. */
    const sometimes = <T>(arbitrary: fc.Arbitrary<T>, none: T) =>
      fc.oneof(
        { weight: stressed ? 1 : 4, arbitrary: fc.constant(none) },
        { weight: 1, arbitrary: arbitrary },
      );
    return fc
      .record({
        route,
        preflight,
        credentials,
        headers: fc.array(headerPairs, { maxLength: w.headers }),
        authorizationFirst: fc.boolean(),
        body,
        outage:
          focus === 'mixed'
            ? fc.constantFrom<Outage>('none', 'none', 'none', 'none', 'none', 'redis', 'database', 'both')
            : outage,
        // Trust boundary v2 (issue #13), after the rest so the classes above are drawn as before.
        extra: sometimes(fc.array(boundaryHeader, { minLength: 1, maxLength: stressed ? 6 : 3 }), []),
        methodBody,
        options: fc.oneof(
          { weight: stressed ? 2 : 19, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: optionsRequest },
        ),
        mix: stressed
          ? sometimes(mixedCredentials(cookieName, liveToken), undefined)
          : fc.constant(undefined),
        site,
        forwarded,
        answer: originAnswer,
      })
      .map((r): FuzzRequest => {
        const [auth, cookie] = r.credentials;
        const credentialHeaders: [string, string][] = [
          ...(auth === undefined ? [] : [['Authorization', auth] as [string, string]]),
          ...(cookie === undefined ? [] : [['Cookie', cookie] as [string, string]]),
        ];
        const [routeMethod, path] = r.route;
        const method = r.preflight || r.options ? 'OPTIONS' : routeMethod;
        const upper = method.toUpperCase();
        const preflightHeaders: [string, string][] = r.options
          ? r.options.headers
          : r.preflight
            ? [
                ['Origin', r.preflight[0]],
                ['Access-Control-Request-Method', r.preflight[1]],
              ]
            : [];
        const credentials = r.mix ?? credentialHeaders;
        const headers: [string, string][] = [
          ...preflightHeaders,
          ...(r.authorizationFirst ? [...credentials, ...r.headers] : [...r.headers, ...credentials]),
          ...r.extra,
        ];
        let body = r.options ? r.options.body : r.body;
        if (r.methodBody !== undefined && !r.options) {
          body = r.methodBody;
          headers.push(FORM_CONTENT_TYPE);
        }
        if (path.includes('/logout')) headers.push(...r.site);
        if (path === '/auth/verify') headers.push(...r.forwarded);
        return {
          method,
          path,
          headers,
          body: upper === 'GET' || upper === 'HEAD' ? null : body,
          outage: r.outage,
          ...(r.answer.length > 0 ? { answer: r.answer } : {}),
        };
      });
  };

  return { token, liveToken, worldToken, request };
}
