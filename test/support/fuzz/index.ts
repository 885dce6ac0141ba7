/**
 * The property-based fuzzers' shared pieces (src/http/fuzz.test.ts on the
 * in-memory adapters, test/fuzz.test.ts on the bundled Worker in workerd):
 * the world both layers create, generators of hostile requests and configs,
 * the oracle that checks every exchange (oracle/check.ts), and the harness
 * of the in-memory layer. The workerd harness is imported on its own
 * (workerd-harness.ts), so the unit layer never loads Miniflare.
 */
export * from './configs';
export * from './exchange';
export * from './jwt';
export * from './memory-harness';
export * from './oracle/check';
export * from './oracle/context';
export * from './oracle/identity-values';
export * from './oracle/paths';
export * from './oracle/tokens';
export * from './paths';
export * from './requests';
export * from './run';
export * from './world';
