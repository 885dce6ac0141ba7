// The baseline: no auth, no session, no database. It relays through the same
// `forward()` edge-auth uses, so edge-auth/passthrough isolates the cost of
// authentication rather than differences in proxy code.
import { forward } from '../../src/proxy/forward';

/** Bindings of the passthrough Worker. */
export interface PassthroughEnv {
  ORIGIN_URL: string;
}

export default {
  fetch(request, env) {
    return forward(request, new URL(env.ORIGIN_URL));
  },
} satisfies ExportedHandler<PassthroughEnv>;
