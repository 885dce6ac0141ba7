import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DJANGO_VERSIONS, loadDjangoFixture } from '../../test/fixtures/django-sessions/support';
import { COMPATIBILITY_DATE } from '../config/defaults';

/**
 * The core where it will run: the golden cases of every Django version and a
 * few signed values Django never makes (a truncated zlib stream, a zip bomb),
 * judged inside workerd, whose Web Crypto, `atob` and `DecompressionStream`
 * are not Node's. The Worker is bundled with esbuild as a platform-neutral
 * module, so a Node API anywhere in src/django fails the bundle.
 */

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/django-sessions/', import.meta.url));

const ENTRY = `
import { importFixtureKeys, judgeDjangoCase } from './judge';
import { deflate, djangoDumps } from './sign';
import { readDjangoSession } from '../../../src/django/index';
import { base64urlEncode as b64, importHmacKey, utf8 } from '../../../src/django/encoding';
${DJANGO_VERSIONS.map((v, i) => `import f${i} from './django-${v}.json';`).join('\n')}

async function oddValues() {
  const raw = crypto.getRandomValues(new Uint8Array(32));
  const imported = await importHmacKey(raw);
  const whole = await deflate(utf8('{"_auth_user_id":"1","_auth_user_backend":"b"}'));
  const values = {
    truncated: await djangoDumps(new Uint8Array(), raw, { signedAt: 1, rawBody: '.' + b64(whole.subarray(0, whole.length - 6)) }),
    bomb: await djangoDumps(new Uint8Array(4 << 20).fill(32), raw, { signedAt: 1, compress: true }),
    valid: await djangoDumps(whole, raw, { signedAt: 1, rawBody: '.' + b64(whole) }),
  };
  const out = {};
  for (const [name, value] of Object.entries(values)) {
    out[name] = await readDjangoSession(value, { keys: [imported], allowedBackends: ['b'] });
  }
  return out;
}

export default {
  async fetch() {
    const verdicts = {};
    for (const fixture of [${DJANGO_VERSIONS.map((_, i) => `f${i}`).join(', ')}]) {
      const keys = await importFixtureKeys(fixture.keys);
      for (const c of fixture.cases) verdicts[fixture.django + ' ' + c.id] = await judgeDjangoCase(fixture, keys, c);
    }
    return Response.json({ verdicts, odd: await oddValues() });
  },
};
`;

let mf: Miniflare;

beforeAll(async () => {
  const bundle = await build({
    stdin: { contents: ENTRY, resolveDir: FIXTURES, loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
  });
  mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: COMPATIBILITY_DATE,
  });
  await mf.ready;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
});

describe('the Django core in workerd', () => {
  it('gives every golden case of Django 3.2, 4.2 and 5.2 its verdict, and refuses odd signed values', async () => {
    const response = await mf.dispatchFetch('http://localhost/');
    const { verdicts, odd } = (await response.json()) as {
      verdicts: Record<string, unknown>;
      odd: Record<string, unknown>;
    };
    const expected: Record<string, unknown> = {};
    for (const version of DJANGO_VERSIONS) {
      const fixture = loadDjangoFixture(version);
      for (const c of fixture.cases) expected[`${fixture.django} ${c.id}`] = c.edge;
    }
    expect(verdicts).toEqual(expected);
    expect(odd).toEqual({
      truncated: { ok: false, stage: 'payload', reason: 'undecodable' },
      bomb: { ok: false, stage: 'payload', reason: 'too-large' },
      valid: { ok: true, user: { userId: '1', backend: 'b' }, signatureKey: 0, signedAt: 1 },
    });
  });
});
