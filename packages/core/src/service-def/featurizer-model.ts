import { TachyonError } from '@tachyon-serve/protocol';
import type { Backend } from '../backends/backend.js';
import { cutModel, probeTensorInfo, readOnnxModel, type OnnxModel, type TensorInfo } from '../graph/index.js';
import type { ModelSources } from '../zoo/model-sources.js';
import { resolveZooModel } from '../zoo/resolve-model.js';
import type { ZooEntry } from '../zoo/zoo-entry.js';

export interface FeaturizerModel {
  /** The full backbone (the default classifier's head is extracted from it). */
  full: OnnxModel;
  /** The backbone cut at its feature tensor; its new output declares the probed type (onnx.checker requires it). */
  cut: OnnxModel;
  feature: TensorInfo;
}

/** Resolves a zoo backbone and cuts it at the catalog's pooled-feature tensor. */
export async function createFeaturizerModel(
  entry: ZooEntry,
  sources: ModelSources,
  backend: Backend,
): Promise<FeaturizerModel> {
  if (entry.featureTensor === undefined) {
    throw new TachyonError('TCH_ERR_SVCDEF_INVALID', `Zoo model "${entry.id}" has no known feature tensor to cut at.`, {
      details: { issues: [{ path: entry.id, message: `"${entry.id}" has no featureTensor in the catalog` }] },
    });
  }
  const full = await readOnnxModel((await resolveZooModel(entry, sources)).path);
  const [feature] = await probeTensorInfo(full, [entry.featureTensor], backend);
  return { full, cut: cutModel(full, [entry.featureTensor], [feature!]), feature: feature! };
}
