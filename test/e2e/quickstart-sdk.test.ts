// The original quickstart through the public SDK against the real deployment daemon on 127.0.0.1: service definition,
// register, get-or-deploy (TLS self-signed, keys), wait, run/classify over HTTP and gRPC, keys and TLS enforced,
// idempotent deploy, then delete service and model and stop the daemon, leaving no process, folder or row.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createClient } from '@tachyon-serve/client';
import {
  Model,
  ServiceDefinition,
  Webservice,
  defaultClassifier,
  featurizerStage,
  imageStage,
  isTachyonError,
} from 'tachyon-serve';
import { KNOWN, SHARED_MODELS, alive, exited, noProcessesUsing, sample, tempWorkspace } from './support/e2e-support.js';

test('quickstart via the SDK: deploy over TLS with keys, HTTP and gRPC, then nothing left', async (t) => {
  const { ws, dir } = await tempWorkspace(t, 'e2e-sdk');

  const def = new ServiceDefinition('mnv2-imagenet');
  def.pipeline.push(
    imageStage('torchvision224'),
    featurizerStage('mobilenetv2', { dtype: 'int8' }),
    defaultClassifier({ topK: 5 }),
  );
  const zip = join(dir, 'model_def.zip');
  await def.save(zip, {
    sources: { modelPath: [SHARED_MODELS], cacheDir: join(dir, 'cache'), allowDownload: false, env: {} },
  });
  const model = await Model.register(ws, zip, 'mnv2');

  await assert.rejects(Webservice.get(ws, 'fish'), (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND'));
  const service = await Webservice.deployFromModel(ws, 'fish', [model], undefined, { tls: 'self-signed' });
  await service.waitForDeployment({ timeoutMs: 120_000 });
  assert.equal(service.state, 'Healthy');
  assert.match(service.scoringUri ?? '', /^https:\/\/127\.0\.0\.1:\d+\/v1\/services\/fish\/classify$/);
  const caFile = service.caFile!;
  assert.ok(existsSync(caFile), 'the CA file of the status exists');
  const pid = service.status.pid!;
  assert.ok(alive(pid));

  // Idempotent: the same spec again restarts nothing.
  const again = await Webservice.deployFromModel(ws, 'fish', [model], undefined, { tls: 'self-signed' });
  assert.equal(again.status.generation, service.status.generation);
  assert.equal(again.status.pid, pid);

  // run: every class confidence; classify: labelled top-5; HTTP and gRPC agree.
  const files = KNOWN.map((k) => sample(k.file));
  const http = await service.run(files);
  const grpc = await service.run(files, { protocol: 'grpc' });
  assert.deepEqual(
    http.map((row) => row.length),
    [1000, 1000, 1000],
  );
  assert.deepEqual(
    http.map((row) => row.indexOf(Math.max(...row))),
    KNOWN.map((k) => k.index),
  );
  http.forEach((row, i) =>
    assert.ok(
      row.every((v, j) => Math.abs(v - grpc[i]![j]!) < 1e-6),
      'same scores over gRPC',
    ),
  );
  for (const protocol of ['http', 'grpc'] as const) {
    const results = await service.classify(files, { protocol });
    assert.deepEqual(
      results.map((r) => r.top[0]!.label),
      KNOWN.map((k) => k.label),
      protocol,
    );
  }

  // Keys are required and checked on both protocols; a regenerated key replaces the old one.
  const keys = await service.getKeys();
  const wrong = 'x'.repeat(43);
  for (const protocol of ['http', 'grpc'] as const) {
    await assert.rejects(
      service.run(files[0]!, { protocol, key: wrong }),
      (e: unknown) => isTachyonError(e, 'TCH_ERR_AUTH_INVALID'),
      protocol,
    );
  }
  const rotated = await service.regenerateKey('secondary');
  assert.equal(rotated.primary, keys.primary);
  assert.notEqual(rotated.secondary, keys.secondary);
  assert.equal((await service.classify(files[0]!, { key: rotated.secondary })).top[0]!.label, KNOWN[0]!.label);

  // TLS: without the CA the handshake fails; with it (as the SDK does by itself) the call goes through.
  const url = new URL(service.scoringUri!).origin;
  const untrusted = createClient({ url, key: keys.primary, retries: 0 });
  t.after(() => untrusted.close());
  await assert.rejects(untrusted.classify('fish', readFileSync(files[0]!)), (e: unknown) =>
    isTachyonError(e, 'TCH_ERR_CLIENT_TLS_FAILED'),
  );
  const trusted = createClient({
    url,
    key: keys.primary,
    ca: readFileSync(caFile),
    protocol: 'grpc',
    grpcAddress: service.grpcAddress!,
  });
  t.after(() => trusted.close());
  assert.equal((await trusted.classify('fish', readFileSync(files[1]!)))[0]!.top[0]!.label, KNOWN[1]!.label);

  assert.ok((await service.getLogs({ tail: 5 })).length > 0, 'the service log has lines');

  // Delete service and model: no process, no service folder, no registry row.
  const serviceDir = join(ws.root, '.tachyon', 'services', 'fish');
  assert.ok(existsSync(serviceDir));
  await service.delete();
  await model.delete();
  await assert.rejects(Webservice.get(ws, 'fish'), (e: unknown) => isTachyonError(e, 'TCH_ERR_SERVICE_NOT_FOUND'));
  assert.deepEqual(await Webservice.list(ws), []);
  assert.deepEqual(await Model.list(ws), []);
  assert.equal(existsSync(serviceDir), false, 'the service folder is removed');
  assert.ok(await exited(pid), 'the service process is gone');

  const daemon = JSON.parse(readFileSync(join(ws.root, '.tachyon', 'daemon.json'), 'utf8')) as { pid: number };
  await ws.stopDaemon();
  assert.ok(await exited(daemon.pid), 'the daemon is gone');
  assert.deepEqual(await noProcessesUsing(ws.root), []);
});
