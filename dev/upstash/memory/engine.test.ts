import { describe, expect, it } from 'vitest';
import type { Reply } from '../engine';
import { createMemoryEngine } from './engine';

/** An engine on a hand-driven clock, with a one-command helper that returns text for bulk replies. */
function setup() {
  let now = 1_700_000_000_000;
  const engine = createMemoryEngine({ now: () => now });
  const text = (r: Reply): unknown =>
    Buffer.isBuffer(r) ? r.toString('utf8') : Array.isArray(r) ? r.map(text) : r;
  const run = async (...args: (string | number)[]) =>
    text((await engine.pipeline([args.map(String)]))[0] as Reply);
  return { engine, run, advance: (ms: number) => (now += ms) };
}

const err = (pattern: RegExp) => expect.objectContaining({ message: expect.stringMatching(pattern) });

describe('in-memory engine: strings and expiry', () => {
  it('implements SET options like Redis 7', async () => {
    const { run } = setup();
    expect(await run('SET', 'k', 'a', 'NX', 'EX', 10)).toBe('OK');
    expect(await run('SET', 'k', 'b', 'NX')).toBeNull();
    expect(await run('SET', 'k', 'b', 'NX', 'GET')).toBe('a');
    expect(await run('SET', 'k', 'c', 'XX', 'GET', 'KEEPTTL')).toBe('a');
    expect(await run('TTL', 'k')).toBe(10);
    expect(await run('SET', 'nope', 'x', 'XX')).toBeNull();
    expect(await run('SET', 'k', 'x', 'NX', 'XX')).toEqual(err(/^ERR syntax error$/));
    expect(await run('SET', 'k', 'x', 'EX', 0)).toEqual(err(/invalid expire time in 'set'/));
    expect(await run('SET', 'k', 'x', 'EX', 'soon')).toEqual(err(/not an integer/));
    expect(await run('SET', 'k', 'x', 'EX', 1, 'PX', 5)).toEqual(err(/syntax error/));
    expect(await run('GET')).toEqual(err(/wrong number of arguments for 'get'/));
    expect(await run('HSET', 'h', 'f', 'v')).toEqual(err(/^ERR unknown command 'HSET'/));
  });

  it('expires keys on the clock, with Redis TTL rounding and codes', async () => {
    const { run, advance } = setup();
    await run('SET', 'k', 'v', 'PX', 1500);
    await run('SET', 'forever', 'v');
    expect(await run('PTTL', 'k')).toBe(1500);
    expect(await run('TTL', 'k')).toBe(2);
    expect(await run('TTL', 'forever')).toBe(-1);
    expect(await run('TTL', 'missing')).toBe(-2);
    advance(1500);
    expect(await run('GET', 'k')).toBeNull();
    expect(await run('EXISTS', 'k', 'forever', 'forever')).toBe(2);
    expect(await run('KEYS', '*')).toEqual(['forever']);
  });

  it('implements EXPIRE flags, PERSIST and INCR keeping the TTL', async () => {
    const { run } = setup();
    await run('SET', 'n', '5');
    expect(await run('EXPIRE', 'n', 100, 'XX')).toBe(0);
    expect(await run('EXPIRE', 'n', 100, 'NX')).toBe(1);
    expect(await run('EXPIRE', 'n', 50, 'GT')).toBe(0);
    expect(await run('EXPIRE', 'n', 50, 'LT')).toBe(1);
    expect(await run('INCRBY', 'n', 10)).toBe(15);
    expect(await run('TTL', 'n')).toBe(50);
    expect(await run('PERSIST', 'n')).toBe(1);
    expect(await run('TTL', 'n')).toBe(-1);
    expect(await run('EXPIRE', 'n', 0)).toBe(1);
    expect(await run('EXISTS', 'n')).toBe(0);
    await run('SET', 'word', 'abc');
    expect(await run('INCR', 'word')).toEqual(err(/^ERR value is not an integer or out of range$/));
  });

  it('matches Redis globs and scans without skipping keys that live throughout', async () => {
    const { run } = setup();
    for (const k of ['user:1', 'user:2', 'user:10', 'session:1', 'u[x]']) await run('SET', k, 'v');
    expect(await run('KEYS', 'user:?')).toEqual(['user:1', 'user:2']);
    expect(await run('KEYS', 'user:[^2]*')).toEqual(['user:1', 'user:10']);
    expect(await run('KEYS', 'u\\[x\\]')).toEqual(['u[x]']);
    const seen = new Set<string>();
    let cursor = '0';
    let round = 0;
    do {
      const [next, keys] = (await run('SCAN', cursor, 'MATCH', 'user:*', 'COUNT', 2)) as [string, string[]];
      for (const k of keys) seen.add(k);
      // Churn while scanning: delete a key that was already returned and add new ones.
      if (round++ === 0) {
        await run('DEL', 'session:1');
        await run('SET', `user:new${round}`, 'v');
      }
      cursor = next;
    } while (cursor !== '0');
    for (const k of ['user:1', 'user:2', 'user:10']) expect(seen).toContain(k);
  });

  it('aborts a transaction that fails while queuing, and runs a valid one in order', async () => {
    const { engine, run } = setup();
    const aborted = await engine.transaction([['SET', 'a', '1'], ['GET']]);
    expect(aborted).toEqual(err(/^EXECABORT .*wrong number of arguments/));
    expect(await run('EXISTS', 'a')).toBe(0);
    const replies = await engine.transaction([
      ['SET', 'a', '1'],
      ['INCR', 'a'],
    ]);
    expect(replies).toEqual(['OK', 2]);
  });
});

