import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTachyonError } from '@tachyon-serve/protocol';
import { KeyStore, readKeysFile } from '../../src/serve/key-store.js';
import { compileServeOptions } from '../../src/serve/serve-options.js';
import { call } from '../serve/support/http-call.js';
import { startTestServer } from '../serve/support/serve-fixture.js';
import { INT8_FILE, REGISTERED, orange, registryWorkspace } from './registry-fixture.js';
import { tempDir } from '@tachyon-serve/test-support';

const KEYS = { primary: 'p'.repeat(24), secondary: 's'.repeat(24), admin: 'a'.repeat(24) };
const json = (body: unknown) => ({ 'content-type': 'application/json', body: Buffer.from(JSON.stringify(body)) });

test('startServer with no models, a workspace and a keys file with "admin": models are loaded later with the admin key', async (t) => {
  const ws = await registryWorkspace(t, [INT8_FILE]);
  const keysFile = join(tempDir(t, 'tachyon-serve-test-'), 'keys.json');
  writeFileSync(keysFile, JSON.stringify(KEYS), { mode: 0o600 });
  const { server, logs } = await startTestServer(t, { models: [], workspace: ws.dir, keysFile });
  assert.deepEqual(server.models, []);
  assert.equal(server.keys?.admin, KEYS.admin);
  assert.equal(server.adminKeyGenerated, false);
  assert.equal(
    (await call(`${server.httpUrl}/v2/health/ready`)).status,
    200,
    'an empty server with model control is ready',
  );

  const url = (path: string) => `${server.httpUrl}${path}`;
  const asAdmin = { authorization: `Bearer ${KEYS.admin}` };
  const asService = { authorization: `Bearer ${KEYS.primary}` };
  assert.equal((await call(url('/v2/repository/index'), { method: 'POST', headers: asService })).status, 401);
  const before = await call(url('/v2/repository/index'), { method: 'POST', headers: asAdmin });
  assert.deepEqual(before.body, [{ name: REGISTERED, version: '1', state: 'UNAVAILABLE', reason: 'not loaded' }]);
  const { body, ...headers } = json({ parameters: { version_policy: { latest: 1 } } });
  const loaded = await call(url(`/v2/repository/models/${REGISTERED}/load`), {
    method: 'POST',
    headers: { ...asAdmin, ...headers },
    body,
  });
  assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
  assert.deepEqual(server.models, [REGISTERED]);

  const infer = json({
    inputs: [{ name: 'images', datatype: 'BYTES', shape: [1], data: [{ b64: orange.toString('base64') }] }],
  });
  const answer = await call(url(`/v2/models/${REGISTERED}/infer`), {
    method: 'POST',
    headers: { ...asService, 'content-type': infer['content-type'] },
    body: infer.body,
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  assert.equal((answer.body as { model_version: string }).model_version, '1');
  assert.ok(!logs.join('').includes(KEYS.admin), 'the admin key is never logged');
});

test('without "admin" in the keys (generated keys) an admin key is generated: 256 bits, not a service key', async (t) => {
  const ws = await registryWorkspace(t, [INT8_FILE]);
  const { server, logs } = await startTestServer(t, { models: [], workspace: ws.dir });
  const admin = server.keys!.admin;
  assert.equal(server.adminKeyGenerated, true);
  assert.equal(Buffer.from(admin, 'base64url').length, 32);
  assert.ok(admin !== server.keys!.primary && admin !== server.keys!.secondary);
  const index = await call(`${server.httpUrl}/v2/repository/index`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}` },
  });
  assert.equal(index.status, 200);
  assert.ok(!logs.join('').includes(admin));
});

test('keys file "admin": optional, checked like the others, and different from the service keys', async (t) => {
  const file = join(tempDir(t, 'tachyon-serve-test-'), 'keys.json');
  writeFileSync(file, JSON.stringify({ primary: KEYS.primary, secondary: KEYS.secondary }), { mode: 0o600 });
  const store = await KeyStore.create({ file, auth: true });
  assert.equal(store.adminKeyGenerated, true);
  assert.deepEqual(store.accepted(), [KEYS.primary, KEYS.secondary], 'the admin key is no service key');
  assert.deepEqual(store.secrets(), [KEYS.primary, KEYS.secondary, store.adminKey]);
  const generated = store.adminKey;
  writeFileSync(file, JSON.stringify(KEYS));
  await store.reload();
  assert.equal(store.adminKey, generated, 'the admin key is read at startup only');
  for (const admin of ['short', KEYS.primary, 'has white space in it', 42]) {
    writeFileSync(file, JSON.stringify({ ...KEYS, admin }));
    await assert.rejects(
      readKeysFile(file),
      (e: unknown) =>
        isTachyonError(e, 'TCH_ERR_CONFIG_INVALID') && /"admin"/.test(e.message) && !e.message.includes(KEYS.primary),
    );
  }
});

test('an empty model list is allowed only with a workspace and model control enabled', () => {
  assert.throws(() => compileServeOptions({ models: [] }), /models: expected at least one/);
  assert.throws(
    () => compileServeOptions({ models: [], workspace: '/ws', modelControl: { enabled: false } }),
    TypeError,
  );
  assert.deepEqual(compileServeOptions({ models: [], workspace: '/ws' }).models, []);
});
