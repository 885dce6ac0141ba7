import { describe, expect, it } from 'vitest';
import { ReplyError } from './engine';
import { refusal, toArgs, toEntry, toJson } from './wire';

describe('toArgs', () => {
  it('turns strings, numbers and booleans into strings', () => {
    expect(toArgs(['set', 'k', 1.5, false])).toEqual(['set', 'k', '1.5', 'false']);
  });
  it('refuses empty commands and other argument types', () => {
    expect(toArgs([])).toMatch(/^ERR/);
    expect(toArgs('get')).toMatch(/^ERR/);
    expect(toArgs(['set', 'k', null])).toMatch(/^ERR/);
    expect(toArgs(['set', 'k', { a: 1 }])).toMatch(/^ERR/);
  });
});

describe('refusal', () => {
  it('refuses blocking and connection-state commands in any case', () => {
    for (const cmd of [
      ['subscribe', 'c'],
      ['SELECT', '1'],
      ['Multi'],
      ['blpop', 'k', '0'],
      ['xread', 'block', '0'],
    ]) {
      expect(refusal(cmd)).toMatch(/^ERR Command is not available/);
    }
  });
  it('lets ordinary commands through, including non-blocking XREAD', () => {
    for (const cmd of [
      ['get', 'k'],
      ['evalsha', 'x', '0'],
      ['xread', 'STREAMS', 's', '0'],
    ])
      expect(refusal(cmd)).toBeNull();
  });
});

describe('toJson / toEntry', () => {
  it('base64-encodes every string, recursively, and passes numbers and null through', () => {
    expect(toJson(['OK', Buffer.from('ü'), 3, null, [Buffer.from('x')]], true)).toEqual([
      'T0s=',
      'w7w=',
      3,
      null,
      ['eA=='],
    ]);
  });
  it('decodes to UTF-8 text in plain mode', () => {
    expect(toJson([Buffer.from('ü'), 'PONG'], false)).toEqual(['ü', 'PONG']);
  });
  it('keeps a top-level error as plain {error} and always includes result otherwise', () => {
    expect(toEntry(new ReplyError('NOSCRIPT No matching script'), true)).toEqual({
      error: 'NOSCRIPT No matching script',
    });
    expect(toEntry(null, true)).toEqual({ result: null });
  });
});
