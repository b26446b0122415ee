import { TachyonError } from '@tachyon-serve/protocol';
import type { InferResponse } from '@tachyon-serve/core';
import { IMAGE_INPUT } from '@tachyon-serve/core';

type Json = Record<string, unknown>;

export interface DecodedPredict {
  images: Uint8Array[];
  /** Row format (`instances`) answers `predictions`; columnar (`inputs`) answers `outputs`. */
  format: 'row' | 'columnar';
}

/**
 * TF-Serving REST Predict: `{"instances": [{"b64": ...}, ...]}` or `{"instances": [{"images": {"b64": ...}}]}` (row
 * format), or `{"inputs": {"images": [{"b64": ...}]}}` / `{"inputs": [{"b64": ...}]}` / `{"inputs": {"b64": ...}}`
 * (columnar). Binary values must be `{"b64": ...}`, as in TF-Serving; `signature_name` is checked by the route with the one
 * rule shared with gRPC (resolveSignatureName).
 */
export function decodePredictRequest(body: Json): DecodedPredict {
  const hasInstances = body['instances'] !== undefined;
  const hasInputs = body['inputs'] !== undefined;
  if (hasInstances === hasInputs)
    throw invalid('The request must have exactly one of "instances" (row format) or "inputs" (columnar format).', {
      path: '(body)',
    });
  if (hasInstances) {
    const instances = body['instances'];
    if (!Array.isArray(instances) || instances.length === 0)
      throw invalid('"instances" must be a non-empty array.', { path: 'instances' });
    return {
      format: 'row',
      images: instances.map((instance, i) => binaryValue(named(instance, `instances[${i}]`), `instances[${i}]`)),
    };
  }
  const inputs = named(body['inputs'], 'inputs');
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (list.length === 0) throw invalid('"inputs" holds no images.', { path: 'inputs' });
  return {
    format: 'columnar',
    images: list.map((value, i) => binaryValue(value, Array.isArray(inputs) ? `inputs[${i}]` : 'inputs')),
  };
}

/** `{"predictions": [[scores of image 0], ...]}` or `{"outputs": [[...], ...]}`: the FP32 class confidences. */
export function encodePredictResponse(response: InferResponse, format: 'row' | 'columnar'): Json {
  const scores = response.outputs[0]!;
  const [rows = 0, columns = 0] = scores.shape;
  const data = scores.data as ArrayLike<number>;
  const out: number[][] = [];
  for (let i = 0; i < rows; i++) out.push(Array.from({ length: columns }, (_, j) => data[i * columns + j]!));
  return format === 'row' ? { predictions: out } : { outputs: out };
}

// {"images": X} names the model's one input; anything else is X itself.
function named(value: unknown, path: string): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !Object.hasOwn(value, 'b64')) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== IMAGE_INPUT) {
      throw invalid(`${path} names inputs ${JSON.stringify(keys)}; the model has one input, "${IMAGE_INPUT}".`, {
        path,
        expected: [IMAGE_INPUT],
        got: keys,
      });
    }
    return (value as Json)[IMAGE_INPUT];
  }
  return value;
}

function binaryValue(value: unknown, path: string): Uint8Array {
  if (typeof value === 'object' && value !== null && typeof (value as Json)['b64'] === 'string')
    return Buffer.from((value as Json)['b64'] as string, 'base64');
  throw invalid(`${path} must be {"b64": "<base64 image bytes>"}.`, { path });
}

function invalid(message: string, details: Record<string, unknown>): TachyonError {
  return new TachyonError('TCH_ERR_INFER_INVALID', message, { details });
}
