import { neon } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis/cloudflare';
import { type AssertionSigner, createAssertionSigner } from '../assertion/signer';
import { type Config, parseConfig } from '../config';
import { djangoSessions } from '../django/mode';
import type { Env } from '../env';
import { ConfigError } from '../errors';
import type { EdgeAuthOptions, TokenKeys } from '../hono/options';
import { publicPathMatcher } from '../proxy/public-paths';
import { createNeonSessionStore } from '../session/neon-store';
import type { SessionCache, SessionStore } from '../session/types';
import { createUpstashSessionCache } from '../session/upstash-cache';
import type { CredentialReader } from '../token/credential';
import { warn } from '../util/log';
import type { WorkerEnv } from './env';
import { routeNeonEndpoint } from './neon-endpoint';

/** What the Worker's routes need, built once per isolate from its bindings. */
export interface WorkerServices {
  config: Config;
  /** The middleware's options (the session core is built once per this object). */
  auth: EdgeAuthOptions<WorkerEnv>;
  isPublic: (pathname: string) => boolean;
  /** Signs the origin assertion; absent unless `ASSERTION_SIGNING_KEY` is set. */
  assertion: AssertionSigner | undefined;
}

/** Adapters and clock a test (or a host) passes instead of Upstash and Neon. */
export interface Adapters {
  cache: SessionCache;
  store: SessionStore;
  /** The credential when it is not edge-auth's JWT (Django session mode). */
  credential?: CredentialReader;
  now?: () => number;
  log?: (message: string) => void;
}

type Built = { ok: true; services: WorkerServices } | { ok: false; error: ConfigError };
const built = new WeakMap<object, Built>();

/**
 * The Worker's wiring, the only place that knows Upstash and Neon: validates
 * the bindings (one `ConfigError` naming every problem) and builds the
 * services once per `env` object, so keys are imported and clients built once
 * per isolate. A bad configuration is logged once, then answered from memory.
 *
 * @example
 * const { config, auth } = workerServices(env); // throws ConfigError naming every problem
 */
export function workerServices(env: Env, adapters?: Adapters): WorkerServices {
  let entry = built.get(env);
  if (!entry) {
    try {
      const config = parseConfig(env, { adapters: adapters !== undefined });
      entry = { ok: true, services: wire(config, adapters ?? driverAdapters(config)) };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      warn(err.message);
      entry = { ok: false, error: err };
    }
    built.set(env, entry);
  }
  if (!entry.ok) throw entry.error;
  return entry.services;
}

function wire(config: Config, adapters: Adapters): WorkerServices {
  const { token, session } = config;
  const source = sourceOf(config, adapters);
  return {
    config,
    auth: {
      ...source,
      cache: adapters.cache,
      store: adapters.store,
      cookie: token.cookieName,
      token: {
        algorithms: token.algorithms,
        ...(token.issuer ? { issuer: token.issuer } : {}),
        ...(token.audience ? { audience: token.audience } : {}),
        clockToleranceSeconds: token.clockToleranceSeconds,
      },
      session: {
        cacheTtlSeconds: session.cacheTtlSeconds,
        touchIntervalSeconds: session.touchIntervalSeconds,
        l1: session.l1,
        // A concurrent load of the same session cannot take longer than both budgets.
        coalesceWaitMs: config.redis.timeoutMs + config.database.timeoutMs,
      },
      // The Worker's observer sends the whole request's Server-Timing, these stages included.
      timing: false,
      log: adapters.log ?? warn,
      ...(adapters.now ? { now: adapters.now } : {}),
    },
    isPublic: publicPathMatcher(config.origin.publicPaths),
    assertion: config.assertion && createAssertionSigner(config.assertion),
  };
}

/** edge-auth's JWT keys, or the credential the adapters bring (Django's session cookie). */
function sourceOf(
  config: Config,
  adapters: Adapters,
): { keys: TokenKeys } | { credential: CredentialReader } {
  const { keys } = config.token;
  if (!keys) {
    if (!adapters.credential) throw new ConfigError(['SESSION_MODE=django needs its credential reader']);
    return { credential: adapters.credential };
  }
  if (keys.kind === 'secret') return { keys: { secret: keys.secret } };
  return { keys: keys.kind === 'jwks' ? { jwks: keys.jwks } : { jwksUrl: keys.url } };
}

function driverAdapters(config: Config): Adapters {
  const redis = new Redis({
    url: config.redis.url,
    token: config.redis.token,
    // Entries are parsed by the adapter; batches must never mix two requests' I/O.
    automaticDeserialization: false,
    enableAutoPipelining: false,
    enableTelemetry: false,
    // A function, so an abort rejects instead of resolving to "Aborted".
    signal: () => AbortSignal.timeout(config.redis.timeoutMs),
    retry: { retries: 0, backoff: () => 0 },
  });
  const { url, fetchEndpoint, timeoutMs, users } = config.database;
  if (fetchEndpoint) routeNeonEndpoint(url, fetchEndpoint);
  const cache = createUpstashSessionCache({ redis, prefix: config.redis.keyPrefix });
  const { django } = config;
  if (!django) return { cache, store: createNeonSessionStore({ sql: neon(url), timeoutMs, users }) };
  const { credential, store } = djangoSessions({
    sql: neon(url),
    timeoutMs,
    users,
    ...django,
    // A verified cookie's id is remembered as long as sessions are in the L1.
    rememberMs: Math.min(config.session.l1.ttlSeconds, config.session.cacheTtlSeconds) * 1000,
    log: warn,
  });
  return { cache, store, credential };
}
