import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  describeCounterexample,
  type Focus,
  FuzzStats,
  fuzzArbitraries,
  fuzzSettings,
  memoryHarness,
  saveCounterexample,
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
