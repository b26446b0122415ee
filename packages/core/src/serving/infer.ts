import type { InferRequest, InferResponse } from './infer-types.js';
import type { ModelHost } from './model-host.js';
import { DEFAULT_INFER_LIMITS, type InferContext, type InferLimits } from './served-model.js';

export type { InferContext, InferLimits };

/**
 * The one inference call of every protocol adapter: picks the loaded model (and version) the request names and runs
 * the request through it (ServedModel.infer). Inputs: `images` (BYTES, one encoded image per element) or the model's
 * own tensors; outputs as requested, `scores` = class probabilities, classification extension = typed top-k.
 */
export async function infer(
  host: ModelHost,
  request: InferRequest,
  limits: InferLimits = DEFAULT_INFER_LIMITS,
  context: InferContext = {},
): Promise<InferResponse> {
  return host.get(request.modelName, request.modelVersion).infer(request, limits, context);
}
