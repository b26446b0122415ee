import { Worker } from 'node:worker_threads';

/**
 * A bare worker thread that echoes a 1000-float reply: `roundTrip(feeds, transfer)` posts the input the way tachyon
 * posts a run (copied, or its buffer transferred) and waits for the reply, with no model and no validation.
 */
export class EchoWorker {
  #worker = new Worker(new URL('./echo-worker.js', import.meta.url));
  #pending = new Map<number, () => void>();
  #nextId = 1;

  constructor() {
    this.#worker.on('message', (reply: { id: number }) => {
      const resolve = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      resolve?.();
    });
  }

  roundTrip(data: Float32Array, transfer: boolean): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage(
        { id, type: 'run', feeds: { input: { dtype: 'float32', dims: [1, 3, 224, 224], data } } },
        transfer ? [data.buffer as ArrayBuffer] : [],
      );
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
