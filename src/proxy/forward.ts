import { OriginError } from '../errors';
import { makePrivate } from './private-answer';
import {
  type Admission,
  DEFAULT_HEADER_POLICY,
  type HeaderPolicy,
  stripClientHeaders,
} from './request-headers';

/** Connection-level headers that must not be relayed (RFC 9110 §7.6.1). */
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];

const UPGRADE_HEADERS = new Set(['upgrade', 'connection']);

export interface ForwardOptions {
  /** The identity headers of an authenticated request; absent for public paths and preflights. */
  identity?: readonly (readonly [string, string])[];
  /** Why the request may pass; default `public` (or `authenticated` with `identity`). */
  admission?: Admission;
  policy?: HeaderPolicy;
}

/**
 * Relays a request to the origin: same method, path, query, headers and
 * streamed body, minus what the client may not send there
 * (`stripClientHeaders`: headers only edge-auth may set, CGI-meaningful
 * names, path rewrites, edge-auth's own credential …), plus the identity
 * headers when the request was authenticated. Redirects are passed back to
 * the client, not followed, a WebSocket upgrade's `101` comes back with its
 * socket, bodies stream both ways without buffering, and no cache, the
 * edge's or one downstream, keeps an authenticated answer (it was made for
 * one user).
 *
 * @example
 * return forward(c.req.raw, new URL('https://origin.internal'), { identity: identityHeaders(session) });
 */
export async function forward(
  request: Request,
  origin: URL,
  options: ForwardOptions = {},
): Promise<Response> {
  const { identity, policy = DEFAULT_HEADER_POLICY } = options;
  const admission = options.admission ?? (identity ? 'authenticated' : 'public');
  const incoming = new URL(request.url);
  const target = new URL(origin.href);
  target.pathname = joinPaths(origin.pathname, incoming.pathname);
  target.search = incoming.search;

  const headers = new Headers(request.headers);
  // A WebSocket upgrade keeps its Upgrade and Connection headers: the origin must see the handshake.
  const websocket = request.headers.get('Upgrade')?.toLowerCase() === 'websocket';
  for (const name of HOP_BY_HOP) if (!(websocket && UPGRADE_HEADERS.has(name))) headers.delete(name);
  headers.delete('host');
  stripClientHeaders(headers, admission, policy);
  headers.set('X-Forwarded-Host', incoming.host);
  headers.set('X-Forwarded-Proto', incoming.protocol.replace(':', ''));
  const clientIp = request.headers.get('CF-Connecting-IP');
  if (clientIp) headers.set('X-Forwarded-For', clientIp);
  for (const [name, value] of identity ?? []) headers.set(name, value);

  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  const init: RequestInit & { duplex?: 'half' } = {
    method: request.method,
    headers,
    redirect: 'manual',
    // An authenticated answer is one user's: never let the edge cache keep it.
    ...(identity ? { cache: 'no-store' as const } : {}),
    ...(hasBody ? { body: request.body, duplex: 'half' } : {}),
  };
  let response: Response;
  try {
    response = await fetch(target, init);
  } catch (err) {
    throw new OriginError({ cause: err });
  }
  if (response.status === 101 && response.webSocket) {
    // The origin accepted the upgrade: hand its socket to the client as it is.
    return new Response(null, { status: 101, headers: response.headers, webSocket: response.webSocket });
  }
  // Re-wrap so headers (Server-Timing) can be added; the body still streams.
  const answer = new Response(response.body, response);
  if (admission === 'authenticated') makePrivate(answer.headers);
  return answer;
}

function joinPaths(base: string, path: string): string {
  if (base === '/' || base === '') return path;
  return `${base.replace(/\/+$/, '')}${path}`;
}
