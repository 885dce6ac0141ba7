import { type EdgeAuthVariables, type Env, edgeAuth } from 'edge-auth';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';

/**
 * An app with public and protected routes. `edgeAuth()` builds its services
 * once per isolate from the bindings, puts the session on the context, and
 * throws an `HTTPException` carrying its own answer (401 with
 * `WWW-Authenticate`, 503 with `Retry-After`) when a request is refused.
 */
const app = new Hono<{ Bindings: Env; Variables: EdgeAuthVariables }>();

app.get('/', (c) => c.json({ hello: 'world' }));

app.use('/api/*', edgeAuth());
app.get('/api/me', (c) => {
  const { user, session } = c.get('session');
  return c.json({ user, sessionId: session.id });
});

// edge-auth's refusals pass through as they are; anything else is a generic 500.
app.onError((err, c) => {
  if (err instanceof HTTPException) return err.getResponse();
  console.error(err);
  return c.json({ error: 'internal_error', message: 'something went wrong' }, 500);
});

export default app;
