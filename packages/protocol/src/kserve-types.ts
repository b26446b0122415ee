/**
 * KServe v2 / open inference protocol names and JSON shapes (https://kserve.github.io/website/docs/concepts/architecture/data-plane/v2-protocol),
 * as tachyon's HTTP routes accept and answer them and as its clients send and read them.
 */

/** Bytes per element of each fixed-size KServe v2 datatype (BYTES is variable: length-prefixed elements). */
export const KSERVE_ELEMENT_SIZE = Object.freeze({
  BOOL: 1,
  UINT8: 1,
  UINT16: 2,
  UINT32: 4,
  UINT64: 8,
  INT8: 1,
  INT16: 2,
  INT32: 4,
  INT64: 8,
  FP16: 2,
  FP32: 4,
  FP64: 8,
} as const);

/** A fixed-size KServe v2 tensor datatype. */
export type KServeFixedDatatype = keyof typeof KSERVE_ELEMENT_SIZE;
/** A KServe v2 tensor datatype: the fixed-size ones and BYTES. */
export type KServeDatatype = KServeFixedDatatype | 'BYTES';

/** Every KServe v2 datatype name, fixed-size ones first. */
export const KSERVE_DATATYPES: readonly KServeDatatype[] = Object.freeze([
  ...(Object.keys(KSERVE_ELEMENT_SIZE) as KServeFixedDatatype[]),
  'BYTES',
]);

export function isKServeDatatype(value: unknown): value is KServeDatatype {
  return typeof value === 'string' && (value === 'BYTES' || Object.hasOwn(KSERVE_ELEMENT_SIZE, value));
}

/** The image input of a tachyon image classifier: BYTES [N], one encoded JPEG/PNG/WebP per element. */
export const IMAGE_INPUT = 'images';
/** Its output: FP32 [N, C] class confidences, or with the classification extension BYTES [N, K] "score:index:label". */
export const SCORES_OUTPUT = 'scores';
/** The output parameter of the classification extension: how many classes (K) to return. */
export const CLASSIFICATION_PARAMETER = 'classification';
/** KServe v2 extensions the server implements (`GET /v2`). */
export const KSERVE_EXTENSIONS: readonly string[] = Object.freeze([CLASSIFICATION_PARAMETER, 'binary_tensor_data']);

/** A tensor in a KServe v2 JSON request or response. */
export interface KServeTensorJson {
  name: string;
  datatype: KServeDatatype;
  shape: number[];
  /** Row-major; absent when the tensor travels as binary data (`parameters.binary_data_size`). */
  data?: unknown[];
  parameters?: { binary_data_size?: number; [name: string]: unknown };
}

/** A requested output of a KServe v2 JSON request. */
export interface KServeRequestedOutputJson {
  name: string;
  parameters?: { binary_data?: boolean; classification?: number; [name: string]: unknown };
}

/** The JSON of `POST /v2/models/{name}/infer` (the JSON part, with the binary data extension). */
export interface KServeInferRequestJson {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: KServeTensorJson[];
  outputs?: KServeRequestedOutputJson[];
}

/** The JSON answer of an inference (the JSON part, with the binary data extension). */
export interface KServeInferResponseJson {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: KServeTensorJson[];
}

/** A tensor of KServe v2 model metadata; -1 is a variable dimension. */
export interface KServeTensorMetadata {
  name: string;
  datatype: KServeDatatype | string;
  shape: number[];
}

/** KServe v2 model metadata (`GET /v2/models/{name}`, gRPC ModelMetadata). */
export interface KServeModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: KServeTensorMetadata[];
  outputs: KServeTensorMetadata[];
}
