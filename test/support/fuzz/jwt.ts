import { createHmac } from 'node:crypto';
import { FAR_FUTURE, PAST } from './world';

/**
 * Compact JWS built byte by byte (HMACs from node:crypto, independently of
 * jose), so hostile encodings and members can be written exactly.
 */

/** How a segment is written: canonical base64url, standard base64 (`+/=`), padded base64url, or raw text. */
export type SegmentEncoding = 'b64url' | 'b64' | 'b64url-pad' | 'raw';
/** How a token is signed. */
export type Signature = 'HS256' | 'HS384' | 'HS512' | 'wrong-secret' | 'empty' | 'garbage';

export interface JwtSpec {
  /** Header members as [name, raw JSON text]. */
  header: [string, string][];
  /** Claims as [name, raw JSON text]; duplicates are kept (JSON.parse keeps the last). */
  claims: [string, string][];
  headerEncoding: SegmentEncoding;
  payloadEncoding: SegmentEncoding;
  /** Bytes of the payload text: UTF-8, Latin-1 (invalid UTF-8 for non-ASCII), or UTF-8 after a BOM. */
  payloadCharset: 'utf8' | 'latin1' | 'bom';
  signature: Signature;
  signatureEncoding: SegmentEncoding;
}

const rawObject = (members: [string, string][]) =>
  `{${members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',')}}`;

/**
 * `bytes` as one segment of a compact JWS, in `encoding`.
 *
 * @example
 * encodeSegment(Buffer.from('{}'), 'b64') // 'e30='
 */
export function encodeSegment(bytes: Buffer, encoding: SegmentEncoding): string {
  switch (encoding) {
    case 'b64url':
      return bytes.toString('base64url');
    case 'b64':
      return bytes.toString('base64');
    case 'b64url-pad': {
      const text = bytes.toString('base64url');
      return text + '='.repeat((4 - (text.length % 4)) % 4);
    }
    case 'raw':
      return bytes.toString('utf8');
  }
}

const GARBAGE_SIGNATURE = Buffer.from(
  '00ff7f80c0afdeadbeef00ff7f80c0afdeadbeef00ff7f80c0afdeadbeefcafe',
  'hex',
);

/**
 * Builds a compact JWS exactly as specified (HMACs computed with node:crypto, independently of jose).
 *
 * @example
 * buildJwt(secret, { header: [['alg', '"none"']], claims: [['sub', '"alice"']], headerEncoding: 'b64', … })
 */
export function buildJwt(secret: string, spec: JwtSpec): string {
  const payloadText = rawObject(spec.claims);
  const payloadBytes =
    spec.payloadCharset === 'latin1'
      ? Buffer.from(payloadText, 'latin1')
      : Buffer.concat([
          spec.payloadCharset === 'bom' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0),
          Buffer.from(payloadText, 'utf8'),
        ]);
  const header = encodeSegment(Buffer.from(rawObject(spec.header), 'utf8'), spec.headerEncoding);
  const payload =
    spec.payloadEncoding === 'raw' ? payloadText : encodeSegment(payloadBytes, spec.payloadEncoding);
  const input = `${header}.${payload}`;
  const hmac = (hash: string, key: string) => createHmac(hash, key).update(input).digest();
  const signature: Record<Signature, () => Buffer> = {
    HS256: () => hmac('sha256', secret),
    HS384: () => hmac('sha384', secret),
    HS512: () => hmac('sha512', secret),
    'wrong-secret': () => hmac('sha256', `${secret}!`),
    empty: () => Buffer.alloc(0),
    garbage: () => GARBAGE_SIGNATURE,
  };
  const sigEncoding = spec.signatureEncoding === 'raw' ? 'b64url' : spec.signatureEncoding;
  return `${input}.${encodeSegment(signature[spec.signature](), sigEncoding)}`;
}

/**
 * A well-formed HS256 token for `sub` + `sid`, valid until 2100; `extra` claims (iss, aud) appended.
 *
 * @example
 * validToken(secret, 'alice', 's-alice-0') // 'eyJhbGciOiJIUzI1NiIs…'
 */
export function validToken(secret: string, sub: string, sid: string, extra: [string, string][] = []): string {
  return buildJwt(secret, {
    header: [
      ['alg', '"HS256"'],
      ['typ', '"JWT"'],
    ],
    claims: [
      ['sub', JSON.stringify(sub)],
      ['sid', JSON.stringify(sid)],
      ['iat', String(PAST)],
      ['exp', String(FAR_FUTURE)],
      ...extra,
    ],
    headerEncoding: 'b64url',
    payloadEncoding: 'b64url',
    payloadCharset: 'utf8',
    signature: 'HS256',
    signatureEncoding: 'b64url',
  });
}

/**
 * A genuine token of `sub` + `sid` whose length is exactly `target` (padding
 * claims in the header and payload), optionally with non-ASCII padding.
 *
 * @example
 * paddedToken(secret, 'alice', 's-alice-0', 8193, false, []).length // 8193
 */
export function paddedToken(
  secret: string,
  sub: string,
  sid: string,
  target: number,
  nonAscii: boolean,
  required: [string, string][],
): string {
  const build = (headerPad: number, payloadPad: number) =>
    buildJwt(secret, {
      header: [
        ['alg', '"HS256"'],
        ['typ', '"JWT"'],
        ['x', JSON.stringify('h'.repeat(headerPad))],
      ],
      claims: [
        ['sub', JSON.stringify(sub)],
        ['sid', JSON.stringify(sid)],
        ['exp', String(FAR_FUTURE)],
        ['pad', JSON.stringify((nonAscii ? 'é' : 'p').repeat(payloadPad))],
        ...required,
      ],
      headerEncoding: 'b64url',
      payloadEncoding: 'b64url',
      payloadCharset: 'utf8',
      signature: 'HS256',
      signatureEncoding: 'b64url',
    });
  const base = build(0, 0).length;
  const estimate = Math.max(0, Math.floor(((target - base) * 3) / 4 / (nonAscii ? 2 : 1)));
  let best = build(0, estimate);
  for (let p = Math.max(0, estimate - 4); p <= estimate + 4; p++) {
    for (let h = 0; h < 4; h++) {
      const candidate = build(h, p);
      if (candidate.length === target) return candidate;
      if (Math.abs(candidate.length - target) < Math.abs(best.length - target)) best = candidate;
    }
  }
  return best;
}
