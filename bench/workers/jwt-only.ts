// edge-auth without the session: the token is read and verified by the very
// code edge-auth runs (extractToken, parseConfig, createTokenVerifier), then the
// request is relayed by the same forward() with the claims as identity. No
// Redis, no database. edge-auth ÷ jwt-only is the cost of the session lookup
// (L1, Hono, identity); jwt-only ÷ passthrough is the cost of the JWT.
import { type Config, parseConfig } from '../../src/config';
import type { Env } from '../../src/env';
import { forward } from '../../src/proxy/forward';
import { encodeHeaderValue } from '../../src/proxy/identity';
import { extractToken } from '../../src/token/extract';
import { createTokenVerifier, type TokenVerifier } from '../../src/token/verifier';

/** Bindings of the jwt-only Worker: edge-auth's own (`parseConfig` requires the Redis and database ones). */
export type JwtOnlyEnv = Env;

// Built once per isolate, like edge-auth's services (keys imported once).
const built = new WeakMap<object, { config: Config; verifier: TokenVerifier }>();

function servicesOf(env: Env) {
  let entry = built.get(env);
  if (!entry) {
    const config = parseConfig(env);
    const { keys } = config.token;
    // The benchmark always binds JWT_SECRET: no keys would be a Django-session configuration.
    if (!keys) throw new Error('jwt-only needs JWT_SECRET');
    entry = { config, verifier: createTokenVerifier({ ...config.token, keys }) };
    built.set(env, entry);
  }
  return entry;
}

export default {
  async fetch(request, env) {
    const { config, verifier } = servicesOf(env);
    let identity: [string, string][];
    try {
      const token = extractToken(request.headers, config.token.cookieName);
      if (token === undefined) return new Response('missing token\n', { status: 401 });
      const { sub, sid } = await verifier.verify(token);
      // Two of edge-auth's identity headers, so forward() sends the same no-store subrequest.
      identity = [
        ['X-Auth-User-Id', encodeHeaderValue(sub) ?? ''],
        ['X-Auth-Session-Id', encodeHeaderValue(sid) ?? ''],
      ];
    } catch {
      // Any verification failure is a 401; the benchmark only sends valid tokens.
      return new Response('invalid token\n', { status: 401 });
    }
    if (!config.origin.url) return new Response('no origin\n', { status: 404 });
    return forward(request, config.origin.url, { identity });
  },
} satisfies ExportedHandler<JwtOnlyEnv>;