describe('in-memory engine: Lua scripting', () => {
  it('runs scripts with KEYS/ARGV, caches them for EVALSHA and answers NOSCRIPT after SCRIPT FLUSH', async () => {
    const { run } = setup();
    expect(await run('EVAL', 'return {KEYS[1], ARGV[1], #KEYS, #ARGV}', 1, 'k', 'a')).toEqual([
      'k',
      'a',
      1,
      1,
    ]);
    const sha = (await run('SCRIPT', 'LOAD', 'return redis.sha1hex(ARGV[1])')) as string;
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await run('EVALSHA', sha, 0, 'x')).toBe('11f6ad8ec52a2984abaafd7c3b516503785c2072');
    expect(await run('SCRIPT', 'FLUSH')).toBe('OK');
    expect(await run('EVALSHA', sha, 0)).toEqual(err(/^NOSCRIPT No matching script/));
    expect(await run('EVAL', 'return 1', 2, 'only-one')).toEqual(err(/greater than number of args/));
  });

  it("enforces Redis's script sandbox rules", async () => {
    const { run } = setup();
    await run('SET', 'word', 'abc');
    expect(await run('EVAL', "return redis.call('INCR', 'word')", 0)).toEqual(
      err(/^ERR value is not an integer or out of range script: [0-9a-f]{40}, on @user_script/),
    );
    expect(await run('EVAL', "return redis.error_reply('MYERR x')", 0)).toEqual(err(/^MYERR x$/));
    expect(await run('EVAL', "error('plain')", 0)).toEqual(err(/^ERR user_script:1: plain script: /));
    expect(await run('EVAL', 'return undefined_thing', 0)).toEqual(
      err(/nonexistent global variable 'undefined_thing'/),
    );
    expect(await run('EVAL', 'newglobal = 1', 0)).toEqual(err(/readonly table/));
    expect(await run('EVAL', "return redis.call('EVAL', 'return 1', 0)", 0)).toEqual(
      err(/not allowed from script/),
    );
    expect(await run('EVAL_RO', "return redis.call('SET', 'k', 'v')", 0)).toEqual(err(/read-only scripts/));
    expect(await run('EVAL_RO', "return redis.call('GET', 'k')", 0)).toBeNull();
    expect(await run('EVAL', "return redis.call('GET', {})", 0)).toEqual(err(/must be strings or integers/));
    expect(await run('EVAL', 'return {', 0)).toEqual(err(/^ERR Error compiling script/));
    expect(await run('EVAL', 'return unpack({1, 2})', 0)).toBe(1);
  });

  it('converts replies to Lua and back, including numbers beyond 32 bits', async () => {
    const { run } = setup();
    await run('SET', 'n', '5');
    const script = `
      local status = redis.call('SET', 'k', 'v')
      local missing = redis.call('GET', 'absent')
      local ms = tonumber(ARGV[1])
      redis.call('SET', 'big', ms + 1)
      return {status.ok, missing == false, redis.call('INCR', 'n'), ms > tonumber(ARGV[2]), redis.call('GET', 'big')}`;
    expect(await run('EVAL', script, 0, '1700000000123', '1700000000122')).toEqual([
      'OK',
      1,
      6,
      1,
      '1700000000124',
    ]);
    expect(await run('EVAL', 'return 1700000000123.9', 0)).toBe(1700000000123);
  });
});
