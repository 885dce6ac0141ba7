import { describe, expect, it } from 'vitest';
import { createL1 } from './l1';

describe('L1', () => {
  it('keeps an entry for its TTL from the write; a hit does not extend it', () => {
    let now = 0;
    const l1 = createL1<string>({ maxEntries: 10, ttlMs: 2_000, now: () => now });
    l1.set('a', 'x');
    now = 1_999;
    expect(l1.get('a')).toBe('x');
    now = 2_000;
    expect(l1.get('a')).toBeUndefined();
    expect(l1.size).toBe(0);
  });

  it('is bounded: the least recently used entry goes first', () => {
    const l1 = createL1<number>({ maxEntries: 3, ttlMs: 60_000, now: () => 0 });
    l1.set('a', 1);
    l1.set('b', 2);
    l1.set('c', 3);
    l1.get('a'); // a is now the most recently used
    l1.set('d', 4);
    expect([l1.get('a'), l1.get('b'), l1.get('c'), l1.get('d')]).toEqual([1, undefined, 3, 4]);
    expect(l1.size).toBe(3);
  });

  it('does not hold expired entries until newer ones push them out: each write drops a few', () => {
    let now = 0;
    const l1 = createL1<number>({ maxEntries: 10_000, ttlMs: 1_000, now: () => now });
    for (let i = 0; i < 100; i++) l1.set(`old-${i}`, i);
    now = 1_000; // all 100 expired, none read since
    for (let i = 0; i < 25; i++) l1.set(`new-${i}`, i);
    expect(l1.size).toBe(25); // 4 expired ones dropped per write: 100 in 25 writes
    expect(l1.get('new-0')).toBe(0);
    expect(l1.get('old-99')).toBeUndefined();
  });

  it('ifAbsent writes only where no live entry is, like SET NX', () => {
    let now = 0;
    const l1 = createL1<string>({ maxEntries: 10, ttlMs: 1_000, now: () => now });
    l1.set('s', 'revoked');
    l1.set('s', 'live', { ifAbsent: true });
    expect(l1.get('s')).toBe('revoked');
    now = 1_000;
    l1.set('s', 'live', { ifAbsent: true });
    expect(l1.get('s')).toBe('live');
  });
});
