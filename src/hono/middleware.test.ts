import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { bearer, memoryApp, SECRET } from '../../test/support/memory-app';
import { edgeAuth } from './middleware';
import type { EdgeAuthOptions } from './options';

/** edgeAuth() inside somebody else's Hono app, with that app's own (default) error handling. */
describe('edgeAuth middleware', () => {
  function hostApp(extra: Partial<EdgeAuthOptions> = {}) {
    const t = memoryApp();
    const app = new Hono();
    let reached = 0;
    app.use(
      '/api/*',
      edgeAuth({
        keys: { secret: SECRET },
        cache: t.cache,
        store: t.store,
        now: () => t.clock.now,
        ...extra,
      }),
    );
    app.get('/api/me', (c) => {
      reached++;
      const { session, claims } = c.get('edgeAuth');
      return c.json({ id: session.user.id, sid: claims.sid });
    });
    app.get('/open', (c) => c.text('open'));
    return { t, app, reached: () => reached };
  }

  it('sets the session on the context and sends its own Server-Timing stages', async () => {
    const { t, app } = hostApp();
    const token = await t.login('u1', 's1');
    const res = await app.request('/api/me', bearer(token));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'u1', sid: 's1' });
    expect(res.headers.get('Server-Timing')).toMatch(
      /^token;dur=[\d.]+, cache;dur=[\d.]+;desc="miss", db;dur=[\d.]+$/,
    );
  });

  it("answers edge-auth's 401 through the host app's default error handler, handler not reached", async () => {
    const { app, reached } = hostApp();
    const res = await app.request('/api/me', bearer('nope'));
    expect(res.status).toBe(401);
    expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="edge-auth", error="invalid_token"/);
    expect(await res.json()).toEqual({ error: 'invalid_token', message: 'malformed token' });
    expect(reached()).toBe(0);
    expect((await app.request('/open')).status).toBe(200);
  });

  it('answers 503 (not 401) when the store is down', async () => {
    const { t, app } = hostApp();
    const token = await t.login('u1', 's1');
    t.store.failing = true;
    const res = await app.request('/api/me', bearer(token));
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBe('1');
  });
});
