import { neon } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis/cloudflare';
import { type AssertionSigner, createAssertionSigner } from '../assertion/signer';
import { type Config, parseConfig } from '../config';
import type { Env } from '../env';
import { ConfigError } from '../errors';
import type { EdgeAuthOptions, TokenKeys } from '../hono/options';
import { publicPathMatcher } from '../proxy/public-paths';
import { createNeonSessionStore } from '../session/neon-store';
import type { SessionCache, SessionStore } from '../session/types';
import { createUpstashSessionCache } from '../session/upstash-cache';
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
  const keys: TokenKeys =
    token.keys.kind === 'secret'
      ? { secret: token.keys.secret }
      : token.keys.kind === 'jwks'
        ? { jwks: token.keys.jwks }
        : { jwksUrl: token.keys.url };
  return {
    config,
    auth: {
      keys,
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
  return {
    cache: createUpstashSessionCache({ redis, prefix: config.redis.keyPrefix }),
    store: createNeonSessionStore({ sql: neon(url), timeoutMs, users }),
  };
}
