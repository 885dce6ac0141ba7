import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Stack } from '../stack';
import type { FuzzRequest } from './exchange';
import { WORLD_SESSIONS, WORLD_USERS } from './world';

/**
 * What the workerd layer needs around the Worker: the world in the real
 * database, a dead port for outages, and the reasons a request never
 * reached the Worker.
 */

/**
 * Creates the world's users and sessions in the stack's database.
 *
 * @example
 * await seed(stack);
 */
export async function seed(stack: Stack): Promise<void> {
  await stack.pool.query(
    `INSERT INTO users (id, username, email, first_name, last_name, is_staff, is_active, is_superuser)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bool[], $8::bool[])`,
    [
      WORLD_USERS.map((u) => u.id),
      WORLD_USERS.map((u) => u.username),
      WORLD_USERS.map((u) => u.email),
      WORLD_USERS.map(() => 'Ada'),
      WORLD_USERS.map(() => 'Lovelace'),
      WORLD_USERS.map((u) => u.isStaff),
      WORLD_USERS.map((u) => u.isActive),
      WORLD_USERS.map((u) => u.isSuperuser),
    ],
  );
  await stack.pool.query(
    `INSERT INTO sessions (id, user_id, expires_at, revoked_at)
     SELECT id, user_id,
            CASE WHEN state = 'expired' THEN now() - interval '1 hour' ELSE now() + interval '1 year' END,
            CASE WHEN state = 'revoked' THEN now() END
     FROM unnest($1::text[], $2::text[], $3::text[]) AS s(id, user_id, state)`,
    [
      WORLD_SESSIONS.map((s) => s.id),
      WORLD_SESSIONS.map((s) => s.userId),
      WORLD_SESSIONS.map((s) => s.state),
    ],
  );
}

/**
 * A loopback port nothing listens on: a dependency that refuses connections.
 *
 * @example
 * const dead = await closedPort(); // `http://127.0.0.1:${dead}` refuses
 */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A refusal's reason without the values in it (names of headers are kept).
 *
 * @example
 * refusal(new TypeError('invalid transfer-encoding header')) // 'refuses to send transfer-encoding'
 */
export function refusal(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const header = /^invalid (\S+) header$/.exec(message)?.[1];
  if (header)
    return HOP_BY_HOP.has(header) ? `refuses to send ${header}` : 'a byte it does not send in a header';
  if (message.includes('ByteString')) return 'a character beyond Latin-1';
  if (/invalid header name/.test(message)) return 'an invalid header name';
  if (/invalid header value/.test(message)) return 'an invalid header value';
  if (/HTTP method is unsupported/.test(message)) return 'a forbidden method';
  if (/is not a valid HTTP method/.test(message)) return 'an invalid method';
  return message.slice(0, 80);
}

/** Framing headers undici decides itself and refuses from the caller. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'transfer-encoding',
  'expect',
  'proxy-connection',
]);

/** workerd's limit on a request's headers (it answers 431 above it). */
export const WORKERD_HEADER_LIMIT = 128 * 1024;

/**
 * The bytes of a request's header section, roughly (names, values, separators).
 *
 * @example
 * headerBytes({ …, headers: [['a', 'b']] }) // 6
 */
export function headerBytes(req: FuzzRequest): number {
  return req.headers.reduce((sum, [name, value]) => sum + name.length + value.length + 4, 0);
}
