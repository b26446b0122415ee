// The server process of bench:server, forked by run.ts so that servers and client never share an event loop. It
// runs, side by side on 127.0.0.1 ephemeral ports:
//  - tachyon, started with startServer() exactly as `tachyon serve` does (generated keys, JSON request log, gRPC
//    port too), serving the no-op definition as "noop" and the zoo's "mobilenetv2-int8";
//  - a plain fastify app (fastify defaults: no logger, no hooks) whose handlers do the work a user would write
//    without tachyon: the no-op model with sharp + onnxruntime-node in the handler (and the same with tachyon's
//    preprocessImage in place of sharp), a fixed JSON answer, a ready route; for issue 15, a KServe v2 JSON echo of
//    the identity model's request and MobileNetV2 with tachyon's preprocessing and onnxruntime in a worker thread.
// Talks to the parent over the IPC channel only: 'ready' (urls, the key) once everything is warm, 'close' to stop.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';
import {
  compileModelSources,
  compilePreprocess,
  compileWorkerPoolOptions,
  imagenetClassNames,
  presetByName,
  resolveZooModel,
  zooEntry,
} from '@tachyon-serve/core';
import { startServer } from '@tachyon-serve/server';
import { NOOP, NOOP_LABELS, NOOP_PEER_PREPROCESS, NOOP_PREPROCESS } from './noop-model.js';
import { RawPeerClassifier, tachyonPreprocessor } from './raw-peer.js';
import { echoKserve } from './identity-model.js';
import { WorkerPeerClassifier } from './worker-peer.js';
import {
  IDENTITY_SERVICE,
  MOBILENET_SERVICE,
  NOOP_SERVICE,
  RESNET_SERVICE,
  type ChildConfig,
  type ChildFailed,
  type ChildReady,
} from './child-protocol.js';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as ChildConfig;
  const sources = compileModelSources({
    modelPath: [config.modelsDir],
    cacheDir: config.cacheDir,
    allowDownload: false,
    env: {},
  });
  const tachyon = await startServer({
    models: [
      ...(config.identityModel
        ? [{ name: IDENTITY_SERVICE, source: { kind: 'model' as const, ref: config.identityModel } }]
        : []),
      ...(config.resnetModel
        ? [
            {
              name: RESNET_SERVICE,
              source: {
                kind: 'model' as const,
                ref: config.resnetModel,
                preset: 'torchvision224',
                outputKind: 'logits' as const,
              },
            },
          ]
        : []),
      { name: NOOP_SERVICE, source: { kind: 'service-definition', path: config.noopZip } },
      ...(config.mobilenet ? [{ name: MOBILENET_SERVICE, source: MOBILENET_SERVICE }] : []),
    ],
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    sources,
  });

  const peer = await RawPeerClassifier.create({
    modelPath: config.noopModel,
    input: NOOP.input,
    output: NOOP.output,
    preprocess: NOOP_PEER_PREPROCESS,
    labels: NOOP_LABELS,
    outputKind: 'logits',
  });
  const fixed = { results: [{ file: null, top: await peer.classify(readFileSync(config.tinyJpeg), 5) }] };
  const plain = Fastify();
  plain.addContentTypeParser(
    ['image/jpeg', 'application/octet-stream'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  );
  plain.get('/v2/health/ready', async () => ({ ready: true }));
  plain.post('/static', async () => fixed);
  plain.post('/classify', async (request) => ({
    results: [{ file: null, top: await peer.classify(request.body as Buffer, 5) }],
  }));
  // The same handler with tachyon's preprocessImage in place of the peer's sharp code: same decoder as tachyon.
  const tachyonPreprocess = tachyonPreprocessor(compilePreprocess(NOOP_PREPROCESS));
  plain.post('/classify-tachyon-preprocess', async (request) => ({
    results: [{ file: null, top: await peer.classify(request.body as Buffer, 5, tachyonPreprocess) }],
  }));
  plain.post(`/v2/models/${IDENTITY_SERVICE}/infer`, async (request) =>
    echoKserve(IDENTITY_SERVICE, request.body as Parameters<typeof echoKserve>[1]),
  );
  let workerPeer: WorkerPeerClassifier | undefined;
  if (config.mobilenet) {
    const entry = zooEntry(MOBILENET_SERVICE);
    const { path } = await resolveZooModel(entry, sources);
    workerPeer = await WorkerPeerClassifier.create({
      modelPath: path,
      input: entry.input,
      output: entry.output,
      preprocess: presetByName(entry.preset),
      labels: imagenetClassNames(),
      outputKind: entry.outputKind,
    });
    const jpeg = readFileSync(config.tinyJpeg);
    for (let i = 0; i < 3; i++) await workerPeer.classify(jpeg, 5);
    const wp = workerPeer;
    plain.post('/classify-worker', async (request) => ({
      results: [{ file: null, top: await wp.classify(request.body as Buffer, 5) }],
    }));
  }
  await plain.listen({ host: '127.0.0.1', port: 0 });
  const address = plain.server.address();
  if (address === null || typeof address === 'string') throw new Error('plain fastify: no TCP address');

  const ready: ChildReady = {
    type: 'ready',
    tachyonUrl: tachyon.httpUrl,
    plainUrl: `http://127.0.0.1:${address.port}`,
    key: tachyon.keys!.primary,
    // What ModelHost's backend compiles from startServer's `workers` (intra-op threads = cores / workers).
    intraOpThreads: compileWorkerPoolOptions({ workers: tachyon.config.workers }).intraOpThreads,
    workers: tachyon.config.workers,
    peerIntraOpThreads: peer.intraOpNumThreads,
    intraOpSpinning: compileWorkerPoolOptions({ workers: tachyon.config.workers }).intraOpSpinning,
  };
  process.send!(ready);
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'close') return;
    void Promise.allSettled([tachyon.close(), plain.close(), peer.release(), workerPeer?.release()]).then(() =>
      process.exit(0),
    );
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `server child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  const failed: ChildFailed = { type: 'error', message: error instanceof Error ? error.message : String(error) };
  process.send?.(failed);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100).unref();
});
