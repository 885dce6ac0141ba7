import { neon, neonConfig } from '@neondatabase/serverless';
import { Redis } from '@upstash/redis/cloudflare';
import { type AssertionSigner, createAssertionSigner } from './assertion/signer';
import { type Config, parseConfig } from './config';
import type { Env } from './env';
import { ConfigError } from './errors';
import { publicPathMatcher } from './proxy/public-paths';
import { type Authenticator, type AuthenticatorOptions, createAuthenticator } from './session/authenticator';
import { createNeonSessionStore } from './session/neon-store';
import { createUpstashSessionCache } from './session/upstash-cache';
import { createTokenVerifier, type TokenVerifier } from './token/verifier';
import { warn } from './util/log';

/** Everything a request needs, built once per isolate. */
export interface EdgeAuthServices {
  config: Config;
  verifier: TokenVerifier;
  authenticator: Authenticator;
  isPublic: (pathname: string) => boolean;
  /** Signs the origin assertion; absent unless `ASSERTION_SIGNING_KEY` is set. */
  assertion: AssertionSigner | undefined;
}

const built = new WeakMap<object, EdgeAuthServices | ConfigError>();

/**
 * The wiring: the only place that knows Upstash and Neon. Cached per `env`
 * object, so keys are imported and clients built once per isolate. A bad
 * configuration is reported (and logged) once, then answered from the cache.
 *
 * @example
 * const services = servicesFromEnv(env); // throws ConfigError naming every problem
 */
export function servicesFromEnv(env: Env): EdgeAuthServices {
  let entry = built.get(env);
  if (!entry) {
    try {
      entry = buildServices(parseConfig(env));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      warn(err.message);
      entry = err;
    }
    built.set(env, entry);
  }
  if (entry instanceof ConfigError) throw entry;
  return entry;
}

/** Builds the production adapters from a validated config. */
export function buildServices(config: Config): EdgeAuthServices {
  if (config.database.fetchEndpoint) neonConfig.fetchEndpoint = config.database.fetchEndpoint;
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
  return assembleServices(config, {
    cache: createUpstashSessionCache({ redis, prefix: config.redis.keyPrefix }),
    store: createNeonSessionStore({
      sql: neon(config.database.url),
      timeoutMs: config.database.timeoutMs,
      users: config.database.users,
    }),
  });
}

/**
 * Assembles the services around any pair of adapters (tests pass in-memory
 * ones with a controlled clock).
 *
 * @example
 * const services = assembleServices(parseConfig(env), { cache, store });
 */
export function assembleServices(
  config: Config,
  adapters: Pick<AuthenticatorOptions, 'cache' | 'store' | 'now' | 'log'>,
): EdgeAuthServices {
  return {
    config,
    // Verified tokens are remembered as long as sessions are in the L1: one signature check per burst.
    verifier: createTokenVerifier(config.token, {
      rememberMs: Math.min(config.session.l1.ttlSeconds, config.session.cacheTtlSeconds) * 1000,
      log: adapters.log ?? warn,
      ...(adapters.now ? { now: adapters.now } : {}),
    }),
    authenticator: createAuthenticator({
      log: warn,
      ...adapters,
      cacheTtlSeconds: config.session.cacheTtlSeconds,
      touchIntervalSeconds: config.session.touchIntervalSeconds,
      l1: config.session.l1,
      // A concurrent load of the same session cannot take longer than both budgets.
      coalesceWaitMs: config.redis.timeoutMs + config.database.timeoutMs,
    }),
    isPublic: publicPathMatcher(config.origin.publicPaths),
    assertion: config.assertion && createAssertionSigner(config.assertion),
  };
}
