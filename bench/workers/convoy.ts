// The Django middleware from the story, as a Worker: every request verifies
// the JWT (HS256, jose, like edge-auth) and then runs `update_or_create` on
// the user row in one Neon transaction over HTTP:
//   SELECT … FOR UPDATE; <work while holding the lock>; UPDATE last_login.
// The work is modelled as `SELECT pg_sleep(LOCK_HOLD_MS / 1000)` inside the
// transaction, so each request holds the row lock for about LOCK_HOLD_MS and
// concurrent requests from one user queue on it.
import { neon, neonConfig } from '@neondatabase/serverless';
import { jwtVerify } from 'jose';
import { forward } from '../../src/proxy/forward';

/** Bindings of the convoy Worker. */
export interface ConvoyEnv {
  DATABASE_URL: string;
  /** The local Neon server's /sql endpoint. */
  NEON_FETCH_ENDPOINT: string;
  JWT_SECRET: string;
  ORIGIN_URL: string;
  /** Milliseconds of work done while the row lock is held (the story: ~20). */
  LOCK_HOLD_MS: string;
}

const encoder = new TextEncoder();

export default {
  async fetch(request, env) {
    const token = /^Bearer (\S+)$/.exec(request.headers.get('Authorization') ?? '')?.[1];
    if (!token) return new Response('missing token\n', { status: 401 });
    let userId: string | undefined;
    try {
      const { payload } = await jwtVerify(token, encoder.encode(env.JWT_SECRET), { algorithms: ['HS256'] });
      userId = payload.sub;
    } catch {
      // Any verification failure is a 401; the benchmark only sends valid tokens.
    }
    if (!userId) return new Response('invalid token\n', { status: 401 });

    neonConfig.fetchEndpoint = env.NEON_FETCH_ENDPOINT;
    const sql = neon(env.DATABASE_URL);
    // One HTTP round trip; the server runs BEGIN … COMMIT around the three statements.
    await sql.transaction([
      sql`SELECT id FROM users WHERE id = ${userId} FOR UPDATE`,
      sql`SELECT pg_sleep(${Number(env.LOCK_HOLD_MS) / 1000})`,
      sql`UPDATE users SET last_login = now() WHERE id = ${userId}`,
    ]);
    return forward(request, new URL(env.ORIGIN_URL));
  },
} satisfies ExportedHandler<ConvoyEnv>;
