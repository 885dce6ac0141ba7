import { Miniflare } from 'miniflare';
import type { Env } from '../../src/env';
import { bundledWorker, type Stack } from './stack';

/**
 * The bundled Worker on a real TCP port of 127.0.0.1, for clients that are not in this
 * process (nginx, Caddy). Built like `stack.worker()` — same bundle, same bindings — but
 * listening on a free port; the caller disposes it.
 *
 * @example
 * const worker = await startListeningWorker(stack);
 * worker.address // '127.0.0.1:41234', what a proxy config names
 * await worker.dispose();
 */
export async function startListeningWorker(stack: Stack, overrides: Partial<Env> = {}) {
  const mf = new Miniflare({
    ...bundledWorker(),
    bindings: stack.env(overrides),
    host: '127.0.0.1',
    port: 0,
  });
  let url: URL;
  try {
    url = await mf.ready;
  } catch (err) {
    await mf.dispose().catch(() => undefined);
    throw err;
  }
  return {
    /** `http://127.0.0.1:<port>` */
    url: url.origin,
    /** `127.0.0.1:<port>` */
    address: url.host,
    dispose: () => mf.dispose(),
  };
}

export type ListeningWorker = Awaited<ReturnType<typeof startListeningWorker>>;
