import {
  AssertionKeyError,
  AuthError,
  ConfigError,
  CrossSiteError,
  DependencyError,
  describeCause,
  IdentityError,
  OriginError,
} from '../errors';
import { warn } from '../util/log';

export const REALM = 'edge-auth';
export const RETRY_AFTER_SECONDS = 1;

/**
 * The one place that turns an error into a response.
 *
 * @example
 * app.onError((err) => errorResponse(err, logger));
 */
export function errorResponse(err: unknown, log: (message: string) => void = warn): Response {
  if (err instanceof AuthError) {
    const challenge =
      err.code === 'missing_token'
        ? `Bearer realm="${REALM}"`
        : `Bearer realm="${REALM}", error="invalid_token", error_description="${quote(err.message)}"`;
    return json(401, { error: err.code, message: err.message }, { 'WWW-Authenticate': challenge });
  }
  if (err instanceof CrossSiteError) {
    return json(403, { error: err.code, message: err.message });
  }
  if (err instanceof DependencyError) {
    log(`edge-auth: ${err.message}: ${describeCause(err.cause)}`);
    return json(
      503,
      { error: err.code, message: `${err.dependency} is unavailable, retry shortly` },
      { 'Retry-After': String(RETRY_AFTER_SECONDS) },
    );
  }
  if (err instanceof OriginError) {
    log(`edge-auth: ${err.message}: ${describeCause(err.cause)}`);
    return json(502, { error: err.code, message: 'the origin did not answer' });
  }
  if (err instanceof IdentityError) {
    log(`edge-auth: refused to forward: ${err.message}`);
    return json(500, { error: err.code, message: err.message });
  }
  if (err instanceof AssertionKeyError) {
    log(err.message);
    return json(500, { error: err.code, message: 'the assertion signing key is unusable' });
  }
  if (err instanceof ConfigError) {
    log(err.message);
    return json(500, { error: err.code, message: err.message });
  }
  log(`edge-auth: unexpected error: ${describeCause(err)}`);
  return json(500, { error: 'internal_error', message: 'internal error' });
}

function quote(text: string): string {
  return text.replace(/["\\]/g, '');
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  });
}
