import fc from 'fast-check';
import { buildJwt, type SegmentEncoding, type Signature } from './jwt';
import { ALGORITHMS, EXTRA_NAMES, HEADER_MEMBERS, NUMERIC_DATE_RAW, WEIRD_ID_RAW } from './token-values';
import { FAR_FUTURE, WORLD_SESSIONS, WORLD_USERS } from './world';

/** What the hostile-claims and forged-header tokens are built from. */
export interface ClaimTokenOptions {
  secret: string;
  /** `JWT_ISSUER` / `JWT_AUDIENCE` when configured: hostile tokens get them wrong too. */
  issuer?: string;
  audience?: string[];
  /** A `sub` + `sid` pair. */
  pair: fc.Arbitrary<readonly [string, string]>;
  /** The claims of a valid token of `sub` + `sid`. */
  claimsOf: (sub: string, sid: string) => [string, string][];
}

/**
 * Genuinely signed tokens with hostile claims (types, ranges, duplicates,
 * missing members) and tokens with forged headers (every `alg`, `kid`,
 * `jku`, `x5u`, `jwk`, `crit`, `b64`, any signature and segment encoding).
 *
 * @example
 * const { hostileClaimsToken, forgedHeaderToken } = claimTokens({ secret, pair, claimsOf });
 */
export function claimTokens(options: ClaimTokenOptions) {
  const { secret, pair, claimsOf } = options;
  const userIds = WORLD_USERS.map((u) => u.id);
  const sessionIds = WORLD_SESSIONS.map((s) => s.id);
  const standardHeader: [string, string][] = [
    ['alg', '"HS256"'],
    ['typ', '"JWT"'],
  ];
  const canonical = {
    headerEncoding: 'b64url',
    payloadEncoding: 'b64url',
    payloadCharset: 'utf8',
    signature: 'HS256',
    signatureEncoding: 'b64url',
  } as const;
  const issuerRaw = fc.constantFrom(
    ...(options.issuer ? [JSON.stringify(options.issuer), JSON.stringify(`${options.issuer}/`)] : []),
    '"https://attacker.example"',
    '""',
    '42',
    'null',
    '["https://login.example"]',
  );
  const audienceRaw = fc.constantFrom(
    ...(options.audience ?? []).flatMap((a) => [
      JSON.stringify(a),
      JSON.stringify([a, 'other']),
      JSON.stringify(a.toUpperCase()),
    ]),
    '"edge-api,other-api"',
    '[]',
    '""',
    '42',
    '[42]',
    'null',
  );

  const idRaw = (ids: readonly string[]) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...ids).map((id) => JSON.stringify(id)) },
      { weight: 3, arbitrary: fc.constantFrom(...WEIRD_ID_RAW) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }).map((s) => JSON.stringify(s)) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(...ids),
            fc.constantFrom('\u0000', '\u0007', '\n', '\u007f', '\u00a0', '\u2028'),
          )
          .map(([id, ch]) => JSON.stringify(`${id}${ch}`)),
      },
    );
  const dateRaw = fc.oneof(
    { weight: 4, arbitrary: fc.constant(String(FAR_FUTURE)) },
    { weight: 4, arbitrary: fc.constantFrom(...NUMERIC_DATE_RAW) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.integer({ min: -(2 ** 40), max: 1_500_000_000 }),
          fc.integer({ min: FAR_FUTURE, max: 2 ** 40 }),
        )
        .map(String),
    },
  );

  /** Genuine signatures over hostile claims: types, ranges, duplicates, missing members. */
  const hostileClaimsToken = fc
    .record({
      sub: fc.option(idRaw(userIds), { nil: undefined, freq: 8 }),
      sid: fc.option(idRaw(sessionIds), { nil: undefined, freq: 8 }),
      exp: fc.option(dateRaw, { nil: undefined, freq: 8 }),
      nbf: fc.option(dateRaw, { nil: undefined, freq: 2 }),
      iat: fc.option(dateRaw, { nil: undefined, freq: 2 }),
      iss: fc.option(issuerRaw, { nil: undefined, freq: options.issuer ? 8 : 2 }),
      aud: fc.option(audienceRaw, { nil: undefined, freq: options.audience ? 8 : 2 }),
      extras: fc.array(fc.tuple(fc.constantFrom(...EXTRA_NAMES), fc.oneof(idRaw(userIds), dateRaw)), {
        maxLength: 3,
      }),
      extrasFirst: fc.boolean(),
      payloadCharset: fc.constantFrom('utf8', 'utf8', 'utf8', 'latin1', 'bom'),
    })
    .map((c) => {
      const base: [string, string][] = [];
      for (const name of ['sub', 'sid', 'nbf', 'iat', 'exp', 'iss', 'aud'] as const) {
        const value = c[name];
        if (value !== undefined) base.push([name, value]);
      }
      return buildJwt(secret, {
        ...canonical,
        header: standardHeader,
        claims: c.extrasFirst ? [...c.extras, ...base] : [...base, ...c.extras],
        payloadCharset: c.payloadCharset,
      });
    });

  const encoding = fc.constantFrom<SegmentEncoding>('b64url', 'b64url', 'b64url', 'b64', 'b64url-pad', 'raw');
  const signature = fc.constantFrom<Signature>(
    'HS256',
    'HS256',
    'HS256',
    'HS384',
    'HS512',
    'wrong-secret',
    'empty',
    'garbage',
  );

  /** Every `alg`, forged `kid`/`jku`/`x5u`/`jwk`/`crit`/`b64`, any signature and segment encoding. */
  const forgedHeaderToken = fc
    .record({
      pair: pair,
      alg: fc.option(
        fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom(...ALGORITHMS).map((a) => JSON.stringify(a)) },
          { weight: 1, arbitrary: fc.constantFrom('null', '42', '["HS256"]', '{"alg":"HS256"}') },
        ),
        { nil: undefined, freq: 12 },
      ),
      members: fc.subarray(Object.keys(HEADER_MEMBERS), { maxLength: 3 }),
      picks: fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
      algFirst: fc.boolean(),
      headerEncoding: encoding,
      payloadEncoding: encoding,
      signature,
      signatureEncoding: encoding,
    })
    .map((r) => {
      const extra = r.members.map((name, i): [string, string] => {
        const values = HEADER_MEMBERS[name] ?? ['null'];
        return [name, values[(r.picks[i] ?? 0) % values.length] ?? 'null'];
      });
      const alg: [string, string][] = r.alg === undefined ? [] : [['alg', r.alg]];
      return buildJwt(secret, {
        header: r.algFirst ? [...alg, ...extra] : [...extra, ...alg],
        claims: claimsOf(r.pair[0], r.pair[1]),
        headerEncoding: r.headerEncoding,
        payloadEncoding: r.payloadEncoding,
        payloadCharset: 'utf8',
        signature: r.signature,
        signatureEncoding: r.signatureEncoding,
      });
    });

  return { hostileClaimsToken, forgedHeaderToken };
}
