/**
 * Whether a host is this machine. `http:` is refused for the key set,
 * Upstash and Neon anywhere else: tokens, session data and credentials
 * travel on those connections.
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Parses an `https:` URL (`http:` only on loopback), reporting a problem
 * that names the variable and never its value.
 *
 * @example
 * secureUrl('JWT_JWKS_URL', 'http://issuer.example/jwks', problems) // undefined, problem recorded
 */
export function secureUrl(name: string, value: string | undefined, problems: string[]): URL | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    // reported below, without echoing the value
  }
  if (parsed?.protocol === 'https:' || (parsed?.protocol === 'http:' && isLoopback(parsed.hostname))) {
    return parsed;
  }
  problems.push(
    parsed?.protocol === 'http:'
      ? `${name} must use https (http is accepted only on loopback)`
      : `${name} must be an https URL`,
  );
  return undefined;
}
