import { describe, expect, it } from 'vitest';
import { formatVars, parseVars, VarsFileError } from './vars-file';

describe('.dev.vars files', () => {
  it('reads bare, single- and double-quoted values, comments and export prefixes', () => {
    const text = [
      '# the local stack',
      'UPSTASH_REDIS_REST_URL=http://127.0.0.1:8079   # inline comment',
      'JWT_PUBLIC_JWKS=\'{"keys":[]}\'',
      'export PUBLIC_PATHS="/login,/static/*"',
      'PRICE="\\$5 a\\nline" # after',
      'EMPTY=',
      '',
    ].join('\n');
    expect(parseVars(text)).toEqual({
      UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079',
      JWT_PUBLIC_JWKS: '{"keys":[]}',
      PUBLIC_PATHS: '/login,/static/*',
      PRICE: '$5 a\nline',
      EMPTY: '',
    });
  });

  it('names the line of a malformed entry, never its value', () => {
    expect(() => parseVars('OK=1\nnot a setting secret-value', '.dev.vars')).toThrow(
      new VarsFileError('.dev.vars:2: expected NAME=value'),
    );
    expect(() => parseVars('A="unterminated secret', 'f')).toThrow('f:1: unterminated " quote');
    expect(() => parseVars('A="x" y', 'f')).toThrow('f:1: text after the quoted value');
  });

  it('writes values that read back exactly, and refuses what dotenv cannot carry', () => {
    const vars = {
      A: 'x$y',
      JWKS: '{"keys":[{"kty":"OKP","x":"a\\b"}]}',
      URL: 'postgres://u:p@h/db',
      NONE: undefined,
    };
    const text = formatVars(vars);
    expect(text).toBe('A="x\\$y"\nJWKS=\'{"keys":[{"kty":"OKP","x":"a\\b"}]}\'\nURL="postgres://u:p@h/db"\n');
    expect(parseVars(text)).toEqual({ A: vars.A, JWKS: vars.JWKS, URL: vars.URL });
    expect(() => formatVars({ SECRET: 'two\nlines' })).toThrow(
      'SECRET contains characters a .dev.vars file cannot carry',
    );
    expect(() => formatVars({ SECRET: `both ' and "` })).toThrow(VarsFileError);
  });
});
