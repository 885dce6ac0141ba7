// The three Upstash REST command routes (`/`, `/pipeline`, `/multi-exec`):
// JSON to Redis arguments, the refusals a shared HTTP front must make, and
// replies back to Upstash's JSON. Commands run through the replica model,
// which relays to the primary engine unless a lag is set.
import { type Reply, ReplyError } from './engine';
import type { Replica } from './replica';
import { refusal, toArgs, toEntry } from './wire';

/** A route's answer: status, JSON body and, with the replica on, the sync token for the header. */
export type Outcome = { status: number; body: unknown; syncToken?: string };

/** An Upstash error answer. */
export const bad = (error: string, status = 400): Outcome => ({ status, body: { error } });

const synced = (outcome: Outcome, syncToken: string | undefined): Outcome =>
  syncToken === undefined ? outcome : { ...outcome, syncToken };

type Route = (body: unknown, base64: boolean, syncToken?: string) => Promise<Outcome>;

/**
 * The routes; `count` sees every command that runs (refused ones do not).
 * @example const routes = createCommandRoutes({ replica, count }); await routes.one(['GET', 'k'], false);
 */
export function createCommandRoutes(options: { replica: Replica; count: (commands: string[][]) => void }): {
  one: Route;
  pipeline: Route;
  transaction: Route;
} {
  const { replica, count } = options;

  /** A non-empty array of commands, or why not. */
  function commandsOf(body: unknown, route: string): string[][] | Outcome {
    if (!Array.isArray(body) || body.length === 0)
      return bad(`ERR ${route} body must be a non-empty array of commands`);
    const parsed = body.map(toArgs);
    const malformed = parsed.find((p) => typeof p === 'string');
    return malformed === undefined ? (parsed as string[][]) : bad(malformed);
  }

  return {
    async one(body, base64, sync) {
      const args = toArgs(body);
      if (typeof args === 'string') return bad(args);
      const refused = refusal(args);
      if (refused) return bad(refused);
      count([args]);
      const { replies, syncToken } = await replica.pipeline([args], sync);
      const entry = toEntry(replies[0] as Reply, base64);
      return synced({ status: 'error' in entry ? 400 : 200, body: entry }, syncToken);
    },

    async pipeline(body, base64, sync) {
      const all = commandsOf(body, 'pipeline');
      if (!Array.isArray(all)) return all;
      // Refused commands answer in place; the rest still run, as in a Redis pipeline.
      const refusals = all.map(refusal);
      const runnable = all.filter((_, i) => refusals[i] === null);
      count(runnable);
      const { replies, syncToken } =
        runnable.length > 0 ? await replica.pipeline(runnable, sync) : { replies: [], syncToken: undefined };
      let next = 0;
      const entries = all.map((_, i) => {
        const refused = refusals[i];
        return refused ? { error: refused } : toEntry(replies[next++] as Reply, base64);
      });
      return synced({ status: 200, body: entries }, syncToken);
    },

    async transaction(body, base64, sync) {
      const all = commandsOf(body, 'transaction');
      if (!Array.isArray(all)) return all;
      const refused = all.map(refusal).find((r) => r !== null);
      if (refused)
        return bad(`EXECABORT Transaction discarded because of previous errors. First error: ${refused}`);
      count(all);
      const { replies, syncToken } = await replica.transaction(all, sync);
      if (replies instanceof ReplyError) return bad(replies.message);
      return synced({ status: 200, body: replies.map((r) => toEntry(r, base64)) }, syncToken);
    },
  };
}
