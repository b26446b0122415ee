import type { Priority } from '@tachyon/core';
import type { KServeDatatype } from '@tachyon/protocol';

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

/**
 * `Server-Timing: queue;dur=0.01, preprocess;dur=1.2, compute;dur=2.9, postprocess;dur=0.05, total;dur=4.3, batch;desc="4"`
 * (batch: rows of the session call the request ran in).
 */
export function formatServerTiming(t: ServerTimings, batchRows?: number): string {
  const f = (ms: number) => ms.toFixed(3);
  const batch = batchRows === undefined ? '' : `, batch;desc="${batchRows}"`;
  return `queue;dur=${f(t.queueMs)}, preprocess;dur=${f(t.preprocessMs)}, compute;dur=${f(t.computeMs)}, postprocess;dur=${f(t.postprocessMs)}, total;dur=${f(t.totalMs)}${batch}`;
}
