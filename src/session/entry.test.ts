import { describe, expect, it } from 'vitest';
import { profile } from '../../test/support/memory-app';
import { decodeEntry, encodeEntry } from './entry';

describe('cache entries', () => {
  const { lastLogin: _, ...user } = profile('u"1\\é');
  const live = { live: { user, session: { id: 's1', expiresAt: 1_795_000_000_000, data: { a: [1] } } } };

  it('round-trip live and dead entries', () => {
    expect(decodeEntry(encodeEntry(live))).toEqual(live);
    expect(decodeEntry(encodeEntry({ dead: 'revoked' }))).toEqual({ dead: 'revoked' });
  });

  it('record the owner, so ownership is checked on every read', () => {
    expect(JSON.parse(encodeEntry(live))).toMatchObject({ v: 1, owner: 'u"1\\é', exp: 1_795_000_000_000 });
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
