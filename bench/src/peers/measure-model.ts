// One model of a peer scenario: start tachyon's server and the PyTorch server for it, check that PyTorch holds the
// ONNX file's weights, then measure every peer at every concurrency level, interleaved. Everything is closed after.
import ort from 'onnxruntime-node';
import { preprocessImage, presetByName } from '@tachyon-serve/core';
import { median, round } from '../stats.js';
import { parseServerTiming } from '../server/http-target.js';
import { measurePeersAtConcurrency, type LoadSamples } from './closed-loop.js';
import {
  pytorchClient,
  rawOrtClient,
  tachyonHttpClient,
  tachyonKserveGrpcClient,
  tachyonKserveHttpClient,
  type PeerClient,
} from './peer-clients.js';
import type { SuiteModel } from './peer-models.js';
import { startPythonPeer, type PythonPeer } from './python-peer.js';
import { startTachyonServer, type TachyonServer } from './tachyon-server.js';

export interface MeasureModelOptions {
  benchDir: string;
  modelsDir: string;
  cacheDir: string;
  image: Uint8Array;
  threads: number;
  calibration: readonly string[];
  levels: readonly number[];
  requestsAt: (concurrency: number) => number;
  rounds: number;
  /** Leave PyTorch out (its packages missing): the run says so in its notes. */
  noPytorch: boolean;
  log: (m: string) => void;
}

export interface ModelMeasurement {
  samples: LoadSamples[];
  pytorch?: Record<string, unknown>;
  weightCheck?: { maxAbsDiff: number; top1Equal: boolean };
  /** Server-Timing medians of tachyon's raw route at 1 client. */
  serverTiming?: { computeP50Ms: number; totalP50Ms: number; meanBatchRows: number };
}

const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best]! ? i : best), 0);

/** PyTorch's logits vs onnxruntime's on the same preprocessed tensor (same weights => tiny difference). */
async function checkWeights(
  model: SuiteModel,
  image: Uint8Array,
  python: PythonPeer,
): Promise<{ maxAbsDiff: number; top1Equal: boolean }> {
  const tensor = await preprocessImage(image, presetByName('torchvision224'));
  const data = tensor.data as Float32Array;
  const session = await ort.InferenceSession.create(model.path, { logSeverityLevel: 3 });
  let onnx: Float32Array;
  try {
    const out = await session.run({ [model.input]: new ort.Tensor('float32', data, [...tensor.dims]) });
    onnx = out[model.output]!.data as Float32Array;
  } finally {
    await session.release();
  }
  const res = await fetch(`${python.url}/logits`, {
    method: 'POST',
    body: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
  if (!res.ok) throw new Error(`PyTorch /logits: HTTP ${res.status}`);
  const torch = new Float32Array(await res.arrayBuffer());
  let maxAbsDiff = 0;
  for (let i = 0; i < onnx.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(onnx[i]! - (torch[i] ?? NaN)));
  return { maxAbsDiff: round(maxAbsDiff, 6), top1Equal: argmax(onnx) === argmax(torch) };
}

export async function measureModel(model: SuiteModel, options: MeasureModelOptions): Promise<ModelMeasurement> {
  const { log } = options;
  const maxClients = Math.max(...options.levels);
  const opened: { close(): Promise<void> }[] = [];
  try {
    log(`${model.id}: starting tachyon (startServer, ${model.path})...`);
    const tachyon: TachyonServer = await startTachyonServer({
      ref: model.path,
      outputKind: model.outputKind,
      modelsDir: options.modelsDir,
      cacheDir: options.cacheDir,
    });
    opened.push(tachyon);
    let python: PythonPeer | undefined;
    let weightCheck: ModelMeasurement['weightCheck'];
    if (!options.noPytorch) {
      log(`${model.id}: starting PyTorch + FastAPI (torchvision ${model.torchArch}, ${model.dtype})...`);
      python = await startPythonPeer({
        benchDir: options.benchDir,
        arch: model.torchArch,
        dtype: model.dtype,
        threads: options.threads,
        calibration: model.dtype === 'int8' ? options.calibration : [],
      });
      opened.push(python);
      weightCheck = await checkWeights(model, options.image, python);
      log(
        `${model.id}: weight check max |logit diff| ${weightCheck.maxAbsDiff}, top-1 ${weightCheck.top1Equal ? 'equal' : 'differs'}`,
      );
    }
    const timings: { headers: string[] | undefined } = { headers: undefined };
    const raw = await rawOrtClient(model, options.image, options.threads);
    opened.push(raw);
    const clients: PeerClient[] = [
      tachyonHttpClient(tachyon.ready, options.image, maxClients, timings),
      tachyonKserveHttpClient(tachyon.ready, options.image, maxClients),
      tachyonKserveGrpcClient(tachyon.ready, options.image),
      raw,
      ...(python ? [pytorchClient(python.url, options.image, maxClients)] : []),
    ];
    opened.push(...clients.filter((c) => c !== raw));
    const samples: LoadSamples[] = [];
    let serverTiming: ModelMeasurement['serverTiming'];
    for (const concurrency of options.levels) {
      const requests = options.requestsAt(concurrency);
      log(`${model.id}: ${clients.length} peers at ${concurrency} client(s), ${requests} requests each...`);
      timings.headers = concurrency === 1 ? [] : undefined;
      samples.push(
        ...(await measurePeersAtConcurrency(clients, {
          concurrency,
          requests,
          rounds: options.rounds,
          childPids: [tachyon.pid, ...(python ? [python.pid] : [])],
        })),
      );
      if (concurrency === 1 && timings.headers && timings.headers.length > 0) {
        const parsed = timings.headers.map(parseServerTiming);
        const batch = timings.headers.map((h) => Number(/batch;desc="?(\d+)/.exec(h)?.[1] ?? 1));
        serverTiming = {
          computeP50Ms: round(median(parsed.map((p) => p['compute'] ?? NaN))),
          totalP50Ms: round(median(parsed.map((p) => p['total'] ?? NaN))),
          meanBatchRows: round(batch.reduce((s, v) => s + v, 0) / batch.length, 2),
        };
      }
    }
    for (const s of samples)
      if (s.errors > 0) log(`${model.id}: ${s.name} at ${s.concurrency}: ${s.errors} errors (${s.errorMessages[0]})`);
    return {
      samples,
      ...(python ? { pytorch: python.info } : {}),
      ...(weightCheck ? { weightCheck } : {}),
      ...(serverTiming ? { serverTiming } : {}),
    };
  } finally {
    for (const o of opened.reverse()) await o.close().catch((e: unknown) => log(`close failed: ${String(e)}`));
  }
}
