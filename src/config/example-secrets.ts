/**
 * Secrets that were ever written in this repository as examples or local
 * defaults. Anyone can read them, so a Worker configured with one would accept
 * tokens signed by anyone: `parseConfig` refuses them as `JWT_SECRET`.
 * `test/example-secrets.test.ts` fails when a shipped file shows one missing here.
 */
export const EXAMPLE_SECRETS: readonly string[] = [
  'replace-with-a-random-secret-of-at-least-32-bytes',
  // `npm run dev`'s fixed secret before it generated one per machine.
  'edge-auth-local-development-secret',
];

/** Whether `secret` is one of the published example secrets. */
export function isExampleSecret(secret: string): boolean {
  return EXAMPLE_SECRETS.includes(secret.trim());
}
