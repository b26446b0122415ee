// Worker thread entry: hosts onnxruntime sessions so that session.run() never blocks the main event loop.
import { parentPort, workerData } from 'node:worker_threads';
import ort from 'onnxruntime-node';
import { TachyonError } from '@tachyon-serve/protocol';
import { isDType, DTYPES } from '../tensor/dtypes.js';
import type { TensorMap } from '../tensor/tensor.js';
import type { IoSpec, ProviderAttempt } from './backend.js';
import type { ExecutionProvider, SessionConfig } from './session-options.js';
import { serveSharedChannel } from './shared-channel-worker.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-messages.js';

const port = parentPort!;
const { intraOpThreads, intraOpSpinning, channel } = workerData as WorkerInit;
const sessions = new Map<number, ort.InferenceSession>();

// Failed provider probes (e.g. CUDA libraries missing) are reported through our aggregated error, not ORT's log.
ort.env.logLevel = 'fatal';

const shared = serveSharedChannel(channel, {
  run: runSession,
  inputNames: (sessionId) => openSession(sessionId).inputNames,
  replyByMessage: (id, outputs) => {
    const [reply, transfer] = toReply(id, outputs);
    port.postMessage(reply, transfer);
  },
  toErrorBody,
});

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    ([reply, transfer]) => port.postMessage(reply, transfer),
    (error: unknown) =>
      port.postMessage({ type: 'error', id: request.id, error: toErrorBody(error) } satisfies WorkerReply),
  );
});

async function handle(request: WorkerRequest): Promise<[WorkerReply, ArrayBuffer[]]> {
  switch (request.type) {
    case 'load': {
      const { session, provider, fallbacks } = await createWithFallback(request.modelPath, request.config);
      sessions.set(request.sessionId, session);
      const inputs = toIoSpecs(session.inputMetadata);
      for (let i = 0; i < request.config.warmupRuns; i++) await session.run(warmupFeeds(inputs));
      return [
        { type: 'loaded', id: request.id, inputs, outputs: toIoSpecs(session.outputMetadata), provider, fallbacks },
        [],
      ];
    }
    case 'run': {
      const feeds: Record<string, ort.Tensor> = {};
      for (const name in request.feeds) {
        const t = request.feeds[name]!;
        feeds[name] = new ort.Tensor(t.dtype, t.data, t.dims);
      }
      return toReply(request.id, await runSession(request.sessionId, feeds));
    }
    case 'unload': {
      await sessions.get(request.sessionId)?.release();
      sessions.delete(request.sessionId);
      shared.forget(request.sessionId);
      return [{ type: 'unloaded', id: request.id }, []];
    }
  }
}

function openSession(sessionId: number): ort.InferenceSession {
  const session = sessions.get(sessionId);
  if (!session) throw new TachyonError('TCH_ERR_SESSION_CLOSED', `Session ${sessionId} is closed.`);
  return session;
}

async function runSession(
  sessionId: number,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = openSession(sessionId);
  try {
    return await session.run(feeds);
  } catch (cause) {
    throw new TachyonError('TCH_ERR_SESSION_RUN_FAILED', `The runtime failed to run the model: ${firstLine(cause)}`, {
      cause,
    });
  }
}

async function createWithFallback(modelPath: string, config: SessionConfig) {
  const fallbacks: ProviderAttempt[] = [];
  for (const provider of config.executionProviders) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [provider],
        graphOptimizationLevel: config.graphOptimizationLevel,
        intraOpNumThreads: intraOpThreads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        // Config entries: without spinning, idle intra-op threads block instead of holding a core after each run.
        extra: { session: { intra_op: { allow_spinning: intraOpSpinning ? '1' : '0' } } },
      });
      return { session, provider, fallbacks };
    } catch (error) {
      fallbacks.push({ provider, reason: firstLine(error) });
    }
  }
  const details = { attempts: fallbacks };
  // When even the CPU provider fails, the model itself is the problem, not the hardware.
  if (config.executionProviders.includes('cpu')) {
    const cpuReason = fallbacks.find((a) => a.provider === 'cpu')?.reason ?? '';
    throw new TachyonError('TCH_ERR_MODEL_LOAD_FAILED', `The model could not be loaded: ${cpuReason}`, { details });
  }
  const tried = config.executionProviders.map((p: ExecutionProvider) => `"${p}"`).join(', ');
  throw new TachyonError('TCH_ERR_BACKEND_NO_PROVIDER', `No execution provider of ${tried} could create the session.`, {
    details,
  });
}

function toIoSpecs(metadata: readonly ort.InferenceSession.ValueMetadata[]): IoSpec[] {
  return metadata.map((m) => {
    if (!m.isTensor || !isDType(m.type)) {
      throw new TachyonError(
        'TCH_ERR_MODEL_LOAD_FAILED',
        `Model value "${m.name}" is not a tensor of a supported dtype.`,
      );
    }
    return { name: m.name, dtype: m.type, dims: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : -1)) };
  });
}

function warmupFeeds(inputs: readonly IoSpec[]): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const dims = input.dims.map((d) => (d < 0 ? 1 : d));
    const size = dims.reduce((a, b) => a * b, 1);
    feeds[input.name] = new ort.Tensor(input.dtype, new DTYPES[input.dtype](size), dims);
  }
  return feeds;
}

function toReply(id: number, results: ort.InferenceSession.OnnxValueMapType | TensorMap): [WorkerReply, ArrayBuffer[]] {
  const outputs: TensorMap = {};
  const transfer: ArrayBuffer[] = [];
  for (const name in results) {
    const value = results[name]!;
    const type = 'type' in value ? value.type : value.dtype;
    let data = value.data as TensorMap[string]['data'];
    if (!isDType(type))
      throw new TachyonError('TCH_ERR_SESSION_RUN_FAILED', `Output "${name}" has unsupported dtype "${type}".`);
    // Only a buffer the view spans whole can be transferred; otherwise copy once.
    if (data.byteOffset !== 0 || data.byteLength !== data.buffer.byteLength) data = data.slice() as typeof data;
    outputs[name] = { dtype: type, dims: [...value.dims], data };
    transfer.push(data.buffer as ArrayBuffer);
  }
  return [{ type: 'result', id, outputs }, transfer];
}

function toErrorBody(error: unknown) {
  if (error instanceof TachyonError) return error.toJSON();
  return new TachyonError('TCH_ERR_SESSION_RUN_FAILED', firstLine(error)).toJSON();
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
