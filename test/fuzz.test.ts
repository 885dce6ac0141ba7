import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkProperty,
  DEFAULT_CONFIG,
  type Focus,
  type FuzzConfig,
  FuzzStats,
  fuzzArbitraries,
  fuzzSettings,
} from './support/fuzz';
import { WORKERD_ORIGIN, workerdHarness } from './support/fuzz/workerd-harness';
import { type Stack, startStack, TEST_SECRET } from './support/stack';

/**
 * Property-based fuzzing of the bundled Worker in workerd on real Redis and
 * PostgreSQL, behind an echo origin that records every header it receives
 * (test/support/fuzz/workerd-harness.ts). Each property runs one config: the
 * defaults, the trust boundary's variables set (names with `_` allowed,
 * preflights passed, trusted origins), credentials forwarded, forward-auth
 * without an origin. Requests the HTTP client (undici) refuses to send, and
 * methods workerd's HTTP server rejects before any Worker runs, are counted
 * apart: they never reached edge-auth. `FUZZ_SEED` / `FUZZ_RUNS` override the
 * fixed defaults.
 */
const settings = fuzzSettings(20_261_201, 3_000);

const CONFIGS: Record<string, FuzzConfig> = {
  default: DEFAULT_CONFIG,
  boundary: {
    ...DEFAULT_CONFIG,
    corsPreflightPass: true,
    headersWithUnderscores: ['X_Custom_Trace', 'x_request_id', 'X_Auth_User_Id', 'x_forwarded_for'],
    trustedOrigins: ['https://app.example'],
  },
  credentials: {
    ...DEFAULT_CONFIG,
    assertion: false,
    corsPreflightPass: true,
    forwardCredentials: true,
    headersWithUnderscores: ['Script_Name'],
    trustedOrigins: ['https://partner.example:8443/'],
  },
  'forward-auth': { ...DEFAULT_CONFIG, mode: 'forward-auth' },
};

/**
 * Share of the total per focus and config: everything mixed, identity
 * spellings and paths through the real stack, then the trust boundary;
 * appended entries keep the earlier ones' seeds. Last, the classes each run
 * must have exercised.
 */
const PLAN: [Focus, number, keyof typeof CONFIGS, string[]][] = [
  ['mixed', 1_000, 'default', []],
  ['headers', 500, 'default', []],
  ['paths', 500, 'default', ['dot-dot not public']],
  [
    'boundary',
    500,
    'boundary',
    [
      '_ header dropped',
      '_ header allowed',
      'method override dropped',
      'method override kept',
      'path rewrite dropped',
      'credential removed',
      'preflight passed',
      'answer made private',
      'cross-site logout refused',
    ],
  ],
  ['boundary', 250, 'credentials', ['credential forwarded', 'preflight passed', '_ header allowed']],
  ['verify', 250, 'forward-auth', ['verify assertion', 'verify identity only']],
];

describe('fuzzing the bundled Worker in workerd', () => {
  let stack: Stack;
  let harness: Awaited<ReturnType<typeof workerdHarness>>;

  beforeAll(async () => {
    stack = await startStack();
    harness = await workerdHarness(stack);
    console.log(
      `[fuzz] workerd layer: seed ${settings.seed}, ${settings.total} cases (FUZZ_SEED, FUZZ_RUNS)`,
    );
  });
  afterAll(async () => {
    await harness?.stop();
    await stack?.stop();
  });

  for (const [index, [focus, share, config, mustSee]] of PLAN.entries()) {
    const runs = settings.runs(share);
    const seed = settings.seed + index;
    const name = config === 'default' ? focus : `${focus}, ${config} config`;
    it(
      `${name}: ${runs} hostile requests through workerd keep every invariant (seed ${seed})`,
      async () => {
        await harness.use(CONFIGS[config] ?? DEFAULT_CONFIG);
        const stats = new FuzzStats();
        const arbs = fuzzArbitraries({
          secret: TEST_SECRET,
          cookieName: 'session',
          maxPathLength: 12_000,
          transport: 'http',
          ownOrigin: WORKERD_ORIGIN,
        });
        const save = `workerd-${focus}-${config}-${seed}`;
        await checkProperty(name, arbs.request(focus), { seed, runs, save }, async (request) => {
          const outcome = await harness.run(request);
          if ('refused' in outcome) {
            stats.refuse(outcome.refused);
            return [];
          }
          stats.record(outcome.exchange);
          return outcome.problems;
        }).finally(() => console.log(`[fuzz] workerd ${name} (seed ${seed}): ${stats.summary()}`));
        expect(stats.cases).toBeGreaterThan(runs * 0.75);
        if (focus !== 'verify') {
          expect(stats.identityForwarded + stats.publicForwarded).toBeGreaterThan(runs * 0.05);
        }
        expect(stats.byStatus.get(401) ?? 0).toBeGreaterThan(runs * 0.1);
        expect(mustSee.filter((c) => !stats.classes.get(c))).toEqual([]);
      },
      Math.max(60_000, runs * 100),
    );
  }

  it('no line any isolate printed during the run holds a secret, a key or a token sent', () => {
    const lines = harness.isolateLogs.flatMap((logs) => [...logs.stdout(), ...logs.stderr()]);
    expect(lines.length).toBeGreaterThan(1_000); // the request lines really were captured
    const secrets = harness.secrets();
    const credentials = [...harness.credentials];
    expect(credentials.length).toBeGreaterThan(100);
    const leaks = lines.filter(
      (line) => secrets.some((s) => line.includes(s)) || credentials.some((c) => line.includes(c)),
    );
    expect(leaks).toEqual([]);
  });
});
