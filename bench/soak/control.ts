// The control isolate: a Worker that does nothing but relay to the origin and
// print one log line, run in its own workerd process next to edge-auth's.
// workerd's own native memory grows with the requests it serves, whatever the
// Worker does (measured on this machine: a Worker answering 'ok' went from 60
// to ~250 MiB RSS over 40,000 requests while its JS heap stayed under 1 MiB).
// The control receives as many requests as edge-auth's first isolate, so its
// RSS growth is that runtime share, and edge-auth's growth beyond it is its own.

/** The control Worker's module source (inline: nothing to bundle). */
export const CONTROL_SOURCE = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const res = await fetch(env.ORIGIN_URL + url.pathname + url.search);
    const body = await res.arrayBuffer();
    console.log(JSON.stringify({ msg: 'control', status: res.status, bytes: body.byteLength }));
    return new Response(body, { status: res.status, headers: res.headers });
  },
};
`;
