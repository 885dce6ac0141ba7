import { describe, expect, it } from 'vitest';
import { ReplyError } from './engine';
import { encodeCommand, RespParser } from './resp';

describe('encodeCommand', () => {
  it('writes an array of bulk strings with byte lengths', () => {
    expect(encodeCommand(['SET', 'k', 'ü']).toString('utf8')).toBe(
      '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nü\r\n',
    );
  });
});

describe('RespParser', () => {
  const wire =
    '+OK\r\n-ERR bad\r\n:42\r\n$-1\r\n$5\r\nhe\r\no\r\n*2\r\n*1\r\n:1\r\n-NOSCRIPT no\r\n*-1\r\n$0\r\n\r\n';

  it('keeps raw reply shapes: status strings, bulk buffers, nil, nested errors', () => {
    const replies = new RespParser().push(Buffer.from(wire));
    expect(replies).toEqual([
      'OK',
      new ReplyError('ERR bad'),
      42,
      null,
      Buffer.from('he\r\no'),
      [[1], new ReplyError('NOSCRIPT no')],
      null,
      Buffer.alloc(0),
    ]);
    expect((replies[5] as unknown[])[1]).toBeInstanceOf(ReplyError);
  });

  it('gives the same replies however the bytes are split', () => {
    const whole = new RespParser().push(Buffer.from(wire));
    const bytes = Buffer.from(wire);
    for (const size of [1, 2, 3, 7]) {
      const parser = new RespParser();
      const got = [];
      for (let i = 0; i < bytes.length; i += size) got.push(...parser.push(bytes.subarray(i, i + size)));
      expect(got).toEqual(whole);
    }
  });

  it('rejects an unknown type byte', () => {
    expect(() => new RespParser().push(Buffer.from('?x\r\n'))).toThrow(/protocol error/);
  });
});
