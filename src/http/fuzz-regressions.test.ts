import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildJwt, FAR_FUTURE, type FuzzRequest, memoryHarness } from '../../test/support/fuzz';

/**
 * Every case the fuzzers (src/http/fuzz.test.ts, test/fuzz.test.ts) found and
 * shrank, kept with its exact input and replayed on the in-memory adapters.
 * Each must keep every invariant; the comment says what the failure was.
 */
describe('fuzz regressions', () => {
  let harness: Awaited<ReturnType<typeof memoryHarness>>;
  beforeEach(async () => {
    harness = await memoryHarness();
    vi.stubGlobal('fetch', harness.originFetch);
    vi.spyOn(console, 'error').mockImplementation(() => {});
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  async function replay(request: FuzzRequest) {
    const outcome = await harness.run(request);
    if (!outcome) throw new Error('the HTTP client refused the case');
    expect(outcome.problems).toEqual([]);
    return outcome.exchange;
  }

  // The over-long identity's 500 has no body on HEAD: it is judged from the request (a live
  // session of a user whose username is 400 × "é"), not from a body that HEAD never carries.
  it('HEAD /public/.. with the session cookie of an over-long username: 500, no body, nothing forwarded', async () => {
    const ex = await replay({
      method: 'HEAD',
      path: '/public/..',
      headers: [
        [
          'Cookie',
          'session=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb25nIiwic2lkIjoicy1sb25nLTQiLCJpYXQiOjEwMDAwMDAwMDAsImV4cCI6NDEwMjQ0NDgwMH0.9jj-bzg8ndY5gur22uppLzWnJ3sXfVm2OxTwuDmXTNk',
        ],
      ],
      body: null,
      outage: 'none',
    });
    expect(ex.response).toMatchObject({ status: 500, body: '' });
    expect(ex.origin).toEqual([]);
  });

  it('HEAD // with the session cookie of an over-long email: 500, no body, nothing forwarded', async () => {
    const ex = await replay({
      method: 'HEAD',
      path: '//',
      headers: [
        [
          'Cookie',
          'session=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJsb25nbWFpbCIsInNpZCI6InMtbG9uZ21haWwtMCIsImlhdCI6MTAwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.fAoUgB19Urs_9EqkH6lcQFBCpS1bK92tclB7mXOHLiw',
        ],
      ],
      body: null,
      outage: 'none',
    });
    expect(ex.response).toMatchObject({ status: 500, body: '' });
    expect(ex.origin).toEqual([]);
  });

  // In workerd the runtime supplies CF-Connecting-IP (127.0.0.1) when the client sends none, and
  // edge-auth forwards it as X-Forwarded-For; in memory there is none, so none is forwarded.
  it('GET /public/a… without CF-Connecting-IP: public, no X-Forwarded-For of the client', async () => {
    const ex = await replay({
      method: 'GET',
      path: `/public/${'a'.repeat(100)}`,
      headers: [],
      body: null,
      outage: 'none',
    });
    expect(ex.origin).toHaveLength(1);
    expect(ex.origin[0]?.headers.map(([name]) => name)).not.toContain('x-forwarded-for');
  });

  // An empty CF-Connecting-IP is no address: edge-auth sends no X-Forwarded-For (workerd supplies its own).
  it('GET /public with an empty CF-Connecting-IP: no X-Forwarded-For', async () => {
    const ex = await replay({
      method: 'GET',
      path: '/public',
      headers: [['CF-Connecting-IP', '']],
      body: null,
      outage: 'none',
    });
    expect(ex.origin[0]?.headers.map(([name]) => name)).not.toContain('x-forwarded-for');
  });

  // workerd reads the byte 0x80 as UTF-8 and forwards U+FFFD; edge-auth itself copies the value as it gets it.
  it('get /public/a… with CF-Connecting-IP 0x80: X-Forwarded-For is the value edge-auth received', async () => {
    const ex = await replay({
      method: 'get',
      path: `/public/${'a'.repeat(100)}`,
      headers: [['CF-Connecting-IP', '\u0080']],
      body: null,
      outage: 'none',
    });
    expect(ex.origin[0]?.headers).toContainEqual(['x-forwarded-for', '\u0080']);
  });

  // `/auth/session/..` is the URL `/auth/`: edge-auth's namespace, so proxied (authenticated) and, like
  // every answer there, `no-store` rather than the `private` of other authenticated answers.
  it('GET /auth/session/.. with a Bearer token: forwarded with identity, answered no-store', async () => {
    const ex = await replay({
      method: 'GET',
      path: '/auth/session/..',
      headers: [
        [
          'Authorization',
          'Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInNpZCI6InMtYWxpY2UtMCIsImlhdCI6MTAwMDAwMDAwMCwiZXhwIjo0MTAyNDQ0ODAwfQ.uwr2QgqHdSgwO8xmV_1Ek50RgCg0JKNNFQUu0MI-FpU',
        ],
      ],
      body: null,
      outage: 'none',
      answer: [['Cache-Control', 'public, max-age=600']],
    });
    expect(ex.origin.map((r) => r.path)).toEqual(['/auth/']);
    expect(new Headers(ex.response.headers).get('cache-control')).toBe('no-store');
  });

  // Over workerd's 128 KiB header limit it answers 431 and closes while a body is still being
  // written: the client sees ECONNRESET and the Worker never ran. In memory the case is public.
  it('PATCH /public?a=1 with a 196 KB session cookie (a 64 KiB token, percent-encoded) and a body', async () => {
    const token = buildJwt('workerd-suite-secret-workerd-suite-secret', {
      header: [
        ['alg', '"HS256"'],
        ['typ', '"JWT"'],
        ['x', '"hh"'],
      ],
      claims: [
        ['sub', '"alice"'],
        ['sid', '"s-alice-0"'],
        ['exp', String(FAR_FUTURE)],
        ['pad', JSON.stringify('p'.repeat(49_023))],
      ],
      headerEncoding: 'b64url',
      payloadEncoding: 'b64url',
      payloadCharset: 'utf8',
      signature: 'HS256',
      signatureEncoding: 'b64url',
    });
    const cookie = `session=${[...token].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')}`;
    expect(cookie).toHaveLength(196_616);
    const ex = await replay({
      method: 'PATCH',
      path: '/public?a=1',
      headers: [['Cookie', cookie]],
      body: ' ',
      outage: 'none',
    });
    expect(ex.origin).toHaveLength(1);
  });
});
