import fc from 'fast-check';
import { encodeSegment, paddedToken, type SegmentEncoding } from './jwt';

/** What the mutated, huge, misshapen and garbage tokens are built from. */
export interface MutatedTokenOptions {
  secret: string;
  /** Genuine tokens of live sessions, to mutate. */
  liveToken: fc.Arbitrary<string>;
  livePair: fc.Arbitrary<readonly [string, string]>;
  /** Claims every valid token carries (issuer, audience). */
  required: [string, string][];
  text: (maxLength: number) => fc.Arbitrary<string>;
}

/**
 * Valid tokens broken on purpose: mutated (truncated, re-encoded, spliced,
 * case-flipped …), padded to around 8 KiB and far over, cut into the wrong
 * number of segments or shaped as a JWE, and plain garbage.
 *
 * @example
 * const { mutatedToken } = mutatedTokens({ secret, liveToken, livePair, required: [], text });
 */
export function mutatedTokens(options: MutatedTokenOptions) {
  const { secret, liveToken, livePair, required, text } = options;
  /** A valid token of a live session, then truncated, re-encoded, spliced, case-flipped… */
  const mutation = fc.oneof(
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({
      op: fc.constant('insert' as const),
      at: fc.nat(),
      ch: fc.constantFrom('.', '=', '+', '/', ' ', '\t', 'é', '\u0000', '%', 'A', '-', '_', '"', ',', ';'),
    }),
    fc.record({
      op: fc.constant('replace' as const),
      at: fc.nat(),
      ch: fc.constantFrom('A', 'a', '0', '-', '_', '+', '/'),
    }),
    fc.record({ op: fc.constant('flipCase' as const), at: fc.nat() }),
    fc.record({
      op: fc.constant('reencode' as const),
      segment: fc.nat({ max: 2 }),
      to: fc.constantFrom<SegmentEncoding>('b64', 'b64url-pad'),
    }),
    fc.record({ op: fc.constant('dropSegment' as const), segment: fc.nat({ max: 2 }) }),
    fc.record({ op: fc.constant('dupSegment' as const), segment: fc.nat({ max: 2 }) }),
    fc.record({ op: fc.constant('swapSegments' as const) }),
    fc.record({ op: fc.constant('percentEncode' as const) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;
  const applyMutation = (token: string, m: Mutation): string => {
    const at = 'at' in m ? m.at % (token.length + 1) : 0;
    const segments = token.split('.');
    switch (m.op) {
      case 'truncate':
        return token.slice(0, at);
      case 'drop':
        return token.slice(0, at) + token.slice(at + 1);
      case 'insert':
        return token.slice(0, at) + m.ch + token.slice(at);
      case 'replace':
        return token.slice(0, at) + m.ch + token.slice(at + 1);
      case 'flipCase': {
        const ch = token[at] ?? '';
        const flipped = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
        return token.slice(0, at) + flipped + token.slice(at + 1);
      }
      case 'reencode': {
        const segment = segments[m.segment];
        if (segment === undefined) return token;
        segments[m.segment] = encodeSegment(Buffer.from(segment, 'base64url'), m.to);
        return segments.join('.');
      }
      case 'dropSegment':
        return segments.filter((_, i) => i !== m.segment).join('.');
      case 'dupSegment':
        return segments.flatMap((s, i) => (i === m.segment ? [s, s] : [s])).join('.');
      case 'swapSegments':
        return [segments[1], segments[0], ...segments.slice(2)].join('.');
      case 'percentEncode':
        return [...token].map((ch) => `%${ch.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
    }
  };
  const mutatedToken = fc
    .tuple(liveToken, fc.array(mutation, { minLength: 1, maxLength: 3 }))
    .map(([token, ms]) => ms.reduce(applyMutation, token));

  /** Genuine tokens padded to just under, at and over 8 KiB, and far over. */
  const hugeToken = fc
    .tuple(
      livePair,
      fc.oneof(
        fc.constantFrom(8191, 8192, 8193, 8194, 16_384, 65_536),
        fc.integer({ min: 8_100, max: 8_300 }),
      ),
      fc.constantFrom('ascii', 'non-ascii'),
    )
    .map(([[sub, sid], target, kind]) =>
      paddedToken(secret, sub, sid, target, kind === 'non-ascii', required),
    );

  /** Wrong numbers of segments, empty segments, JWE-shaped (5 segments) tokens. */
  const segmentsToken = fc
    .tuple(
      liveToken,
      fc.constantFrom(
        'one',
        'two',
        'trailing-dot',
        'four',
        'leading-dot',
        'double-dots',
        'jwe',
        'jwe-dir',
        'empty',
        'dots',
      ),
    )
    .map(([token, shape]) => {
      const [h = '', p = '', s = ''] = token.split('.');
      const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const shapes: Record<typeof shape, string> = {
        one: h,
        two: `${h}.${p}`,
        'trailing-dot': `${token}.`,
        four: `${token}.${s}`,
        'leading-dot': `.${token}`,
        'double-dots': `${h}..${p}..${s}`,
        jwe: `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM' })}.${p}.${s}.${p}.${s}`,
        'jwe-dir': `${b64({ alg: 'dir', enc: 'A128GCM' })}..${s}.${p}.${s}`,
        empty: '',
        dots: '....',
      };
      return shapes[shape];
    });

  const garbageToken = fc.oneof(
    text(60),
    fc.string({ unit: 'binary-ascii', maxLength: 60 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: 'grapheme', maxLength: 30 }),
    fc.base64String({ maxLength: 80 }),
    fc.constantFrom(
      'null',
      'undefined',
      'eyJ',
      'e30.e30.',
      'e30.e30.e30',
      'é'.repeat(3000),
      'a'.repeat(9000),
    ),
  );

  return { mutatedToken, hugeToken, segmentsToken, garbageToken };
}
