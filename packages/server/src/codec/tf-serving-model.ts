import { TachyonError } from '@tachyon-serve/protocol';
import { IMAGE_INPUT, SCORES_OUTPUT } from '@tachyon-serve/protocol';
import { modelNotFound, modelVersionNotFound, type ModelHost, type ModelMetadata } from '@tachyon-serve/core';

/**
 * What TF-Serving clients ask about a model besides Predict, once for REST and gRPC: the signature rule, the
 * signature_def of GetModelMetadata and the version states of GetModelStatus. Field names are the protos' (snake_case),
 * so gRPC sends these objects as they are and REST writes them as TF-Serving's JSON.
 */

/** The one signature every served model has (TF-Serving's default signature key). */
export const DEFAULT_SIGNATURE = 'serving_default';
/** SignatureDef.method_name of a Predict signature. */
export const PREDICT_METHOD_NAME = 'tensorflow/serving/predict';
/**
 * The output aliases of the Predict signature: `output_alias` is the name the original Brainwave client reads,
 * `scores` the name every other tachyon protocol uses; both hold the same FP32 [N, C] class confidences.
 */
export const TF_OUTPUT_ALIASES: readonly string[] = Object.freeze(['output_alias', SCORES_OUTPUT]);
/** The metadata field GetModelMetadata knows (TF-Serving knows only this one too). */
export const SIGNATURE_DEF_FIELD = 'signature_def';

/**
 * THE signature_name rule, for REST `:predict` bodies and gRPC `model_spec.signature_name` alike: absent or empty means
 * `serving_default`; `serving_default` is accepted; anything else is TCH_ERR_INFER_INVALID naming the one signature.
 * Returns the signature that serves the call.
 */
export function resolveSignatureName(signatureName: unknown, model: string): string {
  if (
    signatureName === undefined ||
    signatureName === null ||
    signatureName === '' ||
    signatureName === DEFAULT_SIGNATURE
  )
    return DEFAULT_SIGNATURE;
  const given = typeof signatureName === 'string' ? signatureName : JSON.stringify(signatureName);
  throw new TachyonError(
    'TCH_ERR_INFER_INVALID',
    `Model "${model}" has no signature "${given}"; its only signature is "${DEFAULT_SIGNATURE}".`,
    {
      details: { signature: given, signatures: [DEFAULT_SIGNATURE] },
    },
  );
}

export interface TfTensorInfo {
  name: string;
  dtype: string;
  tensor_shape: { dim: { size: number; name: string }[]; unknown_rank: boolean };
}

export interface TfSignatureDef {
  inputs: Record<string, TfTensorInfo>;
  outputs: Record<string, TfTensorInfo>;
  method_name: string;
}

/** KServe datatypes -> tensorflow.DataType names. */
const TF_DTYPES: Readonly<Record<string, string>> = Object.freeze({
  BYTES: 'DT_STRING',
  FP32: 'DT_FLOAT',
  FP64: 'DT_DOUBLE',
  FP16: 'DT_HALF',
  INT8: 'DT_INT8',
  INT16: 'DT_INT16',
  INT32: 'DT_INT32',
  INT64: 'DT_INT64',
  UINT8: 'DT_UINT8',
  UINT16: 'DT_UINT16',
  UINT32: 'DT_UINT32',
  UINT64: 'DT_UINT64',
  BOOL: 'DT_BOOL',
});

function tensorInfo(name: string, tensor: { datatype: string; shape: number[] }): TfTensorInfo {
  return {
    name,
    dtype: TF_DTYPES[tensor.datatype] ?? 'DT_INVALID',
    tensor_shape: { dim: tensor.shape.map((size) => ({ size, name: '' })), unknown_rank: false },
  };
}

/**
 * `{ signature_def: { serving_default } }` (a tensorflow.serving.SignatureDefMap) from the model's KServe metadata: the
 * model's inputs (`images`: DT_STRING [-1]) and its `scores` output also under the alias `output_alias`, as Predict
 * answers.
 */
export function buildSignatureDefMap(metadata: ModelMetadata): { signature_def: Record<string, TfSignatureDef> } {
  // TF-Serving Predict is image-only (the original's contract): the model's own tensors (KServe v2) are left out.
  const inputs: Record<string, TfTensorInfo> = {};
  for (const input of metadata.inputs)
    if (input.name === IMAGE_INPUT) inputs[input.name] = tensorInfo(input.name, input);
  const outputs: Record<string, TfTensorInfo> = {};
  const scores = metadata.outputs.find((o) => o.name === SCORES_OUTPUT);
  if (scores !== undefined) for (const alias of TF_OUTPUT_ALIASES) outputs[alias] = tensorInfo(alias, scores);
  return { signature_def: { [DEFAULT_SIGNATURE]: { inputs, outputs, method_name: PREDICT_METHOD_NAME } } };
}

/** The metadata fields asked for: empty means signature_def; any other field is TCH_ERR_INFER_INVALID. */
export function checkMetadataFields(fields: readonly string[]): void {
  for (const field of fields) {
    if (field !== SIGNATURE_DEF_FIELD) {
      throw new TachyonError(
        'TCH_ERR_INFER_INVALID',
        `Metadata field "${field}" is not known; the only one is "${SIGNATURE_DEF_FIELD}".`,
        {
          details: { field, fields: [SIGNATURE_DEF_FIELD] },
        },
      );
    }
  }
}

/** tensorflow.serving.ModelVersionStatus.State names. */
export type TfVersionState = 'UNKNOWN' | 'START' | 'LOADING' | 'AVAILABLE' | 'UNLOADING' | 'END';

export interface TfModelVersionStatus {
  version: string;
  state: TfVersionState;
  /** tensorflow.error.Code name: OK, or UNKNOWN with the reason a version failed. */
  status: { error_code: string; error_message: string };
}

const STATES = { READY: 'AVAILABLE', LOADING: 'LOADING', UNLOADING: 'UNLOADING', UNAVAILABLE: 'END' } as const;

/**
 * GetModelStatus of `name` (every version the server holds or failed to load, ascending) or of one `version`:
 * READY -> AVAILABLE, LOADING -> LOADING, UNLOADING -> UNLOADING, a failed load -> END with its reason. Registered
 * versions that were never loaded are not the server's, so not listed. TCH_ERR_MODEL_NOT_FOUND when nothing is left.
 */
export async function modelVersionStatus(
  host: ModelHost,
  name: string,
  version?: string,
): Promise<TfModelVersionStatus[]> {
  const rows = (await host.index()).filter((row) => row.name === name && row.reason !== 'not loaded');
  if (rows.length === 0) throw modelNotFound(name, host.names());
  const wanted = version === undefined || version === '' ? rows : rows.filter((row) => row.version === version);
  if (wanted.length === 0) throw modelVersionNotFound(name, version!, host.versions(name));
  return wanted.map((row) => ({
    version: row.version ?? '0',
    state: STATES[row.state],
    status:
      row.state === 'UNAVAILABLE'
        ? { error_code: 'UNKNOWN', error_message: row.reason ?? 'failed to load' }
        : { error_code: 'OK', error_message: '' },
  }));
}
