import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET } from '../dev/defaults';
import { mintToken } from '../dev/tokens';

/**
 * `npm run token -- --user <id> --session <sid> [--ttl 3600]`: prints a token
 * signed with JWT_SECRET from the environment, else the local development secret.
 */
const { values } = parseArgs({
  options: {
    user: { type: 'string', default: 'demo-user' },
    session: { type: 'string', default: 'demo-session' },
    ttl: { type: 'string', default: '3600' },
  },
});
const ttlSeconds = Number(values.ttl);
if (!Number.isInteger(ttlSeconds)) {
  console.error('--ttl must be a whole number of seconds');
  process.exit(2);
}
const secret = process.env.JWT_SECRET ?? DEV_JWT_SECRET;
console.log(await mintToken({ secret, userId: values.user, sessionId: values.session, ttlSeconds }));
