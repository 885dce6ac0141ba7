// EVAL, EVALSHA (and their _RO forms) and SCRIPT for the in-memory engine.
// Like Redis, EVAL caches the script it runs, so a later EVALSHA finds it.
import { ReplyError } from '../engine';
import { type CommandContext, type CommandSpec, parseInteger } from './command';

function keysAndArgs(args: string[]): { keys: string[]; argv: string[] } {
  const numkeys = parseInteger(args[2]);
  if (numkeys < 0) throw new ReplyError("ERR Number of keys can't be negative");
  if (numkeys > args.length - 3)
    throw new ReplyError("ERR Number of keys can't be greater than number of args");
  return { keys: args.slice(3, 3 + numkeys), argv: args.slice(3 + numkeys) };
}

function evalScript(readOnly: boolean): CommandSpec {
  return {
    arity: -3,
    noscript: true,
    run({ scripts }: CommandContext, args) {
      const { keys, argv } = keysAndArgs(args);
      return scripts.run(scripts.load(args[1] as string), keys, argv, readOnly);
    },
  };
}

function evalSha(readOnly: boolean): CommandSpec {
  return {
    arity: -3,
    noscript: true,
    run({ scripts }, args) {
      const { keys, argv } = keysAndArgs(args);
      const sha = args[1] as string;
      if (!scripts.has(sha)) throw new ReplyError('NOSCRIPT No matching script. Please use EVAL.');
      return scripts.run(sha, keys, argv, readOnly);
    },
  };
}

/** Scripting commands by lower-case name. */
export const scriptCommands: Record<string, CommandSpec> = {
  eval: evalScript(false),
  eval_ro: evalScript(true),
  evalsha: evalSha(false),
  evalsha_ro: evalSha(true),
  script: {
    arity: -2,
    noscript: true,
    run({ scripts }, args) {
      const sub = (args[1] as string).toUpperCase();
      if (sub === 'LOAD' && args.length === 3) return Buffer.from(scripts.load(args[2] as string));
      if (sub === 'EXISTS' && args.length >= 3) return args.slice(2).map((sha) => (scripts.has(sha) ? 1 : 0));
      if (sub === 'FLUSH' && args.length <= 3) {
        scripts.flush();
        return 'OK';
      }
      throw new ReplyError(
        `ERR unknown subcommand or wrong number of arguments for '${args[1]}'. Try SCRIPT HELP.`,
      );
    },
  },
};
