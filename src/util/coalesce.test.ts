import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoalescer } from './coalesce';

/** A promise the test settles by hand: no clock involved. */
function deferred<T>() {
  let resolve: (v: T) => void = () => {};
  let reject: (e: unknown) => void = () => {};
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createCoalescer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shares one in-flight result between concurrent callers of a key', async () => {
    const once = createCoalescer<string>({ waitMs: 1000 });
    const leader = deferred<string>();
    const work = vi.fn(() => leader.promise);
    const all = Promise.all([once('k', work), once('k', work), once('k', work)]);
    leader.resolve('v');
    expect(await all).toEqual(['v', 'v', 'v']);
    expect(work).toHaveBeenCalledTimes(1);
    await once('k', async () => 'again'); // settled flights are not reused
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('keeps keys apart', async () => {
    const once = createCoalescer<string>({ waitMs: 1000 });
    const work = vi.fn(async (v: string) => v);
    expect(await Promise.all([once('a', () => work('a')), once('b', () => work('b'))])).toEqual(['a', 'b']);
    expect(work).toHaveBeenCalledTimes(2);
  });

  it('a waiter gives up after the bounded wait and works alone when the leader hangs', async () => {
    const once = createCoalescer<string>({ waitMs: 30 });
    void once('k', () => new Promise<string>(() => {})); // a leader whose request went away
    let settled = false;
    const waiter = once('k', async () => 'alone').then((v) => {
      settled = true;
      return v;
    });
    await vi.advanceTimersByTimeAsync(29);
    expect(settled).toBe(false); // still waiting for the leader
    await vi.advanceTimersByTimeAsync(1);
    expect(await waiter).toBe('alone');
    // Once the stuck flight is older than the wait, callers no longer wait on it.
    expect(await once('k', async () => 'fresh')).toBe('fresh');
  });

  it('a waiter works alone when the leader fails', async () => {
    const once = createCoalescer<string>({ waitMs: 1000 });
    const leader = deferred<string>();
    const failing = once('k', () => leader.promise);
    const second = once('k', async () => 'own');
    leader.reject(new Error('boom'));
    await expect(failing).rejects.toThrow('boom');
    expect(await second).toBe('own');
  });
});
