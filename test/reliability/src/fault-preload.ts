// TEST-ONLY preload for the reliability suite (`node --import .../fault-preload.js tachyon serve ...`); never load it
// in production. It wraps worker_threads.Worker so that, after the process receives SIGUSR2, the next inference sent
// to an onnxruntime session worker is preceded by a message of an unknown type. The worker's message handler has no
// case for it, its reply callback throws, and the unhandled rejection ends the worker thread before it reads the
// inference that follows: the thread exits on its own with a request in flight, while onnxruntime is idle, and no
// hook inside @tachyon-serve/core is needed. (Worker.terminate() while onnxruntime runs is not used: it can abort the whole
// process, see docs/reliability.md.) Each spawn and each crash is logged as one JSON line on stderr
// ({"reliabilityPreload": ...}) so the suite can count replacements.
import { syncBuiltinESMExports } from 'node:module';
import workerThreads from 'node:worker_threads';

const Original = workerThreads.Worker;
let armed = false;
let spawned = 0;
const log = (event: Record<string, unknown>) =>
  process.stderr.write(`${JSON.stringify({ reliabilityPreload: event })}\n`);

class FaultableWorker extends Original {
  constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
    super(url, options);
    if (!String(url).endsWith('onnxruntime-worker.js')) return;
    const index = ++spawned;
    log({ event: 'spawn', worker: index, threadId: this.threadId });
    const post = this.postMessage.bind(this);
    this.postMessage = (message: unknown, transfer?: readonly workerThreads.TransferListItem[]) => {
      if (armed && (message as { type?: string } | null)?.type === 'run') {
        armed = false;
        log({ event: 'crash', worker: index, threadId: this.threadId });
        post({ type: 'reliability-crash', id: -1 });
      }
      post(message, transfer as workerThreads.TransferListItem[]);
    };
  }
}

(workerThreads as { Worker: typeof Original }).Worker = FaultableWorker;
syncBuiltinESMExports();
process.on('SIGUSR2', () => {
  armed = true;
  log({ event: 'armed' });
});
