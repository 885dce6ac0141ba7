// Wire-level behaviour of the local Upstash server that the client hides:
// encodings, argument typing, refused commands, EXECABORT, auth and the
// control routes. Same two backends as the client suite; the INCR cases are
// defined for real Redis only (the fallback answers INCR as unknown, asserted
// below), so nothing is ever reported as skipped.
import { describe, expect, it } from 'vitest';
import {
  memoryTargets,
  newPrefix,
  post,
  realRedisTargets,
  serveTarget,
  TOKEN,
  targets,
} from './upstash-targets';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const BASE64 = { 'upstash-encoding': 'base64' };

describe.each(targets())('$name', (target) => {
  const prefix = newPrefix('wire');
  const key = (name: string) => `${prefix}${name}`;
  const server = serveTarget(target, prefix);

  it('base64-encodes every string reply (status included) but not numbers, null or errors', async () => {
    expect(await post(server(), '/', ['set', key('a'), 'ü'], BASE64)).toEqual({
      status: 200,
      json: { result: b64('OK') },
    });
    expect(await post(server(), '/', ['get', key('a')], BASE64)).toEqual({
      status: 200,
      json: { result: b64('ü') },
    });
    expect(await post(server(), '/', ['mget', key('a'), key('none')], BASE64)).toEqual({
      status: 200,
      json: { result: [b64('ü'), null] },
    });
    expect(await post(server(), '/', ['eval', "return {1, {'x'}}", 0], BASE64)).toEqual({
      status: 200,
      json: { result: [1, [b64('x')]] },
    });
    expect(await post(server(), '/', ['exists', key('a'), key('none')], BASE64)).toEqual({
      status: 200,
      json: { result: 1 },
    });
    expect(await post(server(), '/', ['set', key('a'), 'v', 'EX', '0'], BASE64)).toEqual({
      status: 400,
      json: { error: "ERR invalid expire time in 'set' command" },
    });
  });

  it('answers plain JSON without the encoding header, always with a result key', async () => {
    expect(await post(server(), '/', ['set', key('p'), 'v'])).toEqual({
      status: 200,
      json: { result: 'OK' },
    });
    expect(await post(server(), '/', ['exists', key('p')])).toEqual({ status: 200, json: { result: 1 } });
    const res = await fetch(`${server().url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(['get', key('nothing')]),
    });
    expect(await res.text()).toBe('{"result":null}');
  });

  it('turns number and boolean arguments into Redis strings', async () => {
    await post(server(), '/pipeline', [
      ['set', key('n'), 12.5],
      ['set', key('b'), true],
    ]);
    expect(await post(server(), '/', ['mget', key('n'), key('b')])).toEqual({
      status: 200,
      json: { result: ['12.5', 'true'] },
    });
    expect((await post(server(), '/', ['set', key('o'), { a: 1 }])).status).toBe(400);
  });

  it('refuses connection-breaking commands, in place within a pipeline', async () => {
    const single = await post(server(), '/', ['subscribe', 'channel']);
    expect(single.status).toBe(400);
    expect(single.json).toEqual({ error: expect.stringMatching(/not available.*SUBSCRIBE/) });
    const piped = await post(server(), '/pipeline', [
      ['set', key('s'), '1'],
      ['select', '2'],
      ['get', key('s')],
    ]);
    expect(piped).toEqual({
      status: 200,
      json: [{ result: 'OK' }, { error: expect.stringMatching(/SELECT/) }, { result: '1' }],
    });
    for (const command of [
      ['multi'],
      ['exec'],
      ['blpop', key('l'), '0'],
      ['xread', 'BLOCK', '0', 'STREAMS', 's', '$'],
    ]) {
      expect((await post(server(), '/', command)).status).toBe(400);
    }
  });

  it('answers EXECABORT with HTTP 400 and runs nothing of the transaction', async () => {
    const res = await post(server(), '/multi-exec', [
      ['set', key('t'), '1'],
      ['nosuchcommand', 'x'],
    ]);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: expect.stringMatching(/^EXECABORT/) });
    expect(await post(server(), '/', ['exists', key('t')])).toEqual({ status: 200, json: { result: 0 } });
    const watched = await post(server(), '/multi-exec', [
      ['watch', key('t')],
      ['set', key('t'), '1'],
    ]);
    expect(watched.status).toBe(400);
    const ok = await post(server(), '/multi-exec', [
      ['set', key('t'), '1'],
      ['get', key('t')],
    ]);
    expect(ok).toEqual({ status: 200, json: [{ result: 'OK' }, { result: '1' }] });
  });

  it('rejects malformed bodies and missing auth with an error body', async () => {
    expect((await post(server(), '/', { not: 'an array' })).status).toBe(400);
    expect((await post(server(), '/pipeline', [])).status).toBe(400);
    const garbage = await fetch(`${server().url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: 'not json',
    });
    expect(garbage.status).toBe(400);
    const anonymous = await fetch(`${server().url}/`, { method: 'POST', body: '["ping"]' });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: 'Unauthorized' });
    expect((await fetch(`${server().url}/nowhere`, { method: 'POST' })).status).toBe(404);
  });

  it('serves stats, reset and latency over HTTP without auth', async () => {
    await fetch(`${server().url}/__stats/reset`, { method: 'POST' });
    await post(server(), '/', ['get', key('x')]);
    await post(server(), '/pipeline', [
      ['get', key('x')],
      ['evalsha', '0'.repeat(40), 0],
    ]);
    await post(server(), '/multi-exec', [['get', key('x')]]);
    const stats = await (await fetch(`${server().url}/__stats`)).json();
    expect(stats).toEqual({ requests: 3, pipelines: 1, transactions: 1, commands: { EVALSHA: 1, GET: 3 } });
    const set = await fetch(`${server().url}/__latency`, {
      method: 'POST',
      body: JSON.stringify({ ms: 120 }),
    });
    expect(set.status).toBe(200);
    try {
      const started = performance.now();
      await post(server(), '/', ['ping']);
      expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    } finally {
      await fetch(`${server().url}/__latency`, { method: 'POST', body: JSON.stringify({ ms: 0 }) });
    }
    const bad = await fetch(`${server().url}/__latency`, {
      method: 'POST',
      body: JSON.stringify({ ms: -1 }),
    });
    expect(bad.status).toBe(400);
  });
});

