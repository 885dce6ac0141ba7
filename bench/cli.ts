/**
 * Runs a CLI's async main and exits with its code: 130 when it was
 * interrupted (Ctrl-C), 1 with one line naming the failure otherwise.
 *
 * @example
 * runMain('bench', main);
 */
export function runMain(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`[${name}] failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(err instanceof Error && err.message.startsWith('interrupted') ? 130 : 1);
    },
  );
}
