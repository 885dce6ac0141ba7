import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type CheckContext,
  checkExchange,
  describeCounterexample,
  type Exchange,
  FAR_FUTURE,
  type Focus,
  FuzzStats,
  FuzzWorld,
  fuzzArbitraries,
  fuzzSettings,
  memoryHarness,
  type OriginRecord,
  type Outage,
  PUBLIC_PATHS,
  saveCounterexample,
  validToken,
} from '../../test/support/fuzz-arbitraries';
import { SECRET } from '../../test/support/memory-app';
import type { Env } from '../env';

/**
 * Property-based fuzzing of the whole HTTP surface through `app.request` on
 * the in-memory adapters, with a recording origin: hostile tokens, cookies,
 * header spellings, paths and methods, some cases during an injected Redis
 * or database outage. Every case is checked against the invariants in
 * test/support/fuzz-arbitraries.ts. `FUZZ_SEED` / `FUZZ_RUNS` (this layer's
 * total) override the fixed defaults.
 */
const settings = fuzzSettings(20_261_127, 13_500);
/** Share of the total per focus. */
const PLAN: [Focus, number, Variant][] = [
  ['tokens', 3_000, 'default'],
  ['cookies', 2_000, 'default'],
  ['headers', 2_500, 'default'],
  ['paths', 2_000, 'default'],
  ['mixed', 2_500, 'default'],
  ['mixed', 1_500, 'strict'],
];

/**
 * `default`: the README's defaults plus PUBLIC_PATHS and assertions.
 * `strict`: no shared cache and no L1 (every request reads the database),
 * another cookie name, issuer and audience checked, CORS preflights passed.
 */
type Variant = 'default' | 'strict';
const VARIANTS: Record<
  Variant,
  { env: Partial<Env>; cookieName: string; issuer?: string; audience?: string[] }
> = {
  default: { env: {}, cookieName: 'session' },
  strict: {
    env: {
      SESSION_COOKIE: '__Host-sid',
      SESSION_CACHE_TTL_SECONDS: '0',
      L1_CACHE_TTL_SECONDS: '0',
      JWT_ISSUER: 'https://login.example',
      JWT_AUDIENCE: 'edge-api,other-api',
      CORS_PREFLIGHT: 'pass',
    },
    cookieName: '__Host-sid',
    issuer: 'https://login.example',
    audience: ['edge-api', 'other-api'],
  },
};

describe('fuzzing the HTTP surface (in-memory adapters)', () => {
  let assertionKey: JWK;
  beforeAll(async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    assertionKey = await exportJWK(privateKey);
    // 5xx answers are logged by design; thousands of them would drown the output.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    console.log(
      `[fuzz] in-memory layer: seed ${settings.seed}, ${settings.total} cases (FUZZ_SEED, FUZZ_RUNS)`,
    );
  });
  afterAll(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  for (const [index, [focus, share, variant]] of PLAN.entries()) {
    const runs = settings.runs(share);
    const seed = settings.seed + index;
    const name = variant === 'default' ? focus : `${focus}, ${variant} config`;
    it(
      `${name}: ${runs} hostile requests keep every invariant (seed ${seed})`,
      async () => {
        const { env, cookieName, issuer, audience } = VARIANTS[variant];
        const harness = await memoryHarness({ assertionKey, env });
        vi.stubGlobal('fetch', harness.originFetch);
        const stats = new FuzzStats();
        const arbs = fuzzArbitraries({
          secret: SECRET,
          cookieName,
          ...(issuer ? { issuer } : {}),
          ...(audience ? { audience } : {}),
        });
        const result = await fc.check(
          fc.asyncProperty(arbs.request(focus), async (request) => {
            const outcome = await harness.run(request);
            if (!outcome) {
              stats.refuse('the HTTP client');
              return;
            }
            stats.record(outcome.exchange);
            const { problems } = outcome;
            if (problems.length > 0) throw new Error(describeCounterexample(request, problems));
          }),
          { seed, numRuns: runs },
        );
        console.log(`[fuzz] ${name} (seed ${seed}): ${stats.summary()}`);
        if (result.failed) {
          const [request] = result.counterexample ?? [];
          const file = request ? saveCounterexample(`memory-${focus}-${variant}-${seed}`, request) : 'none';
          const message =
            result.errorInstance instanceof Error
              ? result.errorInstance.message
              : String(result.errorInstance);
          throw new Error(
            `${name}: failed after ${result.numRuns} runs (seed ${result.seed}, path ${result.counterexamplePath}), ` +
              `shrunk ${result.numShrinks} times (exact case: ${file}):\n${message}`,
          );
        }
        // The run must have exercised both sides of the boundary, or it proved nothing.
        expect(stats.cases).toBeGreaterThan(runs * 0.8);
        expect(stats.identityForwarded + stats.publicForwarded).toBeGreaterThan(runs * 0.05);
        expect(stats.byStatus.get(401) ?? 0).toBeGreaterThan(runs * 0.05);
      },
      Math.max(120_000, runs * 25),
    );
  }
});

