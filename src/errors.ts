/**
 * edge-auth's errors, free of any transport: each has a stable `code` that
 * callers (and host apps) can switch on, and a message that never contains a
 * token, key or connection string. `http/errors.ts` maps them to responses.
 */
export type AuthErrorCode = 'missing_token' | 'invalid_token';

/**
 * Every code an edge-auth error (and its JSON answer's `error` field) can
 * carry, as jose's `JOSEErrorCode`: switch on it, it does not change.
 */
export type EdgeAuthErrorCode =
  | AuthErrorCode
  | 'cross_site_request'
  | 'dependency_unavailable'
  | 'bad_gateway'
  | 'identity_unrepresentable'
  | 'assertion_key_invalid'
  | 'config_invalid'
  | 'internal_error';

/**
 * The credential is absent or not acceptable: 401 with `WWW-Authenticate`.
 *
 * @example
 * throw new AuthError('invalid_token', 'session is not active'); // 401, error "invalid_token"
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Dependency = 'redis' | 'database' | 'keys' | 'origin';

/**
 * A dependency needed to decide is down or too slow: 503 with `Retry-After`.
 *
 * @example
 * throw new DependencyError('database', { cause: err }); // 503, error "dependency_unavailable"
 */
export class DependencyError extends Error {
  override readonly name = 'DependencyError';
  readonly code = 'dependency_unavailable';
  constructor(
    readonly dependency: Dependency,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable`, options);
  }
}

/**
 * The origin could not be reached or did not answer in time: 502.
 *
 * @example
 * throw new OriginError({ cause: err }); // 502, error "bad_gateway"
 */
export class OriginError extends Error {
  override readonly name = 'OriginError';
  readonly code = 'bad_gateway';
  constructor(options?: { cause?: unknown }) {
    super('origin unavailable', options);
  }
}

/**
 * A stored identity value cannot be forwarded whole (too long for a header,
 * or not well-formed Unicode). The request is refused rather than forwarded
 * with an identity that could look like someone else's.
 *
 * @example
 * throw new IdentityError('X-Auth-Email'); // refused; the log line names the header, not the value
 */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  readonly code = 'identity_unrepresentable';
  constructor(readonly header: string) {
    super(`${header} cannot be forwarded: the stored value is too long or malformed`);
  }
}

/**
 * A state-changing request carried an ambient credential (a cookie) from a
 * page of another site: 403, so another site cannot log the user out.
 *
 * @example
 * throw new CrossSiteError(); // 403, error "cross_site_request"
 */
export class CrossSiteError extends Error {
  override readonly name = 'CrossSiteError';
  readonly code = 'cross_site_request';
  constructor() {
    super('a cookie-authenticated logout must come from a page of this site');
  }
}

/**
 * `ASSERTION_SIGNING_KEY` was well-formed but the runtime refused it (e.g.
 * its `d` does not belong to its `x`/`y`): found on first use, a 500.
 *
 * @example
 * throw new AssertionKeyError('ASSERTION_SIGNING_KEY is not a valid P-256 key pair', { cause });
 */
export class AssertionKeyError extends Error {
  override readonly name = 'AssertionKeyError';
  readonly code = 'assertion_key_invalid';
}

/**
 * The Worker's bindings are invalid; lists every problem at once.
 *
 * @example
 * if (err instanceof ConfigError) err.problems; // ['JWT_SECRET is required', …], never a value
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config_invalid';
  constructor(readonly problems: string[]) {
    super(`edge-auth configuration is invalid: ${problems.join('; ')}`);
  }
}

/**
 * Name and message of an error, cut short, never a stack, and scrubbed of
 * what client libraries put in their messages: URLs (a connection string
 * carries its password) and Upstash's echo of the command's arguments
 * (keys and cached session data).
 */
export function describeCause(cause: unknown): string {
  const text = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return text
    .replace(/,? command was: [\s\S]*$/, '')
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .slice(0, 300);
}
