import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogBook, leaks } from './support/logs';
import { type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * Logout only by the user's own page (issue #13 item 4), and what the logs say
 * of it (item 10), through the bundled Worker in workerd on real services.
 */
describe('POST /auth/logout refuses other sites', () => {
  let stack: Stack;
  const book = createLogBook();
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const cookieLogout = (token: string, headers: Record<string, string>) => ({
    method: 'POST',
    headers: { Cookie: `theme=dark; session=${token}`, 'Content-Type': 'text/plain', ...headers },
  });

  it('a cookie-authenticated logout from another site is 403 and revokes nothing', async () => {
    const worker = await book.worker(stack, { TRUSTED_ORIGINS: 'https://app.example' });
    await stack.user('u-csrf');
    const token = await stack.session('s-csrf', 'u-csrf');
    const crossSite: Record<string, string>[] = [
      { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      { 'Sec-Fetch-Site': 'cross-site' },
      { Origin: 'https://evil.example' },
      { Origin: 'null' }, // a cross-site form under Referrer-Policy: no-referrer
      { Origin: 'http://edge.test.evil.example', 'Sec-Fetch-Site': 'cross-site' },
    ];
    for (const headers of crossSite) {
      const res = await worker.fetch('/auth/logout', cookieLogout(token, headers));
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.json()).toEqual({
        error: 'cross_site_request',
        message: 'a cookie-authenticated logout must come from a page of this site',
      });
      expect(res.headers.get('Cache-Control')).toBe('no-store');
    }
    const { rows } = await stack.pool.query('SELECT revoked_at FROM sessions WHERE id = $1', ['s-csrf']);
    expect(rows[0].revoked_at).toBeNull();
    expect((await worker.fetch('/auth/session', { headers: { Cookie: `session=${token}` } })).status).toBe(
      200,
    );
  });

  it('accepts the own site, a trusted origin, a non-browser client and any Bearer logout', async () => {
    const worker = await book.worker(stack, { TRUSTED_ORIGINS: 'https://app.example' });
    const accepted: [string, RequestInit][] = [
      ['same-origin', cookieLogout('', { Origin: 'http://edge.test', 'Sec-Fetch-Site': 'same-origin' })],
      ['same-site', cookieLogout('', { 'Sec-Fetch-Site': 'same-site' })],
      ['typed URL', cookieLogout('', { 'Sec-Fetch-Site': 'none' })],
      ['own origin, no Sec-Fetch-Site', cookieLogout('', { Origin: 'http://edge.test' })],
      ['trusted origin', cookieLogout('', { Origin: 'https://app.example', 'Sec-Fetch-Site': 'cross-site' })],
      ['no browser headers', cookieLogout('', {})],
      [
        'Bearer from another site',
        { method: 'POST', headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' } },
      ],
    ];
    for (const [name, init] of accepted) {
      const id = name.replace(/\W+/g, '-');
      await stack.user(`u-ok-${id}`);
      const token = await stack.session(`s-ok-${id}`, `u-ok-${id}`);
      const headers = new Headers(init.headers);
      if (headers.has('Cookie')) headers.set('Cookie', `theme=dark; session=${token}`);
      else headers.set('Authorization', `Bearer ${token}`);
      const res = await worker.fetch('/auth/logout', { ...init, headers });
      expect(res.status, name).toBe(204);
      expect(await res.text(), name).toBe('');
    }
  });

  it('logs a logout as its own outcome; every line is one JSON object with no token or secret', async () => {
    const worker = await book.worker(stack, {
      REDIS_TIMEOUT_MS: '200',
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9',
    });
    await stack.user('u-logline');
    const token = await stack.session('s-logline', 'u-logline');
    // Redis is down in this isolate: warnings are printed too.
    expect(
      (await worker.fetch('/auth/session', { headers: { Authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    expect(
      (await worker.fetch('/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(204);
    expect(
      (await worker.fetch('/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(401);
    await book.settle();
    const outcomes = worker.logs.requests().map((l) => [l.status, l.outcome]);
    expect(outcomes).toEqual([
      [200, 'authenticated'],
      [204, 'logout'],
      [401, 'unauthenticated'],
    ]);
    const lines = book.lines();
    expect(worker.logs.stderr().length).toBeGreaterThan(0);
    for (const { line } of lines) {
      const parsed = JSON.parse(line) as { msg?: unknown; level?: unknown };
      expect(typeof parsed.msg, line).toBe('string');
      if (parsed.msg !== 'request') expect(parsed.level, line).toBe('warn');
      expect(line, line).not.toMatch(/https?:\/\//);
    }
    expect(leaks(lines, { token, 'JWT secret': TEST_SECRET })).toEqual([]);
  });
});
