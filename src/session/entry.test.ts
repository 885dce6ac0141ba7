import { describe, expect, it } from 'vitest';
import { profile } from '../../test/support/memory-app';
import { decodeEntry, encodeEntry, liveHeader } from './entry';

describe('cache entries', () => {
  const { lastLogin: _, ...user } = profile('u"1\\é');
  const live = { live: { user, session: { id: 's1', expiresAt: 1_795_000_000_000, data: { a: [1] } } } };

  it('round-trip live and dead entries', () => {
    expect(decodeEntry(encodeEntry(live))).toEqual(live);
    expect(decodeEntry(encodeEntry({ dead: 'revoked' }))).toEqual({ dead: 'revoked' });
  });

  it('start a live entry with the owner header the lookup script checks, then the expiry digits', () => {
    const raw = encodeEntry(live);
    expect(raw.startsWith(liveHeader('u"1\\é'))).toBe(true);
    expect(raw.slice(liveHeader('u"1\\é').length)).toMatch(/^1795000000000,/);
    expect(raw.startsWith(liveHeader('u"1'))).toBe(false);
    expect(JSON.parse(raw).owner).toBe('u"1\\é');
  });

  it('read anything unrecognised as a miss', () => {
    for (const raw of [
      null,
      42,
      '',
      'nope',
      '{"v":2}',
      '{"v":1,"dead":"zombie"}',
      '{"v":1,"owner":"a","exp":1}',
    ]) {
      expect(decodeEntry(raw)).toBeNull();
    }
  });
});
