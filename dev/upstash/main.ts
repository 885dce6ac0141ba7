// Standalone local Upstash server:
//   npx tsx dev/upstash/main.ts [--port 8079] [--redis redis://127.0.0.1:6379] [--latency 0]
//                               [--replica-lag <ms>|manual]
// Without --redis it finds or starts one (falling back to the in-memory engine).
// The token is UPSTASH_REDIS_REST_TOKEN, else the development default.
import { parseArgs } from 'node:util';
import { DEV_REDIS_TOKEN, LOCAL_UPSTASH_PORT } from '../defaults';
import { ensureRedis } from '../services';
import { startUpstashServer } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(LOCAL_UPSTASH_PORT) },
    host: { type: 'string', default: '127.0.0.1' },
    redis: { type: 'string' },
    latency: { type: 'string', default: '0' },
    'replica-lag': { type: 'string' },
  },
});

const lag = values['replica-lag'];

const redis = await ensureRedis({ ...(values.redis ? { url: values.redis } : {}), log: console.log });
const server = await startUpstashServer({
  redisUrl: redis.url,
  token: process.env.UPSTASH_REDIS_REST_TOKEN || DEV_REDIS_TOKEN,
  host: values.host,
  port: Number(values.port),
  latencyMs: Number(values.latency),
  ...(lag === undefined
    ? {}
    : { replica: lag === 'manual' ? { mode: 'manual' } : { mode: 'lag', ms: Number(lag) } }),
});
const tokenSource = process.env.UPSTASH_REDIS_REST_TOKEN
  ? 'UPSTASH_REDIS_REST_TOKEN'
  : 'DEV_REDIS_TOKEN (dev/defaults.ts)';
console.log(`Upstash REST on ${server.url} (${server.kind} engine), token from ${tokenSource}`);
console.log(`  stats: curl ${server.url}/__stats   latency: curl -d '{"ms":40}' ${server.url}/__latency`);
console.log(
  `  replica: curl -d '{"mode":"lag","ms":500}' ${server.url}/__replica   sync: curl -X POST ${server.url}/__replica/sync`,
);

const shutdown = async () => {
  await server.close();
  await redis.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
