// The daemon API's errors (auth, unknown services, invalid specs, unregistered models) and the Failed state: a
// service whose model cannot load any more is not restarted forever; waitForService reports why, with log lines.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isAlive } from '@tachyon-serve/core';
import { isTachyonError } from '@tachyon-serve/protocol';
import { DaemonClient } from '../../src/daemon/index.js';
import { waitUntil } from '@tachyon-serve/test-support';
import {
  daemonWorkspace,
  INT8_FILE,
  MODEL,
  modelFile,
  openTestRegistry,
  startTestDaemon,
} from '@tachyon-serve/test-support/daemon';

function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { code?: string; error?: string } }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      })
      .on('error', reject);
  });
}

test('daemon API: token auth, not found, invalid spec (every issue), unregistered model; the token file is 0600', async (t) => {
  const root = await daemonWorkspace(t);
  const daemon = await startTestDaemon(root);
  const tokenFile = join(root, '.tachyon', 'daemon.token');
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
  assert.equal(JSON.parse(readFileSync(join(root, '.tachyon', 'daemon.json'), 'utf8')).url, daemon.url);

  const missing = await rawGet(`${daemon.url}/v1/services`, {});
  assert.deepEqual([missing.status, missing.body.code], [401, 'TCH_ERR_AUTH_MISSING']);
  await assert.rejects(new DaemonClient(daemon.url, 'not-the-token').listServices(), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_AUTH_INVALID'),
  );
  await assert.rejects(
    daemon.getService('nothing'),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND') && /"nothing"/.test(e.message),
  );
  await assert.rejects(daemon.getService('Bad_Name'), (e: unknown) => isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'));
  await assert.rejects(
    daemon.deploy('vision', {
      model: { name: MODEL, version: 1 },
      workers: 0,
      canary: { model: { name: MODEL, version: 1 }, percent: 5 },
    }),
    (e: unknown) => {
      assert.ok(isTachyonError(e, 'TCH_ERR_CONFIG_INVALID'));
      assert.equal((e.details!['issues'] as string[]).length, 2);
      return true;
    },
  );
  await assert.rejects(daemon.deploy('vision', { model: { name: MODEL, version: 7 } }), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_REGISTRY_MODEL_NOT_FOUND'),
  );
  assert.deepEqual(await daemon.listServices(), [], 'nothing was written by the refused deploys');
  const unknownRoute = await rawGet(`${daemon.url}/v1/nope`, {
    authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`,
  });
  assert.deepEqual([unknownRoute.status, unknownRoute.body.code], [404, 'TCH_ERR_IO_NOT_FOUND']);
  await assert.rejects(new DaemonClient('http://127.0.0.1:1', 'x').health(), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_DAEMON_UNAVAILABLE'),
  );
});

test('a service whose model is gone ends Failed (no endless restarts) with the reason and log lines; a redeploy retries', async (t) => {
  const root = await daemonWorkspace(t);
  const daemon = await startTestDaemon(root);
  await daemon.deploy('vision', { model: { name: MODEL, version: 1 } });
  const healthy = await daemon.waitForService('vision', { timeoutMs: 120_000 });
  const registry = await openTestRegistry(t, root);
  await registry.delete(MODEL, 1, { force: true });
  process.kill(healthy.pid!, 'SIGKILL');

  // The kill makes it Unhealthy first; the restart cannot load the model and gives up at once.
  const failed = await waitUntil(
    async () => {
      const s = await daemon.getService('vision');
      return s.state === 'Failed' && s;
    },
    'the service is Failed',
    120_000,
  );
  const error = await daemon.waitForService('vision', { timeoutMs: 120_000 }).then(
    () => assert.fail('expected TCH_ERR_DEPLOY_FAILED'),
    (e: unknown) => e,
  );
  assert.ok(isTachyonError(error, 'TCH_ERR_DEPLOY_FAILED'), String(error));
  assert.ok(Array.isArray(error.details!['logLines']) && (error.details!['logLines'] as string[]).length > 0);
  assert.match(failed.reason!, /classifier/, 'the reason names the missing model');
  assert.match(failed.reason!, /Last log lines: /);
  assert.equal(failed.pid, undefined);
  assert.equal(failed.restarts, 1, 'restarted once, then no more: the model cannot load');
  assert.equal(isAlive(healthy.pid!), false);

  await registry.register(modelFile(INT8_FILE), MODEL);
  const redeployed = await daemon.deploy('vision', { model: { name: MODEL, version: 2 } });
  assert.equal(redeployed.changed, true);
  assert.equal((await daemon.waitForService('vision', { generation: 2, timeoutMs: 120_000 })).state, 'Healthy');
});
