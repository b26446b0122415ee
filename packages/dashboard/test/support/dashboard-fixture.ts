import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createWorkspace, locateWorkspaceConfig, openRegistry, readAdminKey } from '@tachyon-serve/core';
import type { ServiceStatus } from '@tachyon-serve/protocol';
import type { DaemonClient } from '@tachyon-serve/server';
import { ServiceDefinition, defaultClassifier, featurizerStage, imageStage } from 'tachyon-serve';
import { sharedDir } from '@tachyon-serve/test-support';
import { cleanUpWorkspace, startTestDaemon } from '@tachyon-serve/test-support/daemon';

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
  cleanUpWorkspace(t, dir);
  const config = await createWorkspace(dir);
  const cacheDir = join(dir, 'cache');
  const def = new ServiceDefinition('mnv2-imagenet');
  def.pipeline.push(
    imageStage('torchvision224'),
    featurizerStage('mobilenetv2', { dtype: 'int8' }),
    defaultClassifier({ topK: 5 }),
  );
  const zip = join(dir, 'model_def.zip');
  await def.save(zip, {
    sources: { modelPath: [join(sharedDir(), 'models')], cacheDir, allowDownload: false, env: {} },
  });
  const registry = await openRegistry(config);
  try {
    await registry.register(zip, 'mnv2', { description: 'MobileNetV2 int8 with the ImageNet head' });
  } finally {
    await registry.close();
  }
  const root = config.root;
  const daemon = await startTestDaemon(root, { TACHYON_CACHE_DIR: cacheDir });
  await daemon.deploy(service, { model: { name: 'mnv2', version: 1 }, tls: 'self-signed' });
  const status = await daemon.waitForService(service, { timeoutMs: 180_000 });
  return { dir: root, daemon, adminKey: await readAdminKey(locateWorkspaceConfig(root)), service: status };
}

/** POSTs an image straight to the service (not through the dashboard) with `key`; resolves with the HTTP status. */
export function classifyDirect(status: ServiceStatus, key: string, image: string): Promise<number> {
  const body = readFileSync(image);
  const url = new URL(`/v1/services/${status.name}/classify`, status.httpUrl);
  return new Promise((done, fail) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        ca: readFileSync(status.caFile!),
        agent: false,
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'image/jpeg',
          'content-length': String(body.length),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => done(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}
