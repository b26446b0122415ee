import { TachyonError } from '@tachyon-serve/protocol';
import type { InferRequest, InferResponse } from '@tachyon-serve/core';
import { IMAGE_INPUT, SCORES_OUTPUT } from '@tachyon-serve/core';
import { DEFAULT_SIGNATURE, TF_OUTPUT_ALIASES, resolveSignatureName } from '../codec/tf-serving-model.js';

/** tensorflow.TensorProto as proto-loader decodes it (only the fields tachyon reads or writes are typed). */
export interface TensorProtoMessage {
  dtype: string;
  tensor_shape: { dim: { size: number; name: string }[]; unknown_rank: boolean } | null;
  string_val: Buffer[];
  float_val: number[];
  tensor_content: Buffer;
}

export interface ModelSpecMessage {
  name: string;
  version_choice?: 'version' | 'version_label';
  version?: { value: number } | null;
  version_label?: string;
  signature_name: string;
}

export interface PredictRequestMessage {
  model_spec: ModelSpecMessage | null;
  inputs: Record<string, TensorProtoMessage>;
  output_filter: string[];
}

export interface PredictResponseMessage {
  model_spec: { name: string; version: { value: number }; signature_name: string };
  outputs: Record<string, { dtype: string; tensor_shape: { dim: { size: number }[] }; float_val: number[] }>;
}

export { DEFAULT_SIGNATURE, TF_OUTPUT_ALIASES };

export interface DecodedPredict {
  request: InferRequest;
  /** The aliases to return, in order, without duplicates. */
  aliases: string[];
  signatureName: string;
}

/**
 * PredictRequest -> the internal InferRequest. `model` is the served model name already resolved from model_spec
 * (see resolvePredictModel). The tensor itself (datatype, shape, count) is checked by infer()'s validator.
 */
export function decodePredictRequest(message: PredictRequestMessage, model: string, requestId: string): DecodedPredict {
  const spec = message.model_spec;
  for (const alias of message.output_filter) {
    if (!TF_OUTPUT_ALIASES.includes(alias)) {
      throw new TachyonError(
        'TCH_ERR_INFER_INVALID',
        `output_filter names "${alias}", which is not an output of model "${model}"; its outputs are "output_alias" and "scores".`,
        {
          details: { output: alias, outputs: TF_OUTPUT_ALIASES },
        },
      );
    }
  }
  const signatureName = resolveSignatureName(spec?.signature_name, model);
  const request: InferRequest = {
    id: requestId,
    modelName: model,
    inputs: Object.entries(message.inputs).map(([name, tensor]) => toInferTensor(name, tensor)),
    outputs: [{ name: SCORES_OUTPUT }],
  };
  const version = specVersion(spec);
  if (version !== undefined) request.modelVersion = version;
  const aliases = message.output_filter.length > 0 ? [...new Set(message.output_filter)] : [...TF_OUTPUT_ALIASES];
  return { request, aliases, signatureName };
}

function toInferTensor(name: string, tensor: TensorProtoMessage): InferRequest['inputs'][number] {
  if (tensor.dtype !== 'DT_STRING') {
    // Say what tachyon takes rather than pass a dtype the validator would only call "not BYTES".
    throw new TachyonError(
      'TCH_ERR_INFER_INVALID',
      `Input "${name}" is ${tensor.dtype}; "${IMAGE_INPUT}" must be DT_STRING with one encoded image per string_val.`,
      {
        details: { input: name, dtype: tensor.dtype },
      },
    );
  }
  const dims = tensor.tensor_shape?.dim.map((d) => d.size) ?? [];
  // make_tensor_proto(b'...') gives a scalar: one image, shape [].
  const shape = dims.length === 0 && tensor.string_val.length === 1 ? [1] : dims;
  return { name, datatype: 'BYTES', shape, data: tensor.string_val };
}

/** The version a model_spec selects: `version` or `version_label`; undefined for the newest. */
export function specVersion(spec: ModelSpecMessage | null): string | undefined {
  if (spec?.version_choice === 'version' && spec.version) return String(spec.version.value);
  if (spec?.version_choice === 'version_label' && spec.version_label) return spec.version_label;
  return undefined;
}

/**
 * The served model a Predict call is for: model_spec.name, or — as the original Brainwave client sends no model_spec —
 * the only served model when the name is empty.
 */
export function resolvePredictModel(
  message: Pick<PredictRequestMessage, 'model_spec'>,
  served: readonly string[],
): string {
  const name = message.model_spec?.name ?? '';
  if (name !== '') return name;
  if (served.length === 1) return served[0]!;
  throw new TachyonError(
    'TCH_ERR_MODEL_NOT_FOUND',
    `model_spec.name is empty and ${served.length} models are served; name one of them.`,
    {
      details: { served },
    },
  );
}

export function encodePredictResponse(response: InferResponse, decoded: DecodedPredict): PredictResponseMessage {
  const scores = response.outputs[0]!;
  const values = Array.from(scores.data as ArrayLike<number>);
  const tensor = {
    dtype: 'DT_FLOAT',
    tensor_shape: { dim: scores.shape.map((size) => ({ size })) },
    float_val: values,
  };
  const outputs: PredictResponseMessage['outputs'] = {};
  for (const alias of decoded.aliases) outputs[alias] = tensor;
  const version = Number(response.modelVersion);
  return {
    model_spec: {
      name: response.modelName,
      version: { value: Number.isFinite(version) ? version : 0 },
      signature_name: decoded.signatureName,
    },
    outputs,
  };
}
