import type { InferResponse, InferTensor } from '@tachyon-serve/core';
import { encodeRawTensor } from '../../codec/raw-tensor.js';

export interface KServeOutput {
  name: string;
  datatype: string;
  shape: number[];
  data?: (number | string)[];
  parameters?: { binary_data_size: number };
}

export interface KServeResponse {
  model_name: string;
  model_version: string;
  id?: string;
  outputs: KServeOutput[];
}

/**
 * The response: plain JSON, or when any output is binary, the JSON header (`Inference-Header-Content-Length` bytes)
 * followed by each binary output's data in output order.
 */
export function encodeKServeResponse(
  response: InferResponse,
  binaryOutput: (name: string) => boolean,
): { json: KServeResponse; body?: Buffer; headerLength?: number } {
  const chunks: Buffer[] = [];
  const outputs = response.outputs.map((tensor): KServeOutput => {
    const base = { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape };
    if (!binaryOutput(tensor.name)) return { ...base, data: jsonData(tensor) };
    const bytes = encodeRawTensor(tensor);
    chunks.push(bytes);
    return { ...base, parameters: { binary_data_size: bytes.length } };
  });
  const json: KServeResponse = {
    model_name: response.modelName,
    model_version: response.modelVersion,
    ...(response.id === undefined ? {} : { id: response.id }),
    outputs,
  };
  if (chunks.length === 0) return { json };
  const header = Buffer.from(JSON.stringify(json));
  return { json, body: Buffer.concat([header, ...chunks]), headerLength: header.length };
}

function jsonData(tensor: InferTensor): (number | string)[] {
  if (tensor.datatype === 'BYTES')
    return (tensor.data as Uint8Array[]).map((e) => Buffer.from(e.buffer, e.byteOffset, e.byteLength).toString('utf8'));
  return Array.from(tensor.data as ArrayLike<number>);
}
