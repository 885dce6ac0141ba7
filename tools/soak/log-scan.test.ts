import { describe, expect, it } from 'vitest';
import { mintToken } from '../../dev/tokens';
import { countRequestLines, leaks } from './log-scan';
import type { IsolateOutput } from './observations';

const output = (stdout: string[], stderr: string[] = [], measuredFrom = 0): IsolateOutput => ({
  isolate: 0,
  note: '',
  pid: 1,
  stdout,
  stderr,
  measuredFrom,
});
const line = (fields: object) => JSON.stringify({ msg: 'request', status: 200, durations: {}, ...fields });

describe('the log scan', () => {
  it('counts request lines by served and touch, over the run or since the mark', () => {
    const out = output(
      [
        line({ served: 'miss', touch: 'claim' }),
        'workerd: starting',
        line({ served: 'l1', touch: 'marked' }),
      ],
      [],
      1,
    );
    expect(countRequestLines([out], 'all')).toEqual({
      lines: 2,
      served: { miss: 1, l1: 1 },
      touch: { claim: 1, marked: 1 },
    });
    expect(countRequestLines([out], 'measured').lines).toBe(1);
  });

  it('names each secret, token and token signature found, and any JWT at all, never the value', async () => {
    const secret = 'soak-jwt-0123456789abcdef0123456789abcdef';
    const token = await mintToken({ secret, userId: 'u', sessionId: 's' });
    const other = await mintToken({ secret: 'x'.repeat(32), userId: 'v', sessionId: 's' });
    const signature = token.split('.')[2] as string;
    const found = leaks(
      [output([line({}), `oops ${secret}`], [`sig=${signature}`]), { ...output([other]), isolate: 1 }],
      { 'JWT secret': secret },
      [token],
    );
    expect(found.sort()).toEqual(
      [
        'JWT secret in isolate 0 stdout',
        'token 0 signature in isolate 0 stderr',
        'a JWT in isolate 1 stdout',
      ].sort(),
    );
    expect(found.join()).not.toContain(secret);
    expect(leaks([output([line({ served: 'hit' })])], { 'JWT secret': secret }, [token])).toEqual([]);
  });
});
