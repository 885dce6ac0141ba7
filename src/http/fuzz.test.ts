import fc from 'fast-check';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  checkProperty,
  type Focus,
  FuzzStats,
  fuzzArbitraries,
  fuzzConfig,
  fuzzSettings,
  memoryHarnesses,
} from '../../test/support/fuzz';
import { SECRET } from '../../test/support/memory-app';
import type { Env } from '../env';

/**
 * Property-based fuzzing of the whole HTTP surface through `app.request` on
 * the in-memory adapters, with a recording origin: hostile tokens, cookies,
 * header spellings, paths and methods, the trust boundary's classes (names
 * with `_`, rewrites, overrides, preflights, credentials, cacheable answers,
 * cross-site logouts, forward-auth bindings), some cases during an injected
 * Redis or database outage. Each case carries its own config (the issue #13
 * variables on or off, with or without an origin). Every case is checked
 * against the invariants in test/support/fuzz/oracle/check.ts. `FUZZ_SEED` /
 * `FUZZ_RUNS` (this layer's total) override the fixed defaults.
 */
const settings = fuzzSettings(20_261_127, 18_000);
/** Share of the total per focus; appended entries keep the earlier ones' seeds. */
const PLAN: [Focus, number, Variant][] = [
  ['tokens', 3_000, 'default'],
  ['cookies', 2_000, 'default'],
  ['headers', 2_500, 'default'],
  ['paths', 2_000, 'default'],
  ['mixed', 2_500, 'default'],
  ['mixed', 1_500, 'strict'],
  ['boundary', 2_500, 'default'],
  ['boundary', 1_000, 'strict'],
  ['verify', 1_000, 'default'],
];

/**
 * `default`: the README's defaults plus PUBLIC_PATHS.
 * `strict`: no shared cache and no L1 (every request reads the database),
 * another cookie name, issuer and audience checked.
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
    },
    cookieName: '__Host-sid',
    issuer: 'https://login.example',
    audience: ['edge-api', 'other-api'],
  },
};

/** Classes each focus must have exercised, or its run proved nothing about them. */
const MUST_SEE: Partial<Record<Focus, string[]>> = {
  boundary: [
    '_ header dropped',
    '_ header allowed',
    'method override dropped',
    'method override kept',
    'path rewrite dropped',
    'credential removed',
    'credential forwarded',
    'preflight passed',
    'OPTIONS authenticated',
    'answer made private',
    'assertion forwarded',
    'cross-site logout refused',
    'logout',
    'dot-dot not public',
  ],
  verify: ['verify assertion', 'verify identity only'],
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
        const harnesses = memoryHarnesses({ assertionKey, env });
        vi.stubGlobal('fetch', harnesses.originFetch);
        const stats = new FuzzStats();
        const arbs = fuzzArbitraries({
          secret: SECRET,
          cookieName,
          ...(issuer ? { issuer } : {}),
          ...(audience ? { audience } : {}),
        });
        const cases = fc.record({
          request: arbs.request(focus),
          config: fuzzConfig(focus === 'verify' ? 'forward-auth' : 'proxy'),
        });
        const save = `memory-${focus}-${variant}-${seed}`;
        await checkProperty(name, cases, { seed, runs, save }, async (fuzzCase) => {
          const outcome = await harnesses.run(fuzzCase);
          if (!outcome) {
            stats.refuse('the HTTP client');
            return [];
          }
          stats.record(outcome.exchange);
          return outcome.problems;
        }).finally(() => console.log(`[fuzz] ${name} (seed ${seed}): ${stats.summary()}`));
        // The run must have exercised both sides of the boundary, or it proved nothing.
        expect(stats.cases).toBeGreaterThan(runs * 0.8);
        if (focus !== 'verify') {
          expect(stats.identityForwarded + stats.publicForwarded).toBeGreaterThan(runs * 0.05);
        }
        expect(stats.byStatus.get(401) ?? 0).toBeGreaterThan(runs * 0.05);
        const unseen = (MUST_SEE[focus] ?? []).filter((c) => !stats.classes.get(c));
        expect(unseen).toEqual([]);
      },
      Math.max(120_000, runs * 25),
    );
  }
});
