import { createApp } from './http/app';

/**
 * The Worker entry: wiring only. `edgeAuth` and `createApp` are also exported
 * for use inside other Hono apps.
 */
const app = createApp();

export default app;
export { type Config, parseConfig } from './config';
export type { Env } from './env';
export { createApp, sessionJson } from './http/app';
export { type EdgeAuthOptions, type EdgeAuthVariables, edgeAuth } from './http/middleware';
export { buildServices, type EdgeAuthServices, servicesFromEnv } from './services';
export type { AuthSession, SessionCache, SessionStore } from './session/types';
