import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Backend } from '../backends/backend.js';
import { cutModel } from './cut-model.js';
import { encodeOnnxModel, type OnnxModel } from './onnx-model.js';
import { validateTensorNames, type TensorInfo } from './tensor-info.js';

/**
 * The dtype and dims of any tensors of a model, intermediate ones included: the model is cut at them and the cut
 * model is loaded (not run) in onnxruntime, whose shape inference reports them as session outputs. Dims that
 * inference leaves symbolic (the batch) are -1. The cut model goes through a temporary file, removed afterwards.
 */
export async function probeTensorInfo(
  model: OnnxModel,
  names: readonly string[],
  backend: Backend,
): Promise<TensorInfo[]> {
  validateTensorNames(names, 'names');
  if (typeof backend !== 'object' || backend === null || typeof backend.createSession !== 'function') {
    throw new TypeError('backend must be a Backend (createBackend()).');
  }
  const bytes = encodeOnnxModel(cutModel(model, names, []));
  const dir = await mkdtemp(join(tmpdir(), 'tachyon-probe-'));
  try {
    const path = join(dir, 'probe.onnx');
    await writeFile(path, bytes);
    const session = await backend.createSession(path, { warmupRuns: 0, graphOptimizationLevel: 'disabled' });
    try {
      return names.map((name) => {
        const spec = session.outputs.find((o) => o.name === name)!;
        return { name, dtype: spec.dtype, dims: [...spec.dims] };
      });
    } finally {
      await session.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