// INCR: an error reply of a command that exists, and a numeric reply inside a transaction.
describe.each(realRedisTargets())('$name: commands beyond the fallback', (target) => {
  const prefix = newPrefix('wire-redis');
  const key = (name: string) => `${prefix}${name}`;
  const server = serveTarget(target, prefix);

  it('answers an error reply as JSON with HTTP 400, never base64-encoded (INCR)', async () => {
    await post(server(), '/', ['set', key('a'), 'ü'], BASE64);
    expect(await post(server(), '/', ['incr', key('a')], BASE64)).toEqual({
      status: 400,
      json: { error: 'ERR value is not an integer or out of range' },
    });
  });

  it('runs a whole transaction and answers its numeric replies (INCR)', async () => {
    const ok = await post(server(), '/multi-exec', [
      ['set', key('t'), '1'],
      ['incr', key('t')],
    ]);
    expect(ok).toEqual({ status: 200, json: [{ result: 'OK' }, { result: 2 }] });
  });
});

describe.each(memoryTargets())('$name: commands outside the fallback', (target) => {
  const prefix = newPrefix('wire-memory');
  const key = (name: string) => `${prefix}${name}`;
  const server = serveTarget(target, prefix);

  it('answers commands outside its set as unknown, whole transactions too', async () => {
    expect(await post(server(), '/', ['get', key('u')], BASE64)).toEqual({
      status: 200,
      json: { result: null },
    });
    expect(await post(server(), '/', ['incr', key('u')], BASE64)).toEqual({
      status: 400,
      json: { error: `ERR unknown command 'incr', with args beginning with: '${key('u')}' ` },
    });
    const res = await post(server(), '/multi-exec', [
      ['set', key('u'), '1'],
      ['hset', key('h'), 'f', 'v'],
    ]);
    expect(res).toEqual({ status: 400, json: { error: expect.stringMatching(/^EXECABORT .*'hset'/) } });
    expect(await post(server(), '/', ['exists', key('u')])).toEqual({
      status: 200,
      json: { result: 0 },
    });
  });
});
