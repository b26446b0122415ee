// Worker side of the shared-memory run channel (layout in shared-layout.ts): waits with Atomics.waitAsync, so the
// worker's event loop stays free for load/unload messages and idles at zero CPU.
import ort from 'onnxruntime-node';
import type { ErrorBody } from '@tachyon-serve/protocol';
import { DTYPES, isDType, type DType, type TypedArray } from '../tensor/dtypes.js';
import type { TensorData, TensorMap } from '../tensor/tensor.js';
import {
  CTRL_COMPLETED,
  CTRL_SUBMITTED,
  DTYPE_CODES,
  HDR_ERROR_BYTES,
  HDR_FIRST_TENSOR,
  HDR_INPUTS,
  HDR_OUTPUTS,
  HDR_RUN_ID,
  HDR_SESSION,
  HDR_STATUS,
  HEADER_INTS,
  MAX_TENSORS,
  RING_SLOTS,
  STATUS_BY_MESSAGE,
  STATUS_ERROR,
  STATUS_OK,
  TENSOR_INTS,
  ensureArena,
  sharedView,
  tensorsBytes,
  waitAsync,
  writeTensors,
  type SharedChannelBuffers,
} from './shared-layout.js';

export interface ChannelHost {
  /** Runs the session (throws a TachyonError when it is closed or the runtime fails). */
  run(sessionId: number, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType>;
  inputNames(sessionId: number): readonly string[];
  /** Outputs that do not fit the arena go back as a 'result' message under the run's id. */
  replyByMessage(runId: number, outputs: TensorMap): void;
  toErrorBody(error: unknown): ErrorBody;
}

const encoder = new TextEncoder();

/** Serves runs submitted on `buffers` for as long as the worker lives. */
export function serveSharedChannel(
  buffers: SharedChannelBuffers,
  host: ChannelHost,
): { forget(sessionId: number): void } {
  const control = new Int32Array(buffers.control);
  const headers = Array.from(
    { length: RING_SLOTS },
    (_, i) => new Int32Array(buffers.headers, i * HEADER_INTS * 4, HEADER_INTS),
  );
  // ORT reads only unshared memory: each input is copied out of the arena into an array kept per session and input.
  const scratch = new Map<number, TypedArray[]>();
  let done = 0;

  const inputArray = (sessionId: number, index: number, dtype: DType, length: number): TypedArray => {
    let arrays = scratch.get(sessionId);
    if (!arrays) scratch.set(sessionId, (arrays = []));
    const kept = arrays[index];
    if (kept && kept.length === length && kept instanceof DTYPES[dtype]) return kept;
    return (arrays[index] = new DTYPES[dtype](length));
  };

  const runSlot = async (slot: number): Promise<void> => {
    const header = headers[slot]!;
    const arena = buffers.arenas[slot]!;
    const sessionId = header[HDR_SESSION]!;
    try {
      const names = host.inputNames(sessionId);
      const feeds: Record<string, ort.Tensor> = {};
      for (let i = 0, at = HDR_FIRST_TENSOR; i < header[HDR_INPUTS]!; i++, at += TENSOR_INTS) {
        const dtype = DTYPE_CODES[header[at]!]!;
        const dims = Array.from(header.subarray(at + 4, at + 4 + header[at + 1]!));
        const Ctor = DTYPES[dtype];
        const length = header[at + 3]! / Ctor.BYTES_PER_ELEMENT;
        const data = inputArray(sessionId, i, dtype, length);
        data.set(sharedView(dtype, arena, header[at + 2]!, length) as never);
        feeds[names[i]!] = new ort.Tensor(dtype, data, dims);
      }
      const results = await host.run(sessionId, feeds);
      const outputs: TensorData[] = [];
      for (const value of Object.values(results)) {
        if (!isDType(value.type)) throw new TypeError(`unsupported output dtype "${value.type}"`);
        outputs.push({ dtype: value.type, dims: value.dims, data: value.data as TypedArray });
      }
      const bytes = tensorsBytes(outputs, 0);
      if (outputs.length <= MAX_TENSORS && bytes >= 0 && ensureArena(arena, bytes)) {
        writeTensors(header, 0, arena, 0, outputs);
        header[HDR_OUTPUTS] = outputs.length;
        header[HDR_STATUS] = STATUS_OK;
      } else {
        host.replyByMessage(
          header[HDR_RUN_ID]!,
          Object.fromEntries(Object.keys(results).map((name, i) => [name, outputs[i]!])),
        );
        header[HDR_STATUS] = STATUS_BY_MESSAGE;
      }
    } catch (error) {
      const json = encoder.encode(JSON.stringify(host.toErrorBody(error)));
      ensureArena(arena, json.byteLength);
      new Uint8Array(arena, 0, json.byteLength).set(json);
      header[HDR_ERROR_BYTES] = json.byteLength;
      header[HDR_STATUS] = STATUS_ERROR;
    }
  };

  const drain = async (): Promise<void> => {
    const submitted = Atomics.load(control, CTRL_SUBMITTED);
    while (done < submitted) {
      await runSlot(done % RING_SLOTS);
      done++;
      Atomics.store(control, CTRL_COMPLETED, done);
      Atomics.notify(control, CTRL_COMPLETED);
    }
    wait();
  };

  const wait = (): void => {
    const result = waitAsync(control, CTRL_SUBMITTED, done);
    if (result.async) void result.value.then(drain);
    else void drain();
  };

  wait();
  return { forget: (sessionId) => void scratch.delete(sessionId) };
}
