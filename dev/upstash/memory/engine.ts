// The in-memory RedisEngine: a development fallback for machines with no
// redis-server. Commands run synchronously, so pipelines are trivially ordered
// and transactions trivially atomic. Not a Redis replacement: strings, keys
// and scripts only; everything else answers "unknown command".
import type { RedisEngine, Reply } from '../engine';
import { ReplyError } from '../engine';
import { type CommandContext, type CommandSpec, unknownCommand, wrongArity } from './command';
import { LuaScripts } from './lua';
import { scriptCommands } from './scripting';
import { Keyspace } from './store';
import { stringCommands } from './strings';

const COMMANDS: Record<string, CommandSpec> = { ...stringCommands, ...scriptCommands };

/** Options for `createMemoryEngine`. */
export interface MemoryEngineOptions {
  /** Clock in ms since the epoch, for expiry. Default Date.now. */
  now?: () => number;
}

/** The command's spec, or the error Redis would answer before running it (unknown command, wrong arity). */
function lookup(args: readonly string[]): CommandSpec | ReplyError {
  const name = args[0] ?? '';
  const spec = Object.hasOwn(COMMANDS, name.toLowerCase()) ? COMMANDS[name.toLowerCase()] : undefined;
  if (!spec) return unknownCommand(args);
  const ok = spec.arity >= 0 ? args.length === spec.arity : args.length >= -spec.arity;
  return ok ? spec : wrongArity(name);
}

/**
 * Creates an empty in-memory engine.
 * @example const engine = createMemoryEngine(); await engine.pipeline([['SET', 'k', 'v']]);
 */
export function createMemoryEngine(opts: MemoryEngineOptions = {}): RedisEngine {
  const store = new Keyspace(opts.now);
  const run = (args: string[], script?: { readOnly: boolean }): Reply => {
    const spec = lookup(args);
    if (spec instanceof ReplyError) return spec;
    if (script && spec.noscript) return new ReplyError('ERR This Redis command is not allowed from script');
    if (script?.readOnly && spec.write) {
      return new ReplyError('ERR Write commands are not allowed from read-only scripts.');
    }
    try {
      return spec.run(ctx, args);
    } catch (err) {
      if (err instanceof ReplyError) return err;
      throw err;
    }
  };
  const ctx: CommandContext = {
    store,
    scripts: new LuaScripts((args, readOnly) => run(args, { readOnly })),
  };
  return {
    kind: 'memory',
    pipeline: async (commands) => commands.map((args) => run(args)),
    async transaction(commands) {
      // Redis rejects the whole transaction when a command fails while queuing.
      const queueError = commands.map(lookup).find((s) => s instanceof ReplyError);
      if (queueError) {
        return new ReplyError(
          `EXECABORT Transaction discarded because of previous errors. First error: ${queueError.message}`,
        );
      }
      return commands.map((args) => run(args));
    },
    close: async () => undefined,
  };
}
