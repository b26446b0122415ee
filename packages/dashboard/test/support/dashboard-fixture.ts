import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { createWorkspace, isAlive, locateWorkspaceConfig, openRegistry, readAdminKey } from '@tachyon/core';
import type { ServiceStatus } from '@tachyon/protocol';
import { ensureDaemon, findDaemon, type DaemonClient } from '@tachyon/server';
import { ServiceDefinition, defaultClassifier, featurizerStage, imageStage } from 'tachyon';

/** The repository root (this file runs from packages/dashboard/dist/test/support/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../../../', import.meta.url)));

/** ../shared beside the repository, or $TACHYON_SHARED_DIR. */
export function sharedDir(): string {
  const dir = process.env['TACHYON_SHARED_DIR'] ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(join(dir, 'models'))) throw new Error(`shared data not found at ${dir}: set TACHYON_SHARED_DIR`);
  return dir;
}

export const sampleImage = (file: string): string => join(sharedDir(), 'images', 'imagenet-sample', file);

/** Fast supervisor timing (as packages/server/test/daemon): health checks every 300 ms. */
const TEST_SUPERVISOR = Object.freeze({ healthIntervalMs: 300, backoffInitialMs: 200, unhealthyAfter: 1, startTimeoutMs: 120_000 });

export interface DashboardWorkspace {
  dir: string;
  daemon: DaemonClient;
  adminKey: string;
  service: ServiceStatus;
}

/**
 * A temp workspace with the real MobileNetV2 int8 as a service definition (image -> featurizer -> classifier,
 * registered as `mnv2`), its daemon spawned as the CLI does, and `service` deployed Healthy over self-signed TLS.
 * Everything (daemon, service process, folder) is gone after the test.
 */
export async function dashboardWorkspace(t: TestContext, service: string): Promise<DashboardWorkspace> {
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-dashboard-'));
  t.after(async () => {
    await stopDaemon(dir);
    killProcessesUnder(dir);
    await rm(dir, { recursive: true, force: true });
  });
  const config = await createWorkspace(dir);
  const cacheDir = join(dir, 'cache');
  const def = new ServiceDefinition('mnv2-imagenet');
  def.pipeline.push(imageStage('torchvision224'), featurizerStage('mobilenetv2', { dtype: 'int8' }), defaultClassifier({ topK: 5 }));
  const zip = join(dir, 'model_def.zip');
  await def.save(zip, { sources: { modelPath: [join(sharedDir(), 'models')], cacheDir, allowDownload: false, env: {} } });
  const registry = await openRegistry(config);
  try {
    await registry.register(zip, 'mnv2', { description: 'MobileNetV2 int8 with the ImageNet head' });
  } finally {
    await registry.close();
  }
  const root = config.root;
  const daemon = await ensureDaemon(root, { env: { ...process.env, TACHYON_CACHE_DIR: cacheDir, TACHYON_DAEMON_SUPERVISOR: JSON.stringify(TEST_SUPERVISOR) } });
  await daemon.deploy(service, { model: { name: 'mnv2', version: 1 }, tls: 'self-signed' });
  const status = await daemon.waitForService(service, { timeoutMs: 180_000 });
  return { dir: root, daemon, adminKey: await readAdminKey(locateWorkspaceConfig(root)), service: status };
}

async function stopDaemon(root: string): Promise<void> {
  const client = await findDaemon(root).catch(() => undefined);
  if (client === undefined) return;
  const { pid } = await client.health();
  await client.shutdown().catch(() => undefined);
  for (const deadline = Date.now() + 60_000; isAlive(pid) && Date.now() < deadline; ) await sleep(50);
}

/** SIGKILLs every process whose command line names a path under `dir` (what a failed test may leave). */
function killProcessesUnder(dir: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** POSTs an image straight to the service (not through the dashboard) with `key`; resolves with the HTTP status. */
export function classifyDirect(status: ServiceStatus, key: string, image: string): Promise<number> {
  const body = readFileSync(image);
  const url = new URL(`/v1/services/${status.name}/classify`, status.httpUrl);
  return new Promise((done, fail) => {
    const req = https.request(url, {
      method: 'POST', ca: readFileSync(status.caFile!), agent: false,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg', 'content-length': String(body.length) },
    }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** Polls `check` until it returns something other than undefined/false (a bounded wait, not a timing assertion). */
export async function waitUntil<T>(check: () => T | Promise<T>, what: string, timeoutMs = 60_000): Promise<Exclude<T, undefined | false>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as Exclude<T, undefined | false>;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}
