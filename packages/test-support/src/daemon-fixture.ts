// A real workspace and its deployment daemon for tests: registered models, fast supervision, and everything (daemon,
// service processes, folder) gone after the test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createWorkspace, isAlive, openRegistry, type ModelRegistry } from '@tachyon-serve/core';
import { ensureDaemon, findDaemon, type DaemonClient } from '@tachyon-serve/server';
import { killProcessesUnder } from './processes.js';
import { sharedDir } from './shared-data.js';
import { waitUntil } from './wait.js';

/** v1: the int8 MobileNetV2 (QDQ); v2: its fp32 original. */
export const INT8_FILE = 'mobilenetv2-int8-qdq.onnx';
export const FP32_FILE = 'mobilenetv2-fp32.onnx';
export const MODEL = 'classifier';
export const modelFile = (file: string): string => join(sharedDir(), 'models', file);

/** Fast supervisor timing for tests (health checks every 300 ms, first restart after 200 ms). */
export const TEST_SUPERVISOR = Object.freeze({
  healthIntervalMs: 300,
  backoffInitialMs: 200,
  unhealthyAfter: 1,
  startTimeoutMs: 120_000,
});

/** A real workspace in a temp folder with `versions` registered as MODEL; every process started under it is ended after the test. */
export async function daemonWorkspace(t: TestContext, versions: readonly string[] = [INT8_FILE]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-daemon-ws-'));
  cleanUpWorkspace(t, dir);
  const registry = await openRegistry(await createWorkspace(dir));
  try {
    for (const file of versions) await registry.register(modelFile(file), MODEL);
  } finally {
    await registry.close();
  }
  return dir;
}

/** After the test: the daemon shut down, every process started under `dir` killed, the folder removed. */
export function cleanUpWorkspace(t: TestContext, dir: string): void {
  t.after(async () => {
    await stopDaemon(dir);
    killProcessesUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
}

/** The workspace's daemon, spawned detached by ensureDaemon (the path the SDK and CLI take); `env` is added. */
export function startTestDaemon(root: string, env: NodeJS.ProcessEnv = {}): Promise<DaemonClient> {
  return ensureDaemon(root, {
    env: { ...process.env, ...env, TACHYON_DAEMON_SUPERVISOR: JSON.stringify(TEST_SUPERVISOR) },
  });
}

/** Shuts the daemon down through its API and waits for its process to be gone. */
export async function stopDaemon(root: string): Promise<void> {
  const client = await findDaemon(root).catch(() => undefined);
  if (client === undefined) return;
  const { pid } = await client.health();
  await client.shutdown().catch(() => undefined);
  await waitUntil(() => !isAlive(pid), 'the daemon exits', 60_000);
}

/** Opens the workspace registry for a check, closed after the test. */
export async function openTestRegistry(t: TestContext, root: string): Promise<ModelRegistry> {
  const { locateWorkspaceConfig } = await import('@tachyon-serve/core');
  const registry = await openRegistry(locateWorkspaceConfig(root), { recover: false });
  t.after(() => registry.close());
  return registry;
}
