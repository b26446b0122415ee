// The deployment daemon end to end, with real `tachyon serve` processes and the real MobileNetV2 from the registry:
// deploy -> Healthy -> HTTPS classify; idempotent deploys; crash (kill -9) -> restarted; daemon restart -> the
// services come back; delete leaves no process, file or row behind.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createClient } from '@tachyon-serve/client';
import { isAlive } from '@tachyon-serve/core';
import { isTachyonError, type ServiceState } from '@tachyon-serve/protocol';
import { ensureDaemon, startDaemon } from '../../src/daemon/index.js';
import { ORANGE, sampleImage, waitUntil } from '@tachyon-serve/test-support';
import {
  daemonWorkspace,
  MODEL,
  openTestRegistry,
  startTestDaemon,
  stopDaemon,
} from '@tachyon-serve/test-support/daemon';

const orange = sampleImage(ORANGE.file);
const SPEC = { model: { name: MODEL, version: 1 }, tls: 'self-signed' as const };

describe('deployment daemon: lifecycle', () => {
  test('deploy -> Healthy -> classify over HTTPS with the key and the CA file; same spec again changes nothing; keys rotate', async (t) => {
    const root = await daemonWorkspace(t);
    const daemon = await startTestDaemon(root);
    const first = await daemon.deploy('vision', SPEC);
    assert.equal(first.changed, true);
    assert.equal(first.status.state, 'Transitioning');
    assert.equal(first.status.generation, 1);
    const status = await daemon.waitForService('vision', { timeoutMs: 120_000 });
    assert.match(status.httpUrl!, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(status.scoringUri, `${status.httpUrl}/v1/services/vision/classify`);
    assert.equal(status.caFile, join(root, '.tachyon', 'services', 'vision', 'tls', 'server.crt'));
    assert.ok(isAlive(status.pid!));

    const keys = await daemon.getKeys('vision');
    const keysFile = join(root, '.tachyon', 'services', 'vision', 'keys.json');
    assert.equal(statSync(keysFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(root, '.tachyon', 'services', 'vision', 'tls', 'server.key')).mode & 0o777, 0o600);
    assert.equal(JSON.parse(readFileSync(keysFile, 'utf8')).primary, keys.primary);
    const client = createClient({
      url: status.httpUrl!,
      key: keys.primary,
      ca: readFileSync(status.caFile!),
      timeoutMs: 30_000,
    });
    t.after(() => client.close());
    const [result] = await client.classify('vision', orange, { top: 1 });
    assert.equal(result!.top[0]!.index, ORANGE.index);

    const again = await daemon.deploy('vision', { tls: 'self-signed', model: { version: 1, name: MODEL } });
    assert.equal(again.changed, false);
    assert.equal(again.status.pid, status.pid, 'same process');
    assert.equal(again.status.generation, 1);

    const rotated = await daemon.regenerateKey('vision', 'primary');
    assert.notEqual(rotated.primary, keys.primary);
    assert.equal(rotated.secondary, keys.secondary);
    await assert.rejects(
      client.classify('vision', orange),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_AUTH_INVALID'),
      'the old primary is refused',
    );
    const fresh = createClient({ url: status.httpUrl!, key: rotated.primary, ca: readFileSync(status.caFile!) });
    t.after(() => fresh.close());
    assert.equal((await fresh.classify('vision', orange, { top: 1 }))[0]!.top[0]!.index, ORANGE.index);
    assert.deepEqual(
      (await daemon.listServices()).map((s) => s.name),
      ['vision'],
    );
    assert.ok(
      (await daemon.logs('vision', 50)).some((line) => line.includes('model ready')),
      'the server log is captured',
    );
  });

  test('kill -9 of the service process -> Unhealthy/Transitioning -> Healthy again with a new pid on the same URL', async (t) => {
    const root = await daemonWorkspace(t);
    const daemon = await startTestDaemon(root);
    await daemon.deploy('vision', SPEC);
    const before = await daemon.waitForService('vision', { timeoutMs: 120_000 });
    process.kill(before.pid!, 'SIGKILL');
    const seen = new Set<ServiceState>();
    const after = await waitUntil(
      async () => {
        const s = await daemon.getService('vision');
        seen.add(s.state);
        return s.state === 'Healthy' && s.pid !== undefined && s.pid !== before.pid && s;
      },
      'the service is Healthy with a new process',
      120_000,
    );
    assert.ok(seen.has('Unhealthy') || seen.has('Transitioning'), `states seen: ${[...seen].join(', ')}`);
    assert.equal(isAlive(before.pid!), false);
    assert.equal(after.restarts, 1);
    assert.equal(after.httpUrl, before.httpUrl, 'the ports the daemon picked are kept');
    const keys = await daemon.getKeys('vision');
    const client = createClient({ url: after.httpUrl!, key: keys.secondary, ca: readFileSync(after.caFile!) });
    t.after(() => client.close());
    assert.equal((await client.classify('vision', orange, { top: 1 }))[0]!.top[0]!.index, ORANGE.index);
  });

  test('daemon stop and start -> the service comes back (desired state is in the registry); a second daemon is refused', async (t) => {
    const root = await daemonWorkspace(t);
    const daemon = await startTestDaemon(root);
    await daemon.deploy('vision', SPEC);
    const first = await daemon.waitForService('vision', { timeoutMs: 120_000 });
    await assert.rejects(
      startDaemon({ workspace: root }),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_DAEMON_UNAVAILABLE') && e.details?.['running'] === true,
    );
    assert.equal((await ensureDaemon(root)).url, daemon.url, 'ensureDaemon finds the running daemon');

    await stopDaemon(root);
    await waitUntil(() => !isAlive(first.pid!), 'the service process is stopped with the daemon');
    assert.equal(existsSync(join(root, '.tachyon', 'daemon.json')), false);
    const registry = await openTestRegistry(t, root);
    assert.equal((await registry.store.getDeployment('vision'))?.name, 'vision', 'the row stays');

    const restarted = await startTestDaemon(root);
    assert.notEqual(restarted.url, daemon.url);
    const back = await restarted.waitForService('vision', { timeoutMs: 120_000 });
    assert.notEqual(back.pid, first.pid);
    assert.equal(back.httpUrl, first.httpUrl, 'same URL after the daemon restart');

    // A daemon killed outright: its service processes end with it (their stdin closes); the next one reconciles.
    const { pid: daemonPid } = await restarted.health();
    process.kill(daemonPid, 'SIGKILL');
    await waitUntil(() => !isAlive(daemonPid) && !isAlive(back.pid!), 'the daemon and its service process are gone');
    const third = await startTestDaemon(root);
    const again = await third.waitForService('vision', { timeoutMs: 120_000 });
    assert.ok(isAlive(again.pid!));
  });

  test('delete: no process, no folder, no row, no hold on the model; the model can then be deleted', async (t) => {
    const root = await daemonWorkspace(t);
    const daemon = await startTestDaemon(root);
    await daemon.deploy('vision', SPEC);
    const status = await daemon.waitForService('vision', { timeoutMs: 120_000 });
    const registry = await openTestRegistry(t, root);
    await assert.rejects(registry.delete(MODEL, 1), (e: unknown) => isTachyonError(e, 'TCH_ERR_REGISTRY_IN_USE'));

    assert.deepEqual(await daemon.deleteService('vision'), ['vision']);
    assert.equal(isAlive(status.pid!), false, 'the process is gone when delete answers');
    assert.equal(existsSync(join(root, '.tachyon', 'services', 'vision')), false);
    assert.equal(await registry.store.getDeployment('vision'), undefined);
    assert.deepEqual(await registry.store.deploymentRefs(MODEL), []);
    await assert.rejects(daemon.getService('vision'), (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND'));
    await assert.rejects(daemon.deleteService('vision'), (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND'),
    );
    assert.equal((await registry.delete(MODEL, 1)).length, 1);
  });
});
