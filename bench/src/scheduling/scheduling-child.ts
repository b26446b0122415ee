// The server process of bench:scheduling, forked by run.ts so that server and load generator never share an event
// loop: tachyon via startServer() (as `tachyon serve`), serving the zoo's mobilenetv2-int8 three times under
// different scheduler settings: "batched" (dynamic batching, max 8), "single" (batching off) and "shed" (a queue of
// 4, for the overload run). The three share one worker pool, as models of one server do.
import { compileModelSources } from '@tachyon-serve/core';
import { startServer } from '@tachyon-serve/server';

export interface SchedulingChildConfig {
  modelsDir: string;
  cacheDir: string;
  maxBatchSize: number;
  shedQueueSize: number;
}

export interface SchedulingChildReady {
  type: 'ready';
  url: string;
  key: string;
  workers: number;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as SchedulingChildConfig;
  const model = 'mobilenetv2-int8';
  const server = await startServer({
    models: [
      { name: 'batched', source: model, scheduler: { batching: true, maxBatchSize: config.maxBatchSize } },
      { name: 'single', source: model, scheduler: { batching: false } },
      {
        name: 'shed',
        source: model,
        scheduler: { batching: true, maxBatchSize: config.maxBatchSize, maxQueueSize: config.shedQueueSize },
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
  const ready: SchedulingChildReady = {
    type: 'ready',
    url: server.httpUrl,
    key: server.keys!.primary,
    workers: server.config.workers,
  };
  process.send!(ready);
  process.on('message', (message: { type?: string }) => {
    if (message?.type === 'close') void server.close().then(() => process.exit(0));
  });
}

main().catch((error: unknown) => {
  process.stderr.write(
    `scheduling child failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  setTimeout(() => process.exit(1), 100).unref();
});
