// A worker that does no work: it answers each message with a 1000-float output, transferred, as tachyon's
// session worker does. The round trip to it is the floor of any worker-thread runtime on this machine.
import { parentPort } from 'node:worker_threads';

const port = parentPort!;
port.on('message', (message: { id: number }) => {
  const out = new Float32Array(1000);
  port.postMessage({ id: message.id, out }, [out.buffer]);
});
