// The tachyon server process of the peer benchmark, forked by tachyon-server.ts so that server and load generator
// never share an event loop: startServer() exactly as `tachyon serve` runs it (generated keys, request log at info
// to the ignored stdout, HTTP and gRPC on 127.0.0.1 ephemeral ports, 1 worker, intra-op threads = cores, the default
// scheduler), serving one model as "m". Talks to the parent over IPC: 'ready' once the model is warm, 'close' to stop.
import { compileModelSources } from '@tachyon-serve/core';
import { startServer } from '@tachyon-serve/server';
import { SERVED_NAME, type TachyonChildConfig, type TachyonChildReady } from './tachyon-protocol.js';

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as TachyonChildConfig;
  const server = await startServer({
    models: [
      {
        name: SERVED_NAME,
        source: { kind: 'model', ref: config.ref, preset: 'torchvision224', outputKind: config.outputKind },
      },
    ],
    host: '127.0.0.1',
    httpPort: 0,
    grpcPort: 0,
    sources: compileModelSources({
      modelPath: [config.modelsDir],
      cacheDir: config.cacheDir,
      allowDownload: false,
      env: {},
    }),
  });
  const ready: TachyonChildReady = {
    type: 'ready',
    httpUrl: server.httpUrl,
    grpcAddress: server.grpcAddress,
    key: server.keys!.primary,
    workers: server.config.workers,
    scheduler: { batching: server.config.scheduler.batching, maxBatchSize: server.config.scheduler.maxBatchSize },
  };
  process.send!(ready);
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'close') void server.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `tachyon child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  setTimeout(() => process.exit(1), 100).unref();
});
