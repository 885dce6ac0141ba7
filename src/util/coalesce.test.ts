import { describe, expect, it, vi } from 'vitest';
import { createCoalescer } from './coalesce';

const later = <T>(ms: number, value: T) => new Promise<T>((r) => setTimeout(() => r(value), ms));

describe('createCoalescer', () => {
  it('shares one in-flight result between concurrent callers of a key', async () => {
    const once = createCoalescer<string>({ waitMs: 1000 });
    const work = vi.fn(() => later(20, 'v'));
    expect(await Promise.all([once('k', work), once('k', work), once('k', work)])).toEqual(['v', 'v', 'v']);
    expect(work).toHaveBeenCalledTimes(1);
    await once('k', work); // settled flights are not reused
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('keeps keys apart', async () => {
    const once = createCoalescer<string>({ waitMs: 1000 });
    const work = vi.fn((v: string) => later(5, v));
    expect(await Promise.all([once('a', () => work('a')), once('b', () => work('b'))])).toEqual(['a', 'b']);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('a waiter gives up after the bounded wait and works alone when the leader hangs', async () => {
    const once = createCoalescer<string>({ waitMs: 30 });
    void once('k', () => new Promise<string>(() => {})); // a leader whose request went away
    const start = Date.now();
    expect(await once('k', () => later(1, 'alone'))).toBe('alone');
    expect(Date.now() - start).toBeGreaterThanOrEqual(25);
    // Once the stuck flight is older than the wait, callers no longer wait on it.
    const t = Date.now();
    expect(await once('k', () => later(1, 'fresh'))).toBe('fresh');
    expect(Date.now() - t).toBeLessThan(25);
  });

  it('a waiter works alone when the leader fails', async () => {
    const once = createCoalescer<string>({ waitMs: 1000 });
    const failing = once('k', () => later(10, 'x').then(() => Promise.reject(new Error('boom'))));
    const second = once('k', () => later(1, 'own'));
    await expect(failing).rejects.toThrow('boom');
    expect(await second).toBe('own');
  });
});
