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

/**
 * Parses a CLI's arguments with `parse`: the options, or the exit code when
 * there is nothing to run (`--help`: usage on stdout, 0; a bad option: the
 * problem and usage on stderr, 2).
 *
 * @example
 * const opts = parseCli(argv, parseOptions, USAGE);
 * if (typeof opts === 'number') return opts;
 */
export function parseCli<T extends { help: boolean }>(
  argv: string[],
  parse: (argv: string[]) => T,
  usage: string,
): T | number {
  let opts: T;
  try {
    opts = parse(argv);
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  if (opts.help) {
    console.log(usage);
    return 0;
  }
  return opts;
}
