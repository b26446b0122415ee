import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createWorkspace, readAdminKey } from '@tachyon-serve/core';
import { readDaemonToken, daemonPaths } from '../../src/daemon/daemon-files.js';
import { startDaemon } from '../../src/daemon/start-daemon.js';

test('the daemon serves /ui/api behind the admin key, with its own limits and error codes (no service running)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-ui-api-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = await createWorkspace(dir);
  const daemon = await startDaemon({ workspace: dir, log: () => undefined });
  t.after(() => daemon.close());
  const key = await readAdminKey(config);
  const token = (await readDaemonToken(daemonPaths(dir)))!;
  const call = async (path: string, init: RequestInit = {}, bearer: string | null = key) => {
    const res = await fetch(`${daemon.url}${path}`, {
      ...init,
      headers: {
        ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
        ...(init.headers as Record<string, string>),
      },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  };

  assert.deepEqual((await call('/ui/api/overview')).body, { workspace: config.name, models: [], services: [] });
  assert.equal((await call('/ui/api/overview', {}, null)).body['code'], 'TCH_ERR_AUTH_MISSING');
  assert.equal(
    (await call('/ui/api/overview', {}, token)).body['code'],
    'TCH_ERR_AUTH_INVALID',
    'the daemon token is not the admin key',
  );
  assert.equal((await call('/v1/services', {}, key)).status, 401, 'and the admin key is not the daemon token');
  assert.equal((await call('/v1/services', {}, token)).status, 200);
  const session = await call('/ui/api/session');
  assert.equal(session.headers.get('cache-control'), 'no-store');
  assert.match(session.headers.get('content-security-policy') ?? '', /default-src 'self'/);

  const image = { method: 'POST', headers: { 'content-type': 'image/jpeg' } };
  const big = await call('/ui/api/services/fish/classify', { ...image, body: Buffer.alloc(17 * 1024 * 1024) });
  assert.deepEqual([big.status, big.body['code']], [400, 'TCH_ERR_LIMIT_BODY_TOO_LARGE']);
  assert.equal((await call('/ui/api/services/fish/classify', image)).body['code'], 'TCH_ERR_IMAGE_EMPTY');
  assert.equal(
    (await call('/ui/api/services/fish/classify?top=0', { ...image, body: Buffer.alloc(8) })).body['code'],
    'TCH_ERR_CONFIG_INVALID',
  );
  assert.equal(
    (await call('/ui/api/services/fish/classify', { ...image, body: Buffer.alloc(8) })).body['code'],
    'TCH_ERR_SERVICE_NOT_FOUND',
  );
  assert.equal((await call('/ui/api/services/fish/metrics')).body['code'], 'TCH_ERR_SERVICE_NOT_FOUND');
  assert.equal((await call('/ui/api/models/nope/versions/1')).body['code'], 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND');
  assert.equal((await call('/ui/api/models/nope/versions/0')).body['code'], 'TCH_ERR_CONFIG_INVALID');
  const regenerate = await call('/ui/api/services/fish/keys/regenerate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"key":"admin"}',
  });
  assert.equal(regenerate.body['code'], 'TCH_ERR_CONFIG_INVALID', 'the admin key of a service never rotates from here');
});
