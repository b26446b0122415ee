// The worker of WorkerPeerClassifier: one onnxruntime session, one run per message, logits transferred back.
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';

interface Init {
  modelPath: string;
  input: string;
  output: string;
  intraOpNumThreads: number;
  intraOpSpinning: boolean;
}

const init = workerData as Init;
const port = parentPort!;
const session = await ort.InferenceSession.create(init.modelPath, {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  intraOpNumThreads: init.intraOpNumThreads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: init.intraOpSpinning ? '1' : '0' } } },
});
port.on('message', (message: { id: number; data: Float32Array; dims: number[] }) => {
  void session.run({ [init.input]: new ort.Tensor('float32', message.data, message.dims) }).then((result) => {
    const out = new Float32Array(result[init.output]!.data as Float32Array);
    port.postMessage({ id: message.id, out }, [out.buffer]);
  });
});
port.postMessage({ id: 0, ready: true });
