// The deployment daemon under kill -9: a service process killed is restarted on the same URL; the daemon killed
// just after a deploy was accepted, and while a deploy request is in flight, leaves a consistent registry, and the
// next daemon brings every desired service back.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@tachyon-serve/client';
import { createWorkspace, isAlive, openRegistry } from '@tachyon-serve/core';
import { findDaemon, type DaemonClient } from '@tachyon-serve/server';
import type { CheckList } from './check.js';
import { ORANGE, sampleImage, sharedModels } from './paths.js';
import { checkRegistry } from './registry-consistency.js';
import { killProcessesUnder, waitUntil as waitUntilShared } from '@tachyon-serve/test-support';
import { startTestDaemon } from '@tachyon-serve/test-support/daemon';

const MODEL = 'classifier';
const SPEC = { model: { name: MODEL, version: 1 }, tls: 'none' as const };

const startDaemon = (root: string) => startTestDaemon(root);
/** Polls until `check` gives a value; a check that throws counts as "not yet" (the daemon may be restarting). */
const waitUntil = <T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 120_000): Promise<T> =>
  waitUntilShared(() => check().catch(() => undefined), what, timeoutMs, 100) as Promise<T>;

/** A classify call through the service's scoring URL with its key: the orange's class on top. */
async function serves(daemon: DaemonClient, name: string): Promise<boolean> {
  const status = await daemon.getService(name);
  const keys = await daemon.getKeys(name);
  const client = createClient({ url: status.httpUrl!, key: keys.primary, timeoutMs: 30_000 });
  try {
    const [result] = await client.classify(name, sampleImage(ORANGE.file), { top: 1 });
    return result?.top[0]?.index === ORANGE.index;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}

export async function runDaemonFaults(workDir: string, checks: CheckList): Promise<void> {
  const root = join(workDir, 'ws-daemon');
  const config = await createWorkspace(root);
  const registry = await openRegistry(config);
  await registry.register(join(sharedModels(), 'mobilenetv2-int8-qdq.onnx'), MODEL);
  await registry.close();
  let daemon = await startDaemon(root);
  try {
    await daemon.deploy('vision', SPEC);
    const first = await daemon.waitForService('vision', { timeoutMs: 120_000 });

    await checks.guard(
      'kill-service',
      'kill -9 of a service process',
      'the daemon restarts it: Healthy again, new pid, same URL, serving',
      async () => {
        process.kill(first.pid!, 'SIGKILL');
        const t0 = performance.now();
        const back = await waitUntil(async () => {
          const s = await daemon.getService('vision');
          return s.state === 'Healthy' && s.pid !== undefined && s.pid !== first.pid && s;
        }, 'vision is Healthy with a new process');
        const ms = Math.round(performance.now() - t0);
        const ok = await serves(daemon, 'vision');
        checks.check(
          'kill-service',
          'kill -9 of a service process',
          'the daemon restarts it: Healthy again, new pid, same URL, serving',
          `Healthy again after ${ms} ms, pid ${first.pid} -> ${back.pid}, restarts ${back.restarts}, URL ${back.httpUrl === first.httpUrl ? 'unchanged' : 'changed'}, classify ${ok ? 'ok' : 'fails'}`,
          back.httpUrl === first.httpUrl && ok && !isAlive(first.pid!),
          { recoveryMs: ms },
        );
      },
    );

    await checks.guard(
      'kill-daemon-after-deploy',
      'kill -9 of the daemon right after a deploy was accepted (service starting)',
      'registry consistent; the next daemon brings both services back Healthy',
      async () => {
        const accepted = await daemon.deploy('vision2', SPEC);
        const { pid } = await daemon.health();
        process.kill(pid, 'SIGKILL');
        await waitUntil(async () => !isAlive(pid), 'the daemon is gone', 30_000);
        const state = await checkRegistry(root);
        daemon = await startDaemon(root);
        const both = await Promise.all(
          ['vision', 'vision2'].map((n) => daemon.waitForService(n, { timeoutMs: 120_000 })),
        );
        const ok = [await serves(daemon, 'vision'), await serves(daemon, 'vision2')];
        checks.check(
          'kill-daemon-after-deploy',
          'kill -9 of the daemon right after a deploy was accepted (service starting)',
          'registry consistent; the next daemon brings both services back Healthy',
          `deploy answered ${accepted.status.state}; after the kill: registry ${state.consistent ? 'consistent' : state.problems.join(', ')}, rows [${state.deployments.join(', ')}]; ` +
            `new daemon: ${both.map((s) => `${s.name} ${s.state}`).join(', ')}, classify ${ok.every(Boolean) ? 'ok on both' : 'fails'}`,
          state.consistent && state.deployments.includes('vision2') && ok.every(Boolean),
        );
      },
    );

    await checks.guard(
      'kill-daemon-during-deploy',
      'kill -9 of the daemon while a deploy request is in flight',
      'registry consistent; the retried deploy (idempotent) brings the service up; the others come back',
      async () => {
        const { pid } = await daemon.health();
        const request = daemon.deploy('vision3', SPEC).then(
          (r) => `answered ${r.status.state}`,
          (e: Error) => `failed: ${(e as { code?: string }).code ?? e.message}`,
        );
        // The PUT is on the wire: the daemon is killed while it records or starts the service.
        await sleep(5);
        process.kill(pid, 'SIGKILL');
        const answer = await request;
        await waitUntil(async () => !isAlive(pid), 'the daemon is gone', 30_000);
        const state = await checkRegistry(root);
        daemon = await startDaemon(root);
        const retried = await daemon.deploy('vision3', SPEC);
        const all = await Promise.all(
          ['vision', 'vision2', 'vision3'].map((n) => daemon.waitForService(n, { timeoutMs: 120_000 })),
        );
        const ok = await serves(daemon, 'vision3');
        const final = await checkRegistry(root);
        checks.check(
          'kill-daemon-during-deploy',
          'kill -9 of the daemon while a deploy request is in flight',
          'registry consistent; the retried deploy (idempotent) brings the service up; the others come back',
          `the deploy call ${answer}; registry after the kill ${state.consistent ? 'consistent' : state.problems.join(', ')} (vision3 row ${state.deployments.includes('vision3') ? 'written' : 'not written'}); ` +
            `retry: changed=${retried.changed}; ${all.map((s) => `${s.name} ${s.state}`).join(', ')}; classify ${ok ? 'ok' : 'fails'}; registry ${final.consistent ? 'consistent' : final.problems.join(', ')}`,
          state.consistent && final.consistent && ok,
        );
      },
    );
  } finally {
    const client = await findDaemon(root).catch(() => undefined);
    await client?.shutdown().catch(() => undefined);
    await sleep(500);
    killProcessesUnder(root);
  }
}
