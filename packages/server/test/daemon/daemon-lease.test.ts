// One controller per registry, end to end: two workspaces pointing at ONE PostgreSQL registry (rows and artifacts);
// the second daemon is refused naming the first; while PostgreSQL is down the running service keeps answering and the
// daemon changes nothing; when it is back the daemon retakes its lease and accepts changes again.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient } from '@tachyon-serve/client';
import { createWorkspace, openRegistry } from '@tachyon-serve/core';
import { isTachyonError } from '@tachyon-serve/protocol';
import { startDaemon } from '../../src/daemon/index.js';
import { ORANGE, killProcessesUnder, sampleImage, waitUntil } from '@tachyon-serve/test-support';
import { INT8_FILE, MODEL, TEST_SUPERVISOR, modelFile } from '@tachyon-serve/test-support/daemon';
import { startPostgresServer } from '@tachyon-serve/test-support/postgres';

test('a second daemon on the same PostgreSQL registry is refused; a PostgreSQL outage pauses the controller, services keep serving', async (t) => {
  const server = await startPostgresServer();
  t.after(() => server.stop());
  const url = await server.createDatabase('lease');
  const base = await mkdtemp(join(tmpdir(), 'tachyon-lease-'));
  const first = join(base, 'a');
  const second = join(base, 'b');
  process.env['TACHYON_CACHE_DIR'] = join(base, 'cache');
  t.after(async () => {
    delete process.env['TACHYON_CACHE_DIR'];
    killProcessesUnder(base);
    await rm(base, { recursive: true, force: true });
  });
  // One URL is the whole state: registry rows and artifacts (large objects).
  const registry = await openRegistry(await createWorkspace(first, { registry: url, artifacts: url }));
  await registry.register(modelFile(INT8_FILE), MODEL);
  await registry.close();
  await createWorkspace(second, { registry: url, artifacts: url });

  const lines: string[] = [];
  const daemon = await startDaemon({
    workspace: first,
    supervisor: TEST_SUPERVISOR,
    lease: { checkIntervalMs: 200 },
    log: (m) => void lines.push(m),
  });
  t.after(() => daemon.close());
  await assert.rejects(
    startDaemon({ workspace: second, log: () => undefined }),
    (e: unknown) =>
      isTachyonError(e, 'TCH_ERR_DAEMON_LEASE_HELD') &&
      typeof e.details?.['holder'] === 'string' &&
      e.message.includes(String(process.pid)),
  );

  await daemon.controller.apply('vision', { model: { name: MODEL, version: 1 } });
  const status = await waitUntil(
    async () => {
      const s = await daemon.controller.status('vision');
      return s.state === 'Healthy' && s.httpUrl !== undefined ? s : undefined;
    },
    'the service is Healthy',
    120_000,
  );
  const keys = await daemon.controller.keys('vision');
  const client = createClient({ url: status.httpUrl!, key: keys.primary, timeoutMs: 30_000 });
  t.after(() => client.close());
  const orange = sampleImage(ORANGE.file);
  assert.equal((await client.classify('vision', orange, { top: 1 }))[0]!.top[0]!.index, ORANGE.index);

  await server.pause();
  await waitUntil(() => daemon.controller.paused !== undefined, 'the controller pauses', 20_000);
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await client.classify('vision', orange, { top: 1 }))[0]!.top[0]!.index,
      ORANGE.index,
      'still serving',
    );
  await assert.rejects(
    daemon.controller.apply('other', { model: { name: MODEL, version: 1 } }),
    (e: unknown) => isTachyonError(e, 'TCH_ERR_DAEMON_UNAVAILABLE') && e.details?.['paused'] === true,
  );
  await assert.rejects(daemon.controller.delete('vision'), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_DAEMON_UNAVAILABLE'),
  );

  await server.resume();
  await waitUntil(() => daemon.controller.paused === undefined, 'the lease is retaken', 20_000);
  assert.ok(
    lines.some((l) => l.includes('controller lease retaken')),
    lines.join('\n'),
  );
  assert.equal((await daemon.controller.status('vision')).state, 'Healthy');
  assert.equal((await client.classify('vision', orange, { top: 1 }))[0]!.top[0]!.index, ORANGE.index);
  assert.deepEqual(await daemon.controller.delete('vision'), ['vision'], 'changes are accepted again');
  await assert.rejects(startDaemon({ workspace: second, log: () => undefined }), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_DAEMON_LEASE_HELD'),
  );
});