/** The checker must not be vacuous: each of these exchanges breaks an invariant, the last one none. */
describe('the invariant checker', () => {
  const world = new FuzzWorld();
  world.markRevoked('s-alice-1', false);
  const context: CheckContext = {
    world,
    secret: SECRET,
    publicPaths: PUBLIC_PATHS,
    forwardedHost: 'localhost',
  };
  const alice = validToken(SECRET, 'alice', 's-alice-0');
  const aliceIdentity: [string, string][] = [
    ['x-auth-user-id', 'alice'],
    ['x-auth-session-id', 's-alice-0'],
    ['x-auth-username', 'user-alice'],
    ['x-auth-email', 'alice@example.com'],
    ['x-auth-is-staff', 'true'],
    ['x-auth-is-superuser', 'false'],
  ];
  const exchange = (
    headers: [string, string][],
    answer: Partial<Exchange['response']>,
    origin: OriginRecord[] = [],
    outage: Outage = 'none',
  ): Exchange => ({
    request: { method: 'GET', path: '/api', headers, body: null, outage },
    method: 'GET',
    sent: new Headers(headers),
    response: { status: 200, headers: [], body: '', ...answer },
    origin,
    revoked: [],
  });
  const bearer = (token: string): [string, string][] => [['Authorization', `Bearer ${token}`]];
  const forwarded = (headers: [string, string][], path = '/api'): OriginRecord[] => [
    { path, headers: [['x-forwarded-host', 'localhost'], ['x-forwarded-proto', 'http'], ...headers] },
  ];
  const unsigned = (claims: object) =>
    `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;

  const broken: [string, Exchange][] = [
    [
      "alice's identity for bob's token",
      exchange(bearer(validToken(SECRET, 'bob', 's-bob-0')), {}, forwarded(aliceIdentity)),
    ],
    [
      "alice's identity for an unsigned token naming her",
      exchange(
        bearer(unsigned({ sub: 'alice', sid: 's-alice-0', exp: FAR_FUTURE })),
        {},
        forwarded(aliceIdentity),
      ),
    ],
    [
      'the identity of a revoked session',
      exchange(
        bearer(validToken(SECRET, 'alice', 's-alice-1')),
        {},
        forwarded(aliceIdentity.map(([n, v]) => [n, n === 'x-auth-session-id' ? 's-alice-1' : v])),
      ),
    ],
    ['a value cut short', exchange(bearer(alice), {}, forwarded(aliceIdentity.slice(0, 5)))],
    [
      'a client-spelled identity header next to the real ones',
      exchange(bearer(alice), {}, forwarded([...aliceIdentity, ['x_auth_is_superuser', 'true']])),
    ],
    ['X-Real-IP from the client', exchange([], {}, forwarded([['x-real-ip', '10.0.0.1']], '/public/a'))],
    ['a confusing path forwarded as public', exchange([], {}, forwarded([], '/public/..%2fadmin'))],
    ['a 502', exchange([], { status: 502, body: '{"error":"bad_gateway"}' })],
    ['a 503 with no outage', exchange([], { status: 503, headers: [['retry-after', '1']] })],
    [
      'a 500 identity_unrepresentable for a representable user',
      exchange(bearer(alice), { status: 500, body: '{"error":"identity_unrepresentable"}' }),
    ],
    ['a 401 without its challenge', exchange([], { status: 401 })],
    ['a control character in an answer header', exchange([], { headers: [['x-note', 'a\u0007b']] })],
  ];
  for (const [name, ex] of broken) {
    it(`flags ${name}`, async () => {
      expect(await checkExchange(ex, context)).not.toEqual([]);
    });
  }

  it("passes alice's exact identity for her token, a 503 in an outage, a plain public path", async () => {
    expect(await checkExchange(exchange(bearer(alice), {}, forwarded(aliceIdentity)), context)).toEqual([]);
    const outage = exchange([], { status: 503, headers: [['retry-after', '1']] }, [], 'database');
    expect(await checkExchange(outage, context)).toEqual([]);
    expect(await checkExchange(exchange([], {}, forwarded([], '/public/caf%C3%A9.png')), context)).toEqual(
      [],
    );
  });
});
