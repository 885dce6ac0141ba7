import { describe, expect, it } from 'vitest';
import { AuthError, DependencyError, describeCause } from '../errors';
import { errorResponse } from './errors';

describe('errorResponse', () => {
  it('hides unknown errors behind a generic 500 and logs one scrubbed line', async () => {
    const lines: string[] = [];
    const res = errorResponse(new Error('boom at postgres://app:hunter2@db/x'), (l) => lines.push(l));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal_error', message: 'internal error' });
    expect(lines).toEqual(['edge-auth: unexpected error: Error: boom at <url>']);
  });

  it('maps auth and dependency errors to 401 and 503', async () => {
    const auth = errorResponse(new AuthError('invalid_token', 'token "expired"'));
    expect(auth.headers.get('WWW-Authenticate')).toBe(
      'Bearer realm="edge-auth", error="invalid_token", error_description="token expired"',
    );
    const dep = errorResponse(new DependencyError('redis'), () => {});
    expect(dep.status).toBe(503);
    expect(dep.headers.get('Retry-After')).toBe('1');
  });
});

describe('describeCause', () => {
  it('drops the arguments Upstash echoes and any URL', () => {
    expect(
      describeCause(
        new Error('ERR wrong type, command was: ["set","edge-auth:session:s1","{\\"user\\":1}"]'),
      ),
    ).toBe('Error: ERR wrong type');
    expect(describeCause(new TypeError('Invalid URL: postgresql://u:secret@h/db?x=1 was bad'))).toBe(
      'TypeError: Invalid URL: <url> was bad',
    );
  });
});
