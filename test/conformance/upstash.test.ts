// The real @upstash/redis client against the local Upstash server, on the real
// Redis and on the in-memory engine, with auto-pipelining on (the 1.39 default)
// and off. Cases needing commands the engine does not run are defined only where
// it runs them (see upstash-targets.ts), so nothing is ever reported as skipped.
import { errors, type Redis } from '@upstash/redis';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEMORY_COMMANDS } from '../../dev/upstash/memory-engine';
import { client, memoryTargets, newPrefix, realRedisTargets, serveTarget, targets } from './upstash-targets';

const modes = [
  { mode: 'auto-pipelining on', autoPipelining: true },
  { mode: 'auto-pipelining off', autoPipelining: false },
];

describe.each(targets())('$name', (target) => {
  const prefix = newPrefix('client');
  const server = serveTarget(target, prefix);

  describe.each(modes)('$mode', ({ mode, autoPipelining }) => {
    let redis: Redis;
    const key = (name: string) => `${prefix}${mode.replace(/\W/g, '')}:${name}`;
    beforeAll(() => {
      redis = client(server(), { autoPipelining });
    });

    it('SET NX EX answers "OK" once, then null, and sets a TTL', async () => {
      expect(await redis.set(key('nx'), 'v', { nx: true, ex: 30 })).toBe('OK');
      expect(await redis.set(key('nx'), 'w', { nx: true, ex: 30 })).toBeNull();
      expect(await redis.get(key('nx'))).toBe('v');
      const ttl = await redis.ttl(key('nx'));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(30);
    });

    it('GET of a missing key is null', async () => {
      expect(await redis.get(key('missing'))).toBeNull();
    });

    it('round-trips JSON values and non-ASCII text', async () => {
      const value = { user: 'ü-42', roles: ['a', 'b'], n: 3, nested: { ok: true } };
      await redis.set(key('json'), value);
      expect(await redis.get(key('json'))).toEqual(value);
      await redis.set(key('text'), 'héllo ✓ 🚀');
      expect(await redis.get(key('text'))).toBe('héllo ✓ 🚀');
    });

    it('runs an explicit pipeline of the commands edge-auth sends in one round trip, in order', async () => {
      server().resetStats();
      const p = redis.pipeline();
      p.set(key('sp'), 5);
      p.get(key('sp'));
      p.exists(key('sp'), key('sp-none'));
      p.del(key('sp'));
      p.get(key('sp'));
      expect(await p.exec()).toEqual(['OK', 5, 1, 1, null]);
      expect(server().stats()).toMatchObject({
        requests: 1,
        pipelines: 1,
        commands: { SET: 1, GET: 2, EXISTS: 1, DEL: 1 },
      });
    });

    it('runs multi/exec of the commands edge-auth sends as one transaction', async () => {
      server().resetStats();
      const m = redis.multi();
      m.set(key('sm'), 'a', { nx: true, ex: 30 });
      m.set(key('sm'), 'b', { nx: true, ex: 30 });
      m.get(key('sm'));
      expect(await m.exec()).toEqual(['OK', null, 'a']);
      expect(server().stats()).toMatchObject({ requests: 1, transactions: 1, commands: { SET: 2, GET: 1 } });
    });

    it("answers a bad SET option with Redis's error, in place within a pipeline", async () => {
      await expect(redis.set(key('bad'), 'v', { ex: 0 })).rejects.toThrow(
        /ERR invalid expire time in 'set' command/,
      );
      const p = redis.pipeline();
      p.set(key('fine'), 'x');
      p.set(key('bad'), 'v', { px: -5 });
      p.get(key('fine'));
      const [set, bad, get] = await p.exec({ keepErrors: true });
      expect([set?.result, bad?.error, get?.result]).toEqual([
        'OK',
        expect.stringMatching(/^ERR invalid expire/),
        'x',
      ]);
      expect(await redis.exists(key('bad'))).toBe(0);
    });

    it('rejects a wrong token', async () => {
      const wrong = client(server(), { autoPipelining, token: 'not-the-token' });
      const err = await wrong.get(key('x')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(errors.UpstashError);
      expect((err as Error).message).toMatch(/Unauthorized/);
    });

    it('createScript().exec falls back from EVALSHA to EVAL once, then uses EVALSHA only', async () => {
      const script = redis.createScript<number>(`return ${Date.now()} % 1000 + ${autoPipelining ? 1 : 2}`);
      server().resetStats();
      const first = await script.exec([], []);
      expect(server().stats().commands).toEqual({ EVALSHA: 1, EVAL: 1 });
      expect(await script.exec([], [])).toBe(first);
      expect(server().stats().commands).toEqual({ EVALSHA: 2, EVAL: 1 });
    });

    it("applies Redis's Lua-to-reply conversion rules to booleans, numbers and nil", async () => {
      expect(await redis.eval('return false', [], [])).toBeNull();
      expect(await redis.eval('return true', [], [])).toBe(1);
      expect(await redis.eval('return 3.99', [], [])).toBe(3);
      expect(await redis.eval("return redis.call('SET', KEYS[1], 'v')", [key('lua')], [])).toBe('OK');
      expect(await redis.eval("return redis.call('GET', KEYS[1])", [key('lua-missing')], [])).toBeNull();
      expect(
        await redis.eval("return {redis.call('GET', KEYS[1]) == false}", [key('lua-missing')], []),
      ).toEqual([1]);
    });

    it("runs edge-auth's cache commands: MGET, SET NX EX marker, compare-and-delete script", async () => {
      const [session, marker] = [key('session'), key('marker')];
      expect(await redis.mget(session, marker)).toEqual([null, null]);
      await redis.set(session, 'v1|entry', { nx: true, ex: 10 });
      expect(await redis.set(marker, 'token-a', { nx: true, ex: 300 })).toBe('OK');
      expect(await redis.set(marker, 'token-b', { nx: true, ex: 300 })).toBeNull();
      expect(await redis.mget(session, marker)).toEqual(['v1|entry', 'token-a']);
      expect(await redis.pttl(marker)).toBeGreaterThan(290_000);
      // Releases the marker only while it still holds the caller's token.
      const release = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
      expect(await redis.eval(release, [marker], ['token-b'])).toBe(0);
      expect(await redis.eval(release, [marker], ['token-a'])).toBe(1);
      expect(await redis.exists(session, marker)).toBe(1);
    });

    it('counts one request per round trip', async () => {
      server().resetStats();
      for (let i = 0; i < 5; i++) await redis.get(key(`seq${i}`));
      expect(server().stats()).toMatchObject({ requests: 5, commands: { GET: 5 } });
      server().resetStats();
      await Promise.all([1, 2, 3, 4].map((i) => redis.get(key(`par${i}`))));
      // Auto-pipelining batches commands issued in the same tick into one /pipeline request.
      expect(server().stats()).toMatchObject({ requests: autoPipelining ? 1 : 4, commands: { GET: 4 } });
    });

    it('delays every request by the injected latency', async () => {
      await redis.get(key('warm'));
      server().setLatency(150);
      try {
        const started = performance.now();
        await redis.get(key('slow'));
        expect(performance.now() - started).toBeGreaterThanOrEqual(145);
      } finally {
        server().setLatency(0);
      }
      const started = performance.now();
      await redis.get(key('fast'));
      expect(performance.now() - started).toBeLessThan(100);
    });
  });
});

// Cases that need commands the in-memory fallback intentionally does not run (INCR, INCRBY, SCRIPT, and
// Lua semantics beyond what edge-auth's script uses): defined for real Redis only, never skipped.
describe.each(realRedisTargets())('$name: commands beyond the fallback', (target) => {
  const prefix = newPrefix('client-redis');
  const server = serveTarget(target, prefix);

  describe.each(modes)('$mode', ({ mode, autoPipelining }) => {
    let redis: Redis;
    const key = (name: string) => `${prefix}${mode.replace(/\W/g, '')}:${name}`;
    beforeAll(() => {
      redis = client(server(), { autoPipelining });
    });

    it('runs an explicit pipeline in one round trip, in order', async () => {
      server().resetStats();
      const p = redis.pipeline();
      p.set(key('p'), 5);
      p.incr(key('p'));
      p.get(key('p'));
      p.del(key('p'));
      expect(await p.exec()).toEqual(['OK', 6, 6, 1]);
      expect(server().stats()).toMatchObject({
        requests: 1,
        pipelines: 1,
        commands: { SET: 1, INCR: 1, GET: 1, DEL: 1 },
      });
    });

    it('reports a failing command inside a pipeline without losing the others', async () => {
      await redis.set(key('word'), 'abc');
      const p = redis.pipeline();
      p.set(key('pe'), 'x');
      p.incr(key('word'));
      await expect(p.exec()).rejects.toThrow(/Command 2 \[ incr \] failed: ERR value is not an integer/);
      const q = redis.pipeline();
      q.get(key('pe'));
      q.incr(key('word'));
      const [ok, failed] = await q.exec({ keepErrors: true });
      expect(ok).toEqual({ result: 'x', error: undefined });
      expect(failed?.error).toMatch(/^ERR value is not an integer/);
    });

    it('runs multi/exec as one transaction; an exec-time error does not undo the rest', async () => {
      server().resetStats();
      const m = redis.multi();
      m.set(key('m'), 1);
      m.incrby(key('m'), 4);
      expect(await m.exec()).toEqual(['OK', 5]);
      expect(server().stats()).toMatchObject({ requests: 1, transactions: 1 });
      await redis.set(key('mw'), 'abc');
      const bad = redis.multi();
      bad.set(key('m'), 10);
      bad.incr(key('mw'));
      await expect(bad.exec()).rejects.toThrow(/Command 2 \[ incr \] failed/);
      expect(await redis.get(key('m'))).toBe(10);
    });

    it('turns a Redis error reply into UpstashError with the message intact', async () => {
      await redis.set(key('str'), 'abc');
      const err = await redis.incr(key('str')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(errors.UpstashError);
      expect((err as Error).message).toMatch(/ERR value is not an integer or out of range/);
    });

    it('evaluates scripts with EVAL and EVALSHA, and reports NOSCRIPT', async () => {
      const script = `return {1, ARGV[1], KEYS[1], '${mode}'}`;
      expect(await redis.eval(script, [key('k')], ['arg'])).toEqual([1, 'arg', key('k'), mode]);
      const sha = await redis.scriptLoad(script);
      expect(await redis.evalsha(sha, [key('k')], ['again'])).toEqual([1, 'again', key('k'), mode]);
      expect(await redis.scriptExists(sha, '0'.repeat(40))).toEqual([1, 0]);
      await expect(redis.evalsha('0'.repeat(40), [], [])).rejects.toThrow(/NOSCRIPT/);
    });

    // The fallback's Lua (ioredis-mock's) converts neither tables with holes nor status and error
    // tables, and its INCR is not Redis's; edge-auth's script needs none of them.
    it("applies Redis's Lua conversion rules to tables and errors", async () => {
      await redis.set(key('lua'), 'v');
      expect(await redis.eval('return {1, 2, nil, 4}', [], [])).toEqual([1, 2]);
      expect(await redis.eval("return {ok='FINE'}", [], [])).toBe('FINE');
      await expect(redis.eval("return redis.error_reply('MYERR custom')", [], [])).rejects.toThrow(
        /MYERR custom/,
      );
      await expect(redis.eval("return redis.call('INCR', KEYS[1])", [key('lua')], [])).rejects.toThrow(
        /ERR value is not an integer/,
      );
      const caught = "local r = redis.pcall('INCR', KEYS[1]); return type(r) == 'table' and r.err ~= nil";
      expect(await redis.eval(caught, [key('lua')], [])).toBe(1);
    });
  });
});

// What the fallback does instead: it answers the commands above as unknown, as its header promises,
// rather than guessing at Redis's behaviour. Should it ever run one of them, this fails, and the cases
// that need it belong in the shared suite.
describe.each(memoryTargets())('$name: commands outside the fallback', (target) => {
  const prefix = newPrefix('client-memory');
  const server = serveTarget(target, prefix);

  it('answers INCR, INCRBY and SCRIPT as unknown commands', async () => {
    expect(MEMORY_COMMANDS.filter((c) => ['INCR', 'INCRBY', 'SCRIPT'].includes(c))).toEqual([]);
    const redis = client(server(), { autoPipelining: false });
    await expect(redis.incr(`${prefix}n`)).rejects.toThrow(/ERR unknown command 'incr'/);
    await expect(redis.incrby(`${prefix}n`, 4)).rejects.toThrow(/ERR unknown command 'incrby'/);
    await expect(redis.scriptLoad('return 1')).rejects.toThrow(/ERR unknown command 'script'/);
    expect(await redis.exists(`${prefix}n`)).toBe(0);
  });
});
