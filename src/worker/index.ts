/**
 * `edge-auth/worker`: the edge-auth Worker. Its default export is the
 * Worker itself (`main` in wrangler.toml); `createApp` builds the same app
 * for composition, and `workerServices` the services it reads from the
 * Worker's bindings. Importing this entry runs nothing: the app is built on
 * the first request.
 *
 * @example
 * // wrangler.toml: main = "node_modules/edge-auth/dist/worker.js"
 * export { default } from 'edge-auth/worker';
 */
import type { Hono } from 'hono';
import type { Env } from '../env';
import { createApp } from './app';
import type { WorkerEnv } from './env';

export { type AppOptions, createApp } from './app';
export type { WorkerEnv } from './env';
export { type Adapters, type WorkerServices, workerServices } from './services';

let app: Hono<WorkerEnv> | undefined;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    app ??= createApp();
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
