import type { TopKEntry } from '../labels/top-k.js';
import type { Priority } from '../scheduler/scheduler-options.js';
import type { KServeDatatype } from '@tachyon-serve/protocol';

/**
 * The ONE internal inference request every protocol is decoded into (raw image upload, KServe v2 HTTP/gRPC,
 * TF-Serving REST/gRPC), and the response every protocol encodes from. Shaped like the KServe v2 / open inference
 * protocol, with tensor data already decoded (binary extension, raw_input_contents, base64 all resolved).
 */
export type Datatype = KServeDatatype;

export interface InferTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  /** BYTES: one Uint8Array per element (row-major); numeric: a typed array or plain numbers. */
  data: Uint8Array[] | ArrayLike<number>;
  parameters?: Record<string, unknown>;
  /** Classification extension outputs only: the same top-k as typed records, one list per row (no text parsing). */
  top?: TopKEntry[][];
}

export interface RequestedOutput {
  name: string;
  /** KServe classification extension: return the top K as BYTES "score:index:label" instead of raw scores. */
  classification?: number;
}

export interface InferRequest {
  /** Echoed in the response (the protocol's `id`; the HTTP request id when absent). */
  id?: string;
  modelName: string;
  modelVersion?: string;
  inputs: InferTensor[];
  /** Absent: every output of the model. */
  outputs?: RequestedOutput[];
  /** Scheduling priority (KServe `parameters.priority`: 1 = high, as Triton; HTTP `x-request-priority`). @default 'normal' */
  priority?: Priority;
}

/** Where the time of one request went, in milliseconds; sent as `Server-Timing` (HTTP) or trailing metadata (gRPC). */
export interface ServerTimings {
  queueMs: number;
  preprocessMs: number;
  computeMs: number;
  postprocessMs: number;
  totalMs: number;
}

export interface InferResponse {
  id?: string;
  modelName: string;
  modelVersion: string;
  outputs: InferTensor[];
  timings: ServerTimings;
  /** Rows (images) in the session call this request ran in (> its own images when batched with others). */
  batchRows: number;
}

/** One input or output of a model as KServe v2 metadata lists it (-1: any size). */
export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  shape: number[];
}

/** KServe v2 model metadata. */
export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}
